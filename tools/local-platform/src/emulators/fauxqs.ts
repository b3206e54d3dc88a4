import path from 'node:path';
import { builtFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

/**
 * fauxqs: SQS and S3 on one endpoint, in memory, in its own Node process.
 * Queue URLs it returns look like `http://sqs.<region>.localhost:<port>/000000000000/<name>`;
 * the SDK sends them in the request body to the configured endpoint, so they
 * work as long as the client's endpoint is set (which clientOptions() does).
 */
export function startFauxqs(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulatorProcess(
    'fauxqs',
    process.execPath,
    [builtFile(path.join('emulators', 'fauxqs-runner.mjs')), String(options.port ?? 0)],
    options,
  );
}
