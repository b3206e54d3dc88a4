import path from 'node:path';
import { builtFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

/**
 * The AWS Secrets Manager stand-in (secrets-manager-local-server.ts: the real
 * JSON 1.1 wire protocol, in memory) in its own Node process. ARNs are
 * `arn:aws:secretsmanager:<region>:000000000000:secret:<name>-<6 characters>`.
 */
export function startSecretsManagerLocal(options: EmulatorOptions & { readonly region?: string } = {}): Promise<RunningEmulator> {
  return startEmulatorProcess(
    'secrets-manager-local',
    process.execPath,
    [builtFile(path.join('emulators', 'secrets-manager-local-runner.js')), String(options.port ?? 0), options.region ?? 'us-east-1'],
    options,
  );
}
