import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from './logger';

/** Where a firing stands. Everything but `pending` is final. */
export type FiringStatus =
  /** Due (or being retried) but not delivered yet: its send time has not come, or a retry is waiting. */
  | 'pending'
  /** SendMessage to the target queue succeeded. */
  | 'sent'
  /** Every attempt failed; the event went to the schedule's dead-letter queue. */
  | 'dead-lettered'
  /** Every attempt failed and there was no dead-letter queue (or sending to it failed too): the event is lost, as in AWS. */
  | 'failed'
  /** The schedule was deleted or disabled before the event could be delivered. */
  | 'cancelled';

/** One invocation of a schedule's target (one occurrence of its expression), with all its attempts. */
export interface Firing {
  /** The `<aws.scheduler.execution-id>`: one per invocation, the same on every attempt. */
  readonly executionId: string;
  readonly scheduleName: string;
  readonly groupName: string;
  readonly scheduleArn: string;
  /** The nominal occurrence, `<aws.scheduler.scheduled-time>`: ISO 8601 UTC, seconds precision, e.g. `2026-03-01T05:00:00Z`. */
  readonly scheduledTime: string;
  /** When the first attempt was due: the scheduled time plus the flexible window offset (equal to it with Mode OFF). ISO 8601. */
  readonly dueTime: string;
  /** When the final attempt was made (on the stand-in's clock); undefined while pending or when cancelled before any attempt. ISO 8601. */
  readonly sentTime: string | undefined;
  readonly status: FiringStatus;
  /** Attempts made so far (the last `<aws.scheduler.attempt-number>`). */
  readonly attempts: number;
  readonly targetArn: string;
  /** SQS message id of the delivered message (status `sent`), or of the dead-letter message (status `dead-lettered`). */
  readonly messageId: string | undefined;
  /** SQS message id of the second copy, when a DuplicateDelivery fault sent the message twice. */
  readonly duplicateMessageId: string | undefined;
  /** The message body as sent (context attributes substituted); undefined until an attempt is made. */
  readonly body: string | undefined;
  /** The last error, for `dead-lettered`, `failed`, `cancelled` and pending retries. */
  readonly error: string | undefined;
}

/**
 * Operations a fault can be injected into. `InvokeTarget` is the SendMessage of
 * a firing (each attempt fails). `DuplicateDelivery` makes the next successful
 * invocations send their message twice, as Scheduler's at-least-once delivery allows.
 */
export const FAULT_OPERATIONS = [
  'CreateScheduleGroup',
  'GetScheduleGroup',
  'DeleteScheduleGroup',
  'ListScheduleGroups',
  'CreateSchedule',
  'GetSchedule',
  'UpdateSchedule',
  'DeleteSchedule',
  'ListSchedules',
  'InvokeTarget',
  'DuplicateDelivery',
] as const;
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

export interface FaultSpec {
  readonly operation: FaultOperation;
  /** How many of the next calls fail. Default 1. */
  readonly count?: number;
  /**
   * HTTP status of the failure: 400, 402, 404, 409, 429 or 500 (default), answered
   * as the matching Scheduler exception (500: InternalServerException). For InvokeTarget
   * only the exception name counts (it becomes the error's name); ignored for DuplicateDelivery.
   */
  readonly status?: number;
  /** Exception name to answer instead of the one matching `status`. */
  readonly errorType?: string;
  /** Default: `Injected fault (scheduler-local)`. */
  readonly message?: string;
  /**
   * `before` (default): the call fails without any effect. `after`: the call
   * takes effect and then answers the error, like a response lost on the way
   * back (a retry of CreateSchedule with the same ClientToken then succeeds).
   * Ignored for InvokeTarget and DuplicateDelivery.
   */
  readonly when?: 'before' | 'after';
}

export interface SchedulerLocalOptions {
  /** TCP port on 127.0.0.1. Default 0: a free port chosen at run time. */
  readonly port?: number;
  /**
   * The SQS endpoint targets are sent to (e.g. `AWS_ENDPOINT_URL_SQS` of the
   * jest global setup) and its region. With an endpoint, the client signs with
   * fixed local credentials unless `credentials` are given. Ignored when `sqsClient` is given.
   */
  readonly sqs?: {
    readonly endpoint?: string;
    readonly region: string;
    readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** A ready SQS client instead of `sqs` (it is not destroyed by stop()). */
  readonly sqsClient?: SQSClient;
  /**
   * `manual` (default): time stands still until setTime() / POST /_test/clock moves it.
   * `real`: the wall clock; due schedules are checked every `tickMs`.
   */
  readonly clock?: 'manual' | 'real';
  /** Start time of a manual clock. Default: the current wall-clock time. */
  readonly startTime?: Date | string;
  /** How often a real clock checks for due schedules, in ms. Default 1000. */
  readonly tickMs?: number;
  /** Region in schedule and group ARNs. Default: the SQS region, else `us-east-1`. */
  readonly region?: string;
  /** Account id in schedule and group ARNs. Default `000000000000`. */
  readonly accountId?: string;
  /** A manual clock move that would fire more events than this is refused (nothing fires). Default 10000. */
  readonly maxFiringsPerClockMove?: number;
  /** Where the stand-in logs (pino-compatible). Default: silent. */
  readonly logger?: Logger;
  /** Wall-clock source of a real clock, for tests of the timer. Default `() => new Date()`. */
  readonly timeSource?: () => Date;
}
