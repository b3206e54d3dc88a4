import path from 'node:path';
import { dependencyDirectory, sourceFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

export interface DynamoDbLocalOptions extends EmulatorOptions {
  /** The `java` executable. Default `java` from PATH (Java 17+: the launcher is a single-file source program). */
  readonly javaCommand?: string;
}

/**
 * DynamoDB Local, the official AWS emulator (shipped in the npm package
 * amplify-dynamodb-simulator), in memory, bound to 127.0.0.1 through our
 * DynamoDbLoopback.java launcher (its own launcher listens on every interface).
 */
export function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningEmulator> {
  const emulator = dependencyDirectory('amplify-dynamodb-simulator', 'emulator');
  const libraries = path.join(emulator, 'DynamoDBLocal_lib');
  const classPath = [path.join(emulator, 'DynamoDBLocal.jar'), path.join(libraries, '*')].join(path.delimiter);
  return startEmulatorProcess(
    'dynamodb-local',
    options.javaCommand ?? 'java',
    [
      `-Djava.library.path=${libraries}`,
      // A small heap is plenty for test data and keeps parallel runs light.
      '-Xmx512m',
      '-cp',
      classPath,
      sourceFile(path.join('emulators', 'DynamoDbLoopback.java')),
      String(options.port ?? 0),
    ],
    options,
  );
}
