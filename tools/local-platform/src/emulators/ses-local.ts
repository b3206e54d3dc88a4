import path from 'node:path';
import { builtFile } from '../package-paths';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

export interface SesLocalOptions extends EmulatorOptions {
  /**
   * The account's maximum send rate, emails (recipients) per second: sends
   * over it get SES's throttling error and are not stored (ses-send-rate.ts).
   * Default: SES_LOCAL_MAX_SEND_RATE of this process's environment, else 0 (no rate).
   */
  readonly maxSendRate?: number;
}

/**
 * aws-ses-v2-local: the SES v2 API (SendEmail, simple and raw) storing every
 * email in memory. `GET /store` lists them (see ses-mailbox.ts), raw emails
 * with their headers too (ses-front.ts adds them), `/` is a web UI,
 * `POST /clear-store` empties it. Own Node process (ses-runner.ts). With
 * a maximum send rate, sends over it are refused as SES refuses them.
 */
export function startSesLocal(options: SesLocalOptions = {}): Promise<RunningEmulator> {
  const maxSendRate = options.maxSendRate ?? process.env.SES_LOCAL_MAX_SEND_RATE;
  return startEmulatorProcess(
    'ses-local',
    process.execPath,
    [builtFile(path.join('emulators', 'ses-runner.js')), String(options.port ?? 0)],
    {
      ...options,
      ...(maxSendRate !== undefined ? { env: { SES_LOCAL_MAX_SEND_RATE: String(maxSendRate) } } : {}),
    },
  );
}
