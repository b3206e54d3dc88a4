import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { schedulerScheduleName } from '@memberships/core/contract';
import { startSchedulerLocal, type FaultSpec, type SchedulerLocal } from '@memberships/scheduler-local';
import { localCredentials, startTestIamGate, type DenialRecord } from '@memberships/local-platform';
import type { TestPlatform } from './test-app';

/**
 * A Scheduler stand-in of one suite's own (in process, manual clock), so a
 * suite can inject faults and look at its schedules without disturbing other
 * suites (faults are per stand-in, not per group). The suite's schedule group
 * is created in it; `client` is the real SDK client with no retries, for
 * looking at what the API did.
 */
export interface SchedulerStandIn {
  readonly local: SchedulerLocal;
  readonly endpoint: string;
  readonly client: SchedulerClient;
  /** Env for startTestApp: the API talks to this stand-in, through an IAM gate of its own. */
  readonly apiEnv: Record<string, string>;
  /** What that gate refused and no test acknowledged; a suite asserts it is empty. */
  unacknowledgedDenials(): readonly DenialRecord[];
  /** GetSchedule of the export schedule `id`; undefined when the Scheduler has none. */
  getSchedule(id: string): Promise<GetScheduleCommandOutput | undefined>;
  /**
   * Makes the next `count` calls of an operation fail. The API's client lets the SDK
   * retry (3 attempts), so the default count is 3: the call fails as the API sees it.
   */
  fail(operation: FaultSpec['operation'], options?: Omit<FaultSpec, 'operation'>): void;
  stop(): Promise<void>;
}

export const API_SDK_ATTEMPTS = 3;

export async function startSchedulerStandIn(platform: TestPlatform): Promise<SchedulerStandIn> {
  const local = await startSchedulerLocal({
    // It delivers as the schedule role, through the IAM gate, as Scheduler does in AWS.
    sqs: { endpoint: platform.aws.endpoints.sqs!, region: platform.aws.region, credentials: localCredentials('scheduler') },
    clock: 'manual',
    startTime: '2026-11-20T00:00:00Z',
  });
  const gate = await startTestIamGate({ scheduler: local.endpoint });
  const client = new SchedulerClient({ endpoint: local.endpoint, region: platform.aws.region, maxAttempts: 1 });
  await client.send(new CreateScheduleGroupCommand({ Name: platform.names.scheduleGroup }));
  return {
    local,
    endpoint: gate.endpoint,
    client,
    apiEnv: { AWS_ENDPOINT_URL_SCHEDULER: gate.endpoint },
    unacknowledgedDenials: () => gate.unacknowledged(),
    async getSchedule(id) {
      try {
        return await client.send(new GetScheduleCommand({ Name: schedulerScheduleName(id), GroupName: platform.names.scheduleGroup }));
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return undefined;
        throw error;
      }
    },
    fail(operation, options = {}) {
      local.injectFault({ operation, count: API_SDK_ATTEMPTS, ...options });
    },
    async stop() {
      client.destroy();
      await local.stop();
      await gate.stop();
    },
  };
}
