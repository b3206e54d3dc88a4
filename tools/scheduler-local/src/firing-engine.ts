import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from './clock';
import { TooManyFiringsError } from './errors';
import type { FaultInjector } from './faults';
import type { Logger } from './logger';
import { isoSeconds, type ScheduleRecord, type ScheduleTarget } from './schedule-model';
import type { ScheduleStore } from './schedule-store';
import type { SqsTargets } from './sqs-target';
import type { Firing } from './types';

/** Retries wait 1 s, 2 s, 4 s, ... at most this long (on the stand-in's clock). */
const MAX_BACKOFF_MS = 5 * 60_000;
/** Final firings kept for GET /_test/firings; the oldest go first in a long `npm start` session. */
const KEPT_FIRINGS = 10_000;

type MutableFiring = { -readonly [K in keyof Firing]: Firing[K] };

interface Delivery {
  readonly firing: MutableFiring;
  readonly incarnation: number;
  /** The target as defined when the occurrence came due: a later update does not rewrite an event already under way. */
  readonly target: ScheduleTarget;
  readonly firstDueMs: number;
  readonly sequence: number;
  dueMs: number;
  inFlight: boolean;
  cancelReason: string | undefined;
  /** Name of the last error (e.g. QueueDoesNotExist), the dead-letter event's ERROR_CODE. */
  lastErrorCode: string | undefined;
}

export interface FiringFilter {
  readonly scheduleName?: string | undefined;
  readonly groupName?: string | undefined;
  readonly status?: Firing['status'] | undefined;
}

/**
 * Turns schedule occurrences into target invocations.
 *
 * collect(until) runs synchronously: for each ENABLED schedule, every
 * occurrence in (evaluatedUntil, until] becomes a pending delivery, due at the
 * occurrence plus its flexible window offset, and evaluatedUntil moves to
 * `until` (disabled schedules only move evaluatedUntil, so re-enabling them
 * fires no backlog). Because evaluatedUntil never moves back, no occurrence
 * fires twice, even if the clock is set backwards.
 *
 * deliverDue() sends, in order of due time, every delivery due by the clock:
 * SendMessage with the context attributes substituted; a failure is retried
 * per the target's RetryPolicy (exponential backoff on the stand-in's clock),
 * then goes to the dead-letter queue if there is one. Runs are serialized.
 */
export class FiringEngine {
  private readonly pending: Delivery[] = [];
  private readonly firingsKept: MutableFiring[] = [];
  private sequence = 0;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ScheduleStore,
    private readonly clock: Clock,
    private readonly targets: SqsTargets,
    private readonly faults: FaultInjector,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the deliveries of every occurrence up to `untilMs`. With a `limit`,
   * throws TooManyFiringsError (changing nothing) when there are more.
   */
  collect(untilMs: number, limit = Number.POSITIVE_INFINITY): void {
    const plan: Array<{ record: ScheduleRecord; occurrences: number[]; completed: boolean }> = [];
    let total = 0;
    for (const record of this.store.all()) {
      const { definition } = record;
      if (untilMs <= record.evaluatedUntilMs) continue;
      let occurrences: number[] = [];
      if (definition.state === 'ENABLED') {
        // Start and end dates are inclusive bounds on the occurrences.
        const from = Math.max(record.evaluatedUntilMs, (definition.startDate?.getTime() ?? Number.NEGATIVE_INFINITY) - 1);
        const to = Math.min(untilMs, definition.endDate?.getTime() ?? Number.POSITIVE_INFINITY);
        const room = Number.isFinite(limit) ? limit - total + 1 : Number.MAX_SAFE_INTEGER;
        occurrences = to > from ? definition.expression.occurrencesBetween(from, to, record.anchorMs, room) : [];
        total += occurrences.length;
        if (total > limit) throw new TooManyFiringsError(total, limit, new Date(untilMs).toISOString());
      }
      plan.push({ record, occurrences, completed: definition.actionAfterCompletion === 'DELETE' && this.isComplete(record, untilMs) });
    }
    for (const { record, occurrences, completed } of plan) {
      for (const occurrence of occurrences) this.addDelivery(record, occurrence);
      record.evaluatedUntilMs = untilMs;
      if (completed) {
        // ActionAfterCompletion DELETE: the schedule goes once it has nothing left to fire; its last event still goes out.
        this.store.removeCompleted(record);
        this.logger.info({ schedule: record.arn }, 'schedule completed and was deleted (ActionAfterCompletion DELETE)');
      }
    }
  }

  /** Delivers every delivery due by the clock (after any run already under way); resolves with the firings that became final. */
  deliverDue(): Promise<Firing[]> {
    const run = this.chain.then(() => this.deliverNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the delivery runs started so far have finished. */
  async settled(): Promise<void> {
    await this.chain;
  }

  /** Drops the undelivered events of a schedule that was deleted or disabled. */
  cancel(incarnation: number, reason: string): void {
    for (const delivery of [...this.pending]) {
      if (delivery.incarnation !== incarnation) continue;
      delivery.cancelReason = reason;
      // One in flight is finished by the delivery loop: its send may already have gone out.
      if (!delivery.inFlight) {
        this.remove(delivery);
        this.finish(delivery.firing, 'cancelled', { error: reason });
      }
    }
  }

  /** Firings, oldest first (pending ones included), as snapshots. */
  firings(filter: FiringFilter = {}): Firing[] {
    const all = [...this.firingsKept, ...this.pending.map((delivery) => delivery.firing)].sort(
      (a, b) =>
        compareIso(a.dueTime, b.dueTime) || compareIso(a.scheduledTime, b.scheduledTime) || compareIso(a.scheduleArn, b.scheduleArn),
    );
    return all
      .filter(
        (firing) =>
          (filter.scheduleName === undefined || firing.scheduleName === filter.scheduleName) &&
          (filter.groupName === undefined || firing.groupName === filter.groupName) &&
          (filter.status === undefined || firing.status === filter.status),
      )
      .map((firing) => ({ ...firing }));
  }

  /** Forgets the final firings (pending ones stay). */
  clearFirings(): void {
    this.firingsKept.length = 0;
  }

  private isComplete(record: ScheduleRecord, untilMs: number): boolean {
    const { expression, endDate } = record.definition;
    if (expression.kind === 'at') return expression.occurrencesBetween(untilMs, Number.MAX_SAFE_INTEGER, record.anchorMs, 1).length === 0;
    return endDate !== undefined && untilMs >= endDate.getTime();
  }

  private addDelivery(record: ScheduleRecord, occurrenceMs: number): void {
    const { definition } = record;
    const scheduledTime = isoSeconds(occurrenceMs);
    const window = definition.flexibleTimeWindow;
    const dueMs =
      window.Mode === 'FLEXIBLE'
        ? occurrenceMs + flexibleOffsetMs(`${record.groupName}/${record.name}@${scheduledTime}`, window.MaximumWindowInMinutes)
        : occurrenceMs;
    const firing: MutableFiring = {
      executionId: randomUUID(),
      scheduleName: record.name,
      groupName: record.groupName,
      scheduleArn: record.arn,
      scheduledTime,
      dueTime: new Date(dueMs).toISOString(),
      sentTime: undefined,
      status: 'pending',
      attempts: 0,
      targetArn: definition.target.Arn,
      messageId: undefined,
      duplicateMessageId: undefined,
      body: undefined,
      error: undefined,
    };
    this.pending.push({
      firing,
      incarnation: record.incarnation,
      target: definition.target,
      firstDueMs: dueMs,
      sequence: this.sequence++,
      dueMs,
      inFlight: false,
      cancelReason: undefined,
      lastErrorCode: undefined,
    });
  }

  private async deliverNow(): Promise<Firing[]> {
    const finished: MutableFiring[] = [];
    for (;;) {
      const nowMs = this.clock.nowMs();
      const delivery = this.nextDue(nowMs);
      if (!delivery) break;
      // A manual clock jumps: each attempt is dated when it was due, as if time had passed continuously.
      const attemptTime = this.clock.mode === 'manual' ? delivery.dueMs : nowMs;
      delivery.inFlight = true;
      try {
        await this.attempt(delivery, attemptTime);
      } finally {
        delivery.inFlight = false;
      }
      if (delivery.firing.status !== 'pending') finished.push(delivery.firing);
    }
    return finished.map((firing) => ({ ...firing }));
  }

  private nextDue(nowMs: number): Delivery | undefined {
    let next: Delivery | undefined;
    for (const delivery of this.pending) {
      if (delivery.dueMs > nowMs) continue;
      if (!next || delivery.dueMs < next.dueMs || (delivery.dueMs === next.dueMs && delivery.sequence < next.sequence)) next = delivery;
    }
    return next;
  }

  private async attempt(delivery: Delivery, attemptTimeMs: number): Promise<void> {
    const { firing, target } = delivery;
    firing.attempts += 1;
    firing.body = substituteContext(target.Input ?? '{}', {
      scheduleArn: firing.scheduleArn,
      scheduledTime: firing.scheduledTime,
      executionId: firing.executionId,
      attemptNumber: firing.attempts,
    });
    const log = this.logger.child({
      schedule: firing.scheduleArn,
      scheduledTime: firing.scheduledTime,
      executionId: firing.executionId,
      attempt: firing.attempts,
    });
    try {
      const fault = this.faults.take('InvokeTarget');
      if (fault) throw Object.assign(new Error(fault.message), { name: fault.errorType });
      const sent = await this.targets.send(target.Arn, firing.body, {
        messageGroupId: target.SqsParameters?.MessageGroupId,
        sourceArn: sourceGroupArn(firing.scheduleArn),
      });
      this.remove(delivery);
      this.finish(firing, 'sent', { sentTimeMs: attemptTimeMs, messageId: sent.messageId, error: undefined });
      log.info({ queueUrl: sent.queueUrl, messageId: sent.messageId }, 'schedule fired');
      if (this.faults.take('DuplicateDelivery')) await this.duplicate(firing, target, log);
      return;
    } catch (error) {
      firing.error = describe(error);
      delivery.lastErrorCode = error instanceof Error && error.name !== 'Error' ? error.name : 'TargetInvocationFailed';
      log.warn({ error: firing.error }, 'target invocation failed');
    }
    if (delivery.cancelReason !== undefined) {
      this.remove(delivery);
      this.finish(firing, 'cancelled', {
        sentTimeMs: attemptTimeMs,
        error: `${delivery.cancelReason}; last attempt failed: ${firing.error}`,
      });
      return;
    }
    const retriesUsed = firing.attempts - 1;
    const nextDueMs = delivery.dueMs + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** retriesUsed);
    const withinAge = nextDueMs - delivery.firstDueMs <= target.RetryPolicy.MaximumEventAgeInSeconds * 1000;
    if (retriesUsed < target.RetryPolicy.MaximumRetryAttempts && withinAge) {
      delivery.dueMs = nextDueMs;
      return;
    }
    this.remove(delivery);
    await this.deadLetter(firing, target, delivery.lastErrorCode ?? 'TargetInvocationFailed', attemptTimeMs, log);
  }

  /** At-least-once delivery: the same event (same execution id and attempt number) arrives a second time. */
  private async duplicate(firing: MutableFiring, target: ScheduleTarget, log: Logger): Promise<void> {
    try {
      const copy = await this.targets.send(target.Arn, firing.body ?? '{}', {
        messageGroupId: target.SqsParameters?.MessageGroupId,
        sourceArn: sourceGroupArn(firing.scheduleArn),
      });
      firing.duplicateMessageId = copy.messageId;
      log.info({ messageId: copy.messageId }, 'event delivered a second time (injected DuplicateDelivery)');
    } catch (error) {
      log.warn({ error: describe(error) }, 'the injected second delivery failed; the event was delivered once');
    }
  }

  /** After the last attempt: the event goes to the dead-letter queue with what went wrong, or is lost. */
  private async deadLetter(firing: MutableFiring, target: ScheduleTarget, code: string, attemptTimeMs: number, log: Logger): Promise<void> {
    const reason = firing.error ?? 'unknown error';
    if (!target.DeadLetterConfig) {
      this.finish(firing, 'failed', { sentTimeMs: attemptTimeMs, error: reason });
      log.error({ error: reason }, 'event dropped after its last attempt: the schedule has no dead-letter queue');
      return;
    }
    try {
      // The dead-letter event: the body that could not be delivered, and why, as message attributes.
      const sent = await this.targets.send(target.DeadLetterConfig.Arn, firing.body ?? '{}', {
        sourceArn: sourceGroupArn(firing.scheduleArn),
        attributes: {
          ERROR_CODE: code,
          ERROR_MESSAGE: reason.slice(0, 1000),
          EXECUTION_ID: firing.executionId,
          RETRY_ATTEMPTS: String(firing.attempts - 1),
          SCHEDULE_ARN: firing.scheduleArn,
          TARGET_ARN: target.Arn,
          SCHEDULED_TIME: firing.scheduledTime,
        },
      });
      this.finish(firing, 'dead-lettered', { sentTimeMs: attemptTimeMs, messageId: sent.messageId, error: reason });
      log.warn({ error: reason, deadLetterQueue: sent.queueUrl }, 'event sent to the dead-letter queue');
    } catch (error) {
      const combined = `${reason}; the dead-letter queue failed too: ${describe(error)}`;
      this.finish(firing, 'failed', { sentTimeMs: attemptTimeMs, error: combined });
      log.error({ error: combined }, 'event lost: target and dead-letter queue both failed');
    }
  }

  private remove(delivery: Delivery): void {
    const index = this.pending.indexOf(delivery);
    if (index >= 0) this.pending.splice(index, 1);
  }

  private finish(
    firing: MutableFiring,
    status: Exclude<Firing['status'], 'pending'>,
    details: { sentTimeMs?: number; messageId?: string; error: string | undefined },
  ): void {
    firing.status = status;
    if (details.sentTimeMs !== undefined) firing.sentTime = new Date(details.sentTimeMs).toISOString();
    if (details.messageId !== undefined) firing.messageId = details.messageId;
    firing.error = details.error;
    this.firingsKept.push(firing);
    if (this.firingsKept.length > KEPT_FIRINGS) this.firingsKept.splice(0, this.firingsKept.length - KEPT_FIRINGS);
  }
}

/**
 * Where in a flexible window an occurrence is delivered: a deterministic
 * pseudo-random offset (whole seconds in [0, window)) from a hash of the
 * schedule and the occurrence, so reruns of a test see the same times while
 * different schedules spread over the window, as they do in AWS.
 */
export function flexibleOffsetMs(seed: string, windowMinutes: number): number {
  const hash = createHash('sha256').update(seed).digest();
  return (hash.readUInt32BE(0) % (windowMinutes * 60)) * 1000;
}

/** Replaces every context attribute keyword in the target input. */
export function substituteContext(
  input: string,
  context: { scheduleArn: string; scheduledTime: string; executionId: string; attemptNumber: number },
): string {
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', context.scheduleArn)
    .replaceAll('<aws.scheduler.scheduled-time>', context.scheduledTime)
    .replaceAll('<aws.scheduler.execution-id>', context.executionId)
    .replaceAll('<aws.scheduler.attempt-number>', String(context.attemptNumber));
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' && !error.message.startsWith(error.name)
      ? `${error.name}: ${error.message}`
      : error.message;
  return String(error);
}

function compareIso(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `…:schedule/<group>/<name>` → `…:schedule-group/<group>`: what Scheduler presents as aws:SourceArn. */
export function sourceGroupArn(scheduleArn: string): string {
  return scheduleArn.replace(/:schedule\/([^/]+)\/[^/]+$/, ':schedule-group/$1');
}
