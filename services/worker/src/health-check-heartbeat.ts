import { renameSync, writeFileSync } from 'node:fs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { WorkerConfig } from './config';

/**
 * Where the worker keeps its heartbeat, and where the container health check
 * (health-check.ts) looks: /tmp is the task's one writable volume, the root
 * filesystem is read-only.
 */
export const DEFAULT_HEARTBEAT_FILE = '/tmp/memberships-worker.heartbeat';

/**
 * sqs-consumer's pause before polling again after a receive that failed to
 * connect (its `authenticationErrorTimeout` default).
 */
const POLL_RETRY_PAUSE_MS = 10_000;

/**
 * SQS calls that prove the consumer loop turns: every poll is a
 * ReceiveMessage; while an export runs (one message at a time, so no poll),
 * sqs-consumer keeps the message hidden with ChangeMessageVisibility every
 * heartbeat interval.
 */
const LOOP_COMMANDS: ReadonlySet<string> = new Set(['ReceiveMessageCommand', 'ChangeMessageVisibilityCommand']);

/**
 * The longest a healthy worker goes between two of those calls settling:
 * the longer of the long-poll wait and the visibility heartbeat, plus a
 * request's deadline (a call that hangs is cut off there), plus the pause
 * after a failed receive.
 */
export function heartbeatMaxGapMs(config: Pick<WorkerConfig, 'receiveWaitSeconds' | 'heartbeatIntervalSeconds' | 'awsTimeouts'>): number {
  return (
    Math.max(config.receiveWaitSeconds, config.heartbeatIntervalSeconds) * 1000 + config.awsTimeouts.requestTimeoutMs + POLL_RETRY_PAUSE_MS
  );
}

/**
 * The least time between two writes of the heartbeat file. Every consumer
 * call that settles beats, for each lane and the webhook lanes: many times a
 * second at peak. Each write is two synchronous syscalls on the event loop (a
 * CPU profile of the one-lane worker in the peak bench put them at 0.8 s of
 * its 11.1 s busy, about 5 ms per export). A beat inside this interval is
 * skipped; the file then says due by the last write + max gap + this interval.
 */
export const HEARTBEAT_WRITE_INTERVAL_MS = 1_000;

/**
 * The worker side of its liveness probe. Each beat writes the time by which
 * the next one is due (epoch ms), so the check needs no copy of the worker's
 * settings. The file is replaced by a rename: the check never reads half of it.
 * Beats closer together than HEARTBEAT_WRITE_INTERVAL_MS write once.
 */
export class HeartbeatFile {
  private lastWriteAt: number | undefined;

  constructor(
    readonly path: string,
    private readonly maxGapMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  beat(): void {
    const now = this.now();
    if (this.lastWriteAt !== undefined && now - this.lastWriteAt >= 0 && now - this.lastWriteAt < HEARTBEAT_WRITE_INTERVAL_MS) return;
    const temporary = `${this.path}.${process.pid}.tmp`;
    // A beat skipped just after this write may be the last before a gap of maxGapMs: the due time covers it.
    writeFileSync(temporary, String(now + this.maxGapMs + HEARTBEAT_WRITE_INTERVAL_MS));
    renameSync(temporary, this.path);
    this.lastWriteAt = now;
  }
}

/**
 * Beats whenever a consumer-loop call settles, answered or failed: liveness
 * is "the loop still turns", not "SQS answers" (an SQS outage is not cured by
 * replacing the task; readiness and the queue alarms report it).
 */
export function beatOnConsumerCalls(sqs: SQSClient, heartbeat: HeartbeatFile, onError: (error: unknown) => void): void {
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } finally {
        if (LOOP_COMMANDS.has(context.commandName ?? '')) {
          try {
            heartbeat.beat();
          } catch (error) {
            onError(error);
          }
        }
      }
    },
    { step: 'initialize', name: 'workerHeartbeat' },
  );
}
