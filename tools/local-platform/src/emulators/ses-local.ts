import path from 'node:path';
import { builtFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

/**
 * aws-ses-v2-local: the SES v2 API (SendEmail, simple and raw) storing every
 * email in memory. `GET /store` lists them (see ses-mailbox.ts), raw emails
 * with their headers too (ses-front.ts adds them), `/` is a web UI,
 * `POST /clear-store` empties it. Own Node process (ses-runner.ts).
 */
export function startSesLocal(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulatorProcess(
    'ses-local',
    process.execPath,
    [builtFile(path.join('emulators', 'ses-runner.js')), String(options.port ?? 0)],
    options,
  );
}
