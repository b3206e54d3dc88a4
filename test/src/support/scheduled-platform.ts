import { randomBytes } from 'node:crypto';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import {
  localCredentials,
  startTestIamGate,
  startTestPlatform,
  type RunningIamGate,
  type TestPlatform,
  type TestPlatformOptions,
} from '@memberships/local-platform';
import { startSchedulerLocal, type SchedulerLocal } from '@memberships/scheduler-local';

/**
 * The platform of the monthly-subscription suites: the API and the worker as
 * processes, the emulators, and an EventBridge Scheduler stand-in of the
 * suite's own with a clock the test moves (no waiting for the 1st of the
 * month). The stand-in delivers as the schedule role through the IAM gate,
 * and the services reach it through an IAM gate of the suite's own, as every
 * other AWS API. Its schedule group is named like a suite's resources (which
 * the gate maps to the environment's group), so nothing else fires into this
 * platform's queue.
 */
export interface ScheduledPlatform {
  readonly platform: TestPlatform;
  /** The stand-in: setTime() moves its clock and returns what fired. */
  readonly local: SchedulerLocal;
  /** A client of the stand-in, to read its schedules (GetSchedule). */
  readonly scheduler: SchedulerClient;
  readonly gate: RunningIamGate;
  /** The schedule group the services are configured with. */
  readonly group: string;
  /** Stops the platform, the stand-in and the gate (the suite then checks gate.unacknowledged()). */
  stop(): Promise<void>;
}

export async function startScheduledPlatform(
  options: Pick<TestPlatformOptions, 'memberships'> & { readonly startTime: string },
): Promise<ScheduledPlatform> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const group = `test-${randomBytes(4).toString('hex')}-exports`;
  const local = await startSchedulerLocal({
    sqs: { endpoint: process.env.AWS_ENDPOINT_URL_SQS!, region, credentials: localCredentials('scheduler') },
    clock: 'manual',
    startTime: options.startTime,
  });
  const scheduler = new SchedulerClient({ endpoint: local.endpoint, region, maxAttempts: 1 });
  await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
  const gate = await startTestIamGate({ scheduler: local.endpoint });
  const schedulerEnv = { AWS_ENDPOINT_URL_SCHEDULER: gate.endpoint, SCHEDULER_GROUP_NAME: group };
  const platform = await startTestPlatform({ memberships: options.memberships, apiEnv: schedulerEnv, workerEnv: schedulerEnv });
  return {
    platform,
    local,
    scheduler,
    gate,
    group,
    async stop() {
      await platform.stop();
      scheduler.destroy();
      await local.stop();
      await gate.stop();
    },
  };
}
