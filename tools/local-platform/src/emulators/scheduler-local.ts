import { runnerPath } from '@memberships/scheduler-local';
import type { LocalCredentials } from '../iam-gate';
import { startEmulatorProcess, type EmulatorOptions, type RunningEmulator } from './emulator';

/**
 * The EventBridge Scheduler stand-in (tools/scheduler-local) in its own Node
 * process, on the real clock: it fires due schedules into the SQS emulator.
 * Tests that need to move time start their own in-process instance.
 */
export function startSchedulerStandIn(
  options: EmulatorOptions & { readonly region: string; readonly sqsEndpoint: string; readonly credentials: LocalCredentials },
): Promise<RunningEmulator> {
  return startEmulatorProcess('scheduler-local', process.execPath, [runnerPath, String(options.port ?? 0)], {
    ...options,
    env: {
      AWS_REGION: options.region,
      AWS_ENDPOINT_URL_SQS: options.sqsEndpoint,
      // The schedule role's: it delivers as that role, as Scheduler does.
      AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
      SCHEDULER_CLOCK: 'real',
      LOG_LEVEL: 'warn',
    },
  });
}
