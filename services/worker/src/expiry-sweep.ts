import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  encodeWebhookMessage,
  eventOccurredMessage,
  expiryHourOf,
  fileExpiresAt,
  readState,
  type ExpirySweepV1,
  type ExportJob,
} from '@memberships/core/contract';
import type { JobStore } from '@memberships/core/dynamodb';
import type { HandleOutcome } from './consumer';
import type { ExpirySweepCursor } from './expiry-sweep-cursor';
import type { ReceivedMessage } from './message-actions';

/**
 * `export.expired`, which no write records: a succeeded job READS expired
 * once its file's retention has passed (core's readState), and the bucket's
 * lifecycle deletes the file on its own. So once an hour EventBridge
 * Scheduler puts an `expiry.sweep` message on the webhook queue, and this
 * handler, from the cursor (expiry-sweep-cursor.ts) up to the last complete
 * hour before the tick, reads each hour's jobs from the sparse
 * `byExpiryHour` index (JobStore.complete files each succeeded job under the
 * hour its file expires) and sends an `event.occurred` for every one that
 * reads expired; the fan-out (event-fanout.ts) does the rest, as for the
 * other events. An event is emitted within about an hour of the expiry.
 *
 * The cursor moves after every page, conditionally: a sweep cut short
 * resumes after the last page it sent, and of two sweeps at once only one
 * goes on. Whatever is sent twice (a crash between a page's sends and the
 * cursor's write) names the same event, which the fan-out delivers once per
 * endpoint.
 */

/** The first sweep (no cursor yet) looks this far back, no further. */
export const FIRST_SWEEP_LOOKBACK_HOURS = 72;
/** SendMessageBatch's limit. */
const BATCH_SIZE = 10;
const HOUR_MS = 3_600_000;

export interface ExpirySweepDependencies {
  readonly jobs: Pick<JobStore, 'listExpiringIn'>;
  readonly cursor: Pick<ExpirySweepCursor, 'read' | 'advance'>;
  readonly sqs: SQSClient;
  /** The webhook queue, where the events go. */
  readonly queueUrl: string;
  /** FILE_RETENTION_DAYS: when a job's file expires (the same figure JobStore.complete filed it with). */
  readonly fileRetentionDays: number;
  /** Items per Query page; default DynamoDB's (1 MB). */
  readonly pageSize?: number | undefined;
  readonly now?: () => Date;
}

/** The hour (expiryHourOf) `count` hours after `hour`. */
export function hourAfter(hour: string, count = 1): string {
  return expiryHourOf(new Date(hourStart(hour) + count * HOUR_MS));
}

/** Epoch ms at which the hour `2026-12-08T05` starts. */
export function hourStart(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

/**
 * The hours a sweep at `scheduledTime` reads: from the cursor's next hour
 * (on a first run FIRST_SWEEP_LOOKBACK_HOURS before the cutoff) through the
 * last hour that ended by the cutoff, min(scheduledTime, now). A tick is not
 * trusted beyond this worker's clock; an hour still running is left for the
 * next tick. Empty when the cursor is there already.
 */
export function hoursToSweep(nextHour: string | undefined, scheduledTime: Date, now: Date): string[] {
  const cutoff = Math.min(scheduledTime.getTime(), now.getTime());
  // The hour the cutoff falls in has not ended: the last complete one is the hour before.
  const end = expiryHourOf(new Date(cutoff));
  const start = nextHour ?? hourAfter(end, -FIRST_SWEEP_LOOKBACK_HOURS);
  const hours: string[] = [];
  for (let hour = start; hour < end; hour = hourAfter(hour)) hours.push(hour);
  return hours;
}

export class ExpirySweep {
  private readonly now: () => Date;

  constructor(private readonly deps: ExpirySweepDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Sweeps the hours due; `ack` when done or when another sweep holds the
   * cursor, `leave` when shutting down (the message comes back and the next
   * receive resumes from the cursor). Throws when a read or send failed.
   */
  async handle(context: ReceivedMessage, tick: ExpirySweepV1, shutdown?: AbortSignal): Promise<HandleOutcome> {
    const log = context.log.child({ sweep: 'expiry', scheduledTime: tick.scheduledTime });
    let cursor = await this.deps.cursor.read();
    const hours = hoursToSweep(cursor?.nextHour, new Date(tick.scheduledTime), this.now());
    let jobsRead = 0;
    let eventsSent = 0;
    for (const hour of hours) {
      let afterId = cursor?.nextHour === hour ? cursor.afterId : undefined;
      for (;;) {
        if (shutdown?.aborted) {
          log.info({ hour, afterId, jobsRead, eventsSent }, 'expiry sweep stopped for shutdown; the next receive resumes here');
          return 'leave';
        }
        const page = await this.deps.jobs.listExpiringIn(hour, { afterId, limit: this.deps.pageSize });
        jobsRead += page.jobs.length;
        eventsSent += await this.emitExpired(page.jobs);
        const moved = await this.deps.cursor.advance(
          cursor,
          page.nextAfterId ? { nextHour: hour, afterId: page.nextAfterId } : { nextHour: hourAfter(hour) },
        );
        if (!moved) {
          log.info({ hour, jobsRead, eventsSent }, 'another expiry sweep moved the cursor; leaving the rest to it');
          return 'ack';
        }
        cursor = moved;
        if (!page.nextAfterId) break;
        afterId = page.nextAfterId;
      }
    }
    log.info({ hours: hours.length, from: hours[0], through: hours.at(-1), jobsRead, eventsSent }, 'expiry sweep done');
    return 'ack';
  }

  /** Sends export.expired for the jobs that read expired now, ten to a batch; returns how many. */
  private async emitExpired(jobs: readonly ExportJob[]): Promise<number> {
    const now = this.now();
    const { fileRetentionDays } = this.deps;
    // Filed under an hour that has passed, yet not expired: the retention was raised since it finished.
    const expired = jobs.filter((job) => readState(job, now, fileRetentionDays) === 'expired');
    for (let start = 0; start < expired.length; start += BATCH_SIZE) {
      const batch = expired.slice(start, start + BATCH_SIZE);
      const { Failed = [] } = await this.deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.deps.queueUrl,
          Entries: batch.map((job, index) => ({
            Id: String(index),
            MessageBody: encodeWebhookMessage(
              eventOccurredMessage(job.id, job.userId, 'export.expired', fileExpiresAt(job, fileRetentionDays)!.toISOString()),
            ),
          })),
        }),
      );
      if (Failed.length > 0) {
        // The cursor stays before this page: the retry sends it again (the sent ones name the same events).
        throw new Error(
          `SQS refused ${Failed.length} of ${batch.length} expired events: ${Failed[0]?.Code ?? ''} ${Failed[0]?.Message ?? ''}`,
        );
      }
    }
    return expired.length;
  }
}
