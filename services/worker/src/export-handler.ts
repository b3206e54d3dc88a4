import { ChangeMessageVisibilityCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  EXPORT_SCHEDULED,
  exportFileName,
  parseMessage,
  scheduledJobId,
  type EmailAttempt,
  type ExportSchedule,
  type ExportScheduledV1,
  type ExportDelivery,
  type ExportFileFacts,
  type ExportJob,
  type ParseResult,
} from '@memberships/core/contract';
import { LeaseLostError, type ClaimResult, type JobStore, type ScheduleStore, type UserStore } from '@memberships/core/dynamodb';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { CSV_CONTENT_TYPE, exportMembershipsCsv, type CsvExportProgress } from './csv-export';
import {
  classifyFailure,
  describe,
  ExportAbortedError,
  ExportStalledError,
  inStage,
  isLeaseLost,
  JobUserMismatchError,
  RetryScheduledError,
  sendCertainlyFailed,
  UserNotFoundError,
} from './errors';
import { exportFileKey, type ExportFileStore } from './file-store';
import type { ExportMailer } from './mailer';
import { DEFAULT_PROGRESS_INTERVAL_MS, jobProgressReporter } from './progress-reporter';

export interface ExportHandlerSettings {
  readonly exportQueueUrl: string;
  readonly exportDlqUrl: string;
  /** Receives after which a passing failure is final. */
  readonly maxAttempts: number;
  /** How long a claim on a job lasts without renewal (see leaseMsFor in config.ts). */
  readonly leaseMs: number;
  readonly heartbeatIntervalSeconds: number;
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  readonly attachmentLimitBytes: number;
  readonly downloadLinkTtlSeconds: number;
  /** Least time between two progress writes while rows stream (PROGRESS_INTERVAL_MS). Default 1000 ms. */
  readonly progressIntervalMs?: number;
  /** An export without progress for this long is abandoned and retried. Default 60 s. */
  readonly exportStallTimeoutMs?: number;
  /** How long the completion of a job whose email SES accepted is retried before the attempt is given up. Default 120 s. */
  readonly finishRetryMs?: number;
  /**
   * SendEmail calls that may have delivered, per job (README, "Email
   * delivery"). 1 (default): a send whose answer was lost is not repeated;
   * the job succeeds with its delivery unconfirmed. 2: it is repeated once.
   */
  readonly maxEmailSends?: number;
}

/** A send that may have delivered the email (SES accepted it, or its answer was lost). */
export function possiblyDelivered(attempt: EmailAttempt | undefined): boolean {
  return attempt !== undefined && attempt.state !== 'not_sent';
}

export interface ExportHandlerDependencies {
  readonly settings: ExportHandlerSettings;
  readonly jobs: JobStore;
  readonly users: UserStore;
  /** Read when a schedule tick (`export.scheduled`) arrives. */
  readonly schedules: ScheduleStore;
  readonly sqs: SQSClient;
  readonly pool: Pool;
  readonly files: ExportFileStore;
  readonly mailer: ExportMailer;
  readonly logger: Logger;
  /** Identifies this worker process as the owner of the jobs it claims. */
  readonly workerId: string;
  readonly now?: () => Date;
}

/**
 * What to do with the message: `ack` deletes it; `leave` keeps it on the
 * queue without counting as a processing error (it becomes visible again
 * when its visibility timeout ends, or at once when the handler said so).
 */
export type HandleOutcome = 'ack' | 'leave';

/** Why a message went to the dead-letter queue, as message attributes an operator can filter on. */
export const DEAD_LETTER_ATTRIBUTES = {
  reasonCode: 'reasonCode',
  reason: 'reason',
  sourceMessageId: 'sourceMessageId',
  sourceQueueUrl: 'sourceQueueUrl',
  receiveCount: 'receiveCount',
  deadLetteredAt: 'deadLetteredAt',
  /** The job the message names, when it could be read. */
  jobId: 'jobId',
  /** Times the job was claimed (its `attempts`), when known. */
  attempts: 'attempts',
} as const;

/** What the failure path knows about the attempt that failed. */
interface AttemptState {
  /** What became of this attempt's email (or an earlier attempt's, when this one sent none). */
  readonly emailAttempt?: EmailAttempt | undefined;
  /** Epoch ms when this attempt's lease runs out, as last renewed. */
  readonly leaseExpiresAt?: number | undefined;
  /** Times the job was claimed. */
  readonly attempts?: number | undefined;
}

interface MessageContext {
  readonly message: Message;
  readonly receiveCount: number;
  readonly log: Logger;
}

/** Why a schedule tick creates no job; logged with `skipping scheduled export`. */
export type ScheduleSkipReason = 'schedule_not_found' | 'schedule_paused' | 'schedule_user_mismatch';

/** Why a tick of `schedule` (as stored now) for `userId` must create no job; undefined when it may. */
export function scheduleSkipReason(schedule: ExportSchedule | undefined, userId: string): ScheduleSkipReason | undefined {
  if (!schedule) return 'schedule_not_found';
  if (schedule.userId !== userId) return 'schedule_user_mismatch';
  if (schedule.state !== 'active') return 'schedule_paused';
  return undefined;
}

/**
 * Turns one message into a CSV file in S3 and an email to the account's own
 * address, and records the outcome on the job. `export.requested` names a job
 * the API created; `export.scheduled` (a schedule tick from EventBridge
 * Scheduler) names a schedule and a time, from which the handler derives the
 * job id, creates the job if the tick has none yet, and then takes the same
 * path.
 *
 * Delivery is at least once, so everything is keyed on the job: the claim is
 * a conditional write that only one worker wins, a finished job is never run
 * again, and a running job is held by a lease the owner renews while it works.
 * One tick is one job id, so a tick delivered twice (or retried by the
 * Scheduler under another execution id) is one job and one email.
 */
export class ExportHandler {
  private readonly settings: ExportHandlerSettings;
  private readonly now: () => Date;
  private readonly maxEmailSends: number;

  constructor(private readonly deps: ExportHandlerDependencies) {
    this.settings = deps.settings;
    this.now = deps.now ?? (() => new Date());
    this.maxEmailSends = deps.settings.maxEmailSends ?? 1;
  }

  /**
   * Handles one message. Resolves with what to do with it; throws (leaving it
   * on the queue) after a passing failure, once the retry is arranged.
   * `shutdown` aborts an export in progress: the job is then given back.
   */
  async handle(message: Message, shutdown: AbortSignal): Promise<HandleOutcome> {
    const receiveCount = Math.max(1, Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1);
    const context: MessageContext = {
      message,
      receiveCount,
      log: this.deps.logger.child({ messageId: message.MessageId, receiveCount }),
    };
    const parsed = parseMessage(message.Body);
    if (!parsed.ok) {
      await this.rejectUnreadable(context, parsed);
      return 'ack';
    }
    if (parsed.message.type === EXPORT_SCHEDULED) return this.handleScheduled(context, parsed.message, shutdown);
    const { jobId, userId } = parsed.message;
    const log = context.log.child({ jobId, userId, trigger: parsed.message.trigger });
    return this.exportJob({ ...context, log }, jobId, userId, shutdown);
  }

  /**
   * A schedule tick. The tick's job exists when an earlier delivery created
   * it: then it runs on (or is acknowledged as done) whatever happened to the
   * schedule since, so a pause never strands a half-done tick. Otherwise the
   * schedule must still exist, be active and belong to the user the message
   * names; if not, the tick is skipped and acknowledged (a Scheduler schedule
   * can outlive its record for a moment, and a pause reaches the Scheduler
   * before the record). Else the job is created, without the user's
   * active-export guard so that a tick and an on-demand export never swallow
   * each other.
   */
  private async handleScheduled(context: MessageContext, tick: ExportScheduledV1, shutdown: AbortSignal): Promise<HandleOutcome> {
    const jobId = scheduledJobId(tick.scheduleId, tick.scheduledTime);
    const scheduledAt = new Date(tick.scheduledTime).toISOString();
    const log = context.log.child({
      jobId,
      userId: tick.userId,
      trigger: 'schedule',
      scheduleId: tick.scheduleId,
      scheduledTime: scheduledAt,
      ...(tick.executionId ? { executionId: tick.executionId } : {}),
    });
    const withJob = { ...context, log };

    let existing: ExportJob | undefined;
    let schedule: ExportSchedule | undefined;
    try {
      existing = await inStage('jobs', () => this.deps.jobs.get(jobId));
      if (!existing) schedule = await inStage('schedules', () => this.deps.schedules.get(tick.scheduleId));
    } catch (error) {
      return this.handleFailure(withJob, jobId, false, error);
    }

    if (existing) {
      if (existing.userId !== tick.userId) return this.skipTick(withJob, 'schedule_user_mismatch');
    } else {
      const skip = scheduleSkipReason(schedule, tick.userId);
      if (skip) return this.skipTick(withJob, skip);
      try {
        const { created } = await inStage('jobs', () =>
          this.deps.jobs.create({
            userId: tick.userId,
            trigger: 'schedule',
            jobId,
            scheduleId: tick.scheduleId,
            scheduledAt,
            skipActiveGuard: true,
          }),
        );
        log.info({ created }, created ? 'scheduled export job created' : 'scheduled export job exists already');
      } catch (error) {
        return this.handleFailure(withJob, jobId, false, error);
      }
    }
    return this.exportJob(withJob, jobId, tick.userId, shutdown, () => this.markFired(withJob, tick.scheduleId, scheduledAt));
  }

  private skipTick(context: MessageContext, reason: ScheduleSkipReason): HandleOutcome {
    // A tick for another user's schedule means a wrong template or a forged message: worth a look.
    context.log[reason === 'schedule_user_mismatch' ? 'warn' : 'info']({ skipReason: reason }, 'skipping scheduled export');
    return 'ack';
  }

  /** The schedule's lastFiredAt; the export is done either way, so a failure here is only logged. */
  private async markFired(context: MessageContext, scheduleId: string, scheduledAt: string): Promise<void> {
    try {
      await this.deps.schedules.markFired(scheduleId, scheduledAt);
    } catch (error) {
      context.log.warn({ err: error }, 'could not record the tick on the schedule; the export itself succeeded');
    }
  }

  /**
   * The path of every message once it names a job: claim → export → upload →
   * email → complete, with the failure handling. `onSucceeded` runs after
   * the job is recorded as succeeded.
   */
  private async exportJob(
    withJob: MessageContext,
    jobId: string,
    userId: string,
    shutdown: AbortSignal,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> {
    const { log } = withJob;
    let claim: ClaimResult;
    try {
      claim = await inStage('jobs', () =>
        this.deps.jobs.claim(jobId, this.deps.workerId, this.settings.leaseMs, withJob.message.MessageId),
      );
    } catch (error) {
      return this.handleFailure(withJob, jobId, false, error);
    }
    if (!claim.claimed) {
      switch (claim.reason) {
        case 'finished':
          // A duplicate delivery of a job that is done: the user already has their email.
          log.info({ state: claim.job?.state }, 'job already finished; duplicate message acknowledged');
          return 'ack';
        case 'leased': {
          if (claim.lease.attemptId !== undefined && claim.lease.attemptId === withJob.message.MessageId) {
            // This very message's earlier attempt holds the lease: it failed without releasing the job (or
            // hangs). Nobody else has a copy of the message, so acknowledging it would strand the job; it is
            // given back until the lease has run out, and the next delivery takes the job over.
            const retryInSeconds = Math.max(1, Math.ceil((claim.lease.expiresAt - Date.now()) / 1000) + 1);
            await this.setVisibility(withJob, retryInSeconds);
            log.warn(
              { leaseOwner: claim.lease.owner, retryInSeconds },
              'job still leased by an earlier attempt of this message; message given back until the lease runs out',
            );
            return 'leave';
          }
          // Another delivery runs it and holds its own copy of the message; if it fails, that copy comes back.
          log.info({ leaseOwner: claim.lease.owner }, 'job is being exported by another worker; duplicate message acknowledged');
          return 'ack';
        }
        case 'not_found':
          log.error({ reasonCode: 'job_not_found' }, 'message names a job that does not exist; sent to the dead-letter queue');
          await this.sendToDeadLetter(withJob, 'job_not_found', `job ${jobId} does not exist`, { jobId });
          return 'ack';
      }
    }
    return this.runClaimed(withJob.log.child({ attempt: claim.job.attempts }), withJob, claim.job, userId, shutdown, onSucceeded);
  }

  private async runClaimed(
    log: Logger,
    context: MessageContext,
    job: ExportJob,
    messageUserId: string,
    shutdown: AbortSignal,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> {
    const ctx = { ...context, log };
    log.info('export started');
    const progress: { rowsExported: number; rowsTotal: number | null } = { rowsExported: 0, rowsTotal: null };
    const lease = new AbortController();
    const stall = new AbortController();
    const heartbeat = this.startHeartbeat(job.id, lease, log);
    const stop = AbortSignal.any([shutdown, lease.signal, stall.signal]);
    // What this attempt did about the email; starts as what an earlier attempt recorded.
    let emailAttempt: EmailAttempt | undefined = job.emailAttempt;
    try {
      if (job.userId !== messageUserId) throw new JobUserMismatchError(job.id);
      const earlier = job.emailAttempt;
      if (earlier && (earlier.state === 'sent' || (possiblyDelivered(earlier) && earlier.sends >= this.maxEmailSends))) {
        // An earlier attempt's email went out (or may have, as often as we allow): record the job as done.
        await heartbeat.stop();
        return await this.completeFromEarlierEmail(ctx, job, earlier, onSucceeded);
      }
      const user = await inStage('users', () => this.deps.users.get(job.userId));
      if (!user) throw new UserNotFoundError(job.userId);

      const fileName = exportFileName(job);
      const key = exportFileKey(user.id, job.id);
      const watchdog = this.watchForStall(progress, stall);
      // Progress between heartbeats, so a poller sees the count move; fire-and-forget, never slows the stream.
      const reporter = jobProgressReporter({
        jobs: this.deps.jobs,
        jobId: job.id,
        owner: this.deps.workerId,
        attempt: job.attempts,
        intervalMs: this.settings.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
        log,
      });
      let result: Awaited<ReturnType<typeof exportMembershipsCsv>>;
      try {
        // Raced with the stop signal: a call stuck where the export cannot observe the signal (a hung
        // query) must not keep this attempt, and its heartbeats, alive.
        result = await untilAborted(
          exportMembershipsCsv({
            pool: this.deps.pool,
            userId: user.id,
            sink: this.deps.files.openUpload(key, fileName),
            keepInMemoryUpToBytes: this.settings.attachmentLimitBytes,
            signal: stop,
            onProgress: (update: CsvExportProgress) => {
              progress.rowsExported = update.rowsExported;
              progress.rowsTotal = update.rowsTotal;
              reporter.report(update);
            },
          }),
          stop,
        );
        void reporter.finish({ rowsExported: result.rows, rowsTotal: result.rows });
      } finally {
        watchdog();
        void reporter.stop();
      }
      const file: ExportFileFacts = {
        key,
        rows: result.rows,
        bytes: result.bytes,
        sha256: result.sha256,
        contentType: CSV_CONTENT_TYPE,
      };
      log.info({ rows: file.rows, bytes: file.bytes }, 'export file stored');
      // Still ours? A worker that stalled past its lease must not email a job another worker now runs.
      await inStage('jobs', () => heartbeat.confirm());
      // The file is stored: from here the job is finished even when a shutdown is requested (it takes a moment).
      const delivery = await this.deliver(ctx, job, user.email, file, fileName, result.content, (attempt) => {
        emailAttempt = attempt;
      });
      await heartbeat.stop();
      await this.completeWithRetries(ctx, job.id, file, delivery, emailAttempt);
      log.info({ rows: file.rows, bytes: file.bytes, delivery: delivery.method }, 'export succeeded');
      await onSucceeded?.();
      return 'ack';
    } catch (error) {
      await heartbeat.stop();
      if (lease.signal.aborted || isLeaseLost(error)) {
        // Another worker took the job over (this one stalled past its lease): leave it to them, quietly.
        log.warn({ err: error }, 'lost the job to another worker; export abandoned');
        return 'leave';
      }
      const state: AttemptState = { emailAttempt, leaseExpiresAt: heartbeat.leaseExpiresAt(), attempts: job.attempts };
      if (shutdown.aborted && !stall.signal.aborted) {
        await this.giveBack(ctx, job.id, state);
        return 'leave';
      }
      return this.handleFailure(ctx, job.id, true, error, state);
    }
  }

  /** The job's email went out on an earlier attempt (or may have, as often as allowed): complete it without sending. */
  private async completeFromEarlierEmail(
    context: MessageContext,
    job: ExportJob,
    earlier: EmailAttempt,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> {
    const confirmed = earlier.state === 'sent';
    await this.completeWithRetries(context, job.id, earlier.file, deliveryOf(earlier), earlier);
    context.log[confirmed ? 'info' : 'warn'](
      { rows: earlier.file.rows, bytes: earlier.file.bytes, delivery: earlier.method, deliveryConfirmed: confirmed, sends: earlier.sends },
      confirmed
        ? 'export succeeded; its email was sent by an earlier attempt'
        : 'export succeeded; its email may have been delivered and is not sent again (delivery unconfirmed)',
    );
    await onSucceeded?.();
    return 'ack';
  }

  /**
   * SES accepted the email (or may have): now the job must be recorded as
   * succeeded, or a retry would send the email again. Through a DynamoDB
   * outage the write is retried with backoff for up to `finishRetryMs`; the
   * message stays hidden meanwhile (sqs-consumer extends it), and the write
   * is conditional on this worker still holding the job.
   */
  private async completeWithRetries(
    context: MessageContext,
    jobId: string,
    file: ExportFileFacts,
    delivery: ExportDelivery,
    emailAttempt: EmailAttempt | undefined,
  ): Promise<void> {
    const deadline = Date.now() + (this.settings.finishRetryMs ?? 120_000);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await inStage('jobs', () => this.deps.jobs.complete(jobId, this.deps.workerId, file, delivery, emailAttempt));
        return;
      } catch (error) {
        const wait = Math.min(5000, 250 * 2 ** Math.min(attempt - 1, 5));
        if (isLeaseLost(error) || classifyFailure(error).kind === 'permanent' || Date.now() + wait > deadline) throw error;
        context.log.warn({ err: error, retryInMs: wait }, 'could not record the finished export; retrying');
        await sleep(wait);
      }
    }
  }

  /**
   * Sends the export email, recording on the job around it what a retry
   * needs to know: `sending` before SendEmail (if that write fails, nothing
   * is sent). `onAttempt` learns each state as it happens — `sent` with the
   * message id, or on failure whether the email certainly did not go out
   * (`not_sent`) or SES's answer was lost (`unconfirmed`); those are written
   * by the completion or, on failure, together with the release of the job.
   */
  private async deliver(
    context: MessageContext,
    job: ExportJob,
    to: string,
    file: ExportFileFacts,
    fileName: string,
    content: Buffer | undefined,
    onAttempt: (attempt: EmailAttempt) => void,
  ): Promise<ExportDelivery> {
    const method = content ? 'attachment' : 'link';
    const ttl = this.settings.downloadLinkTtlSeconds;
    const downloadUrl = content ? undefined : await inStage('storage', () => this.deps.files.downloadUrl(file.key, fileName, ttl));
    const earlierSends = job.emailAttempt?.sends ?? 0;
    const sending: EmailAttempt = { state: 'sending', sends: earlierSends + 1, method, to, file, at: this.now().toISOString() };
    await inStage('jobs', () => this.deps.jobs.recordEmailAttempt(job.id, this.deps.workerId, sending));
    onAttempt(sending);
    if (earlierSends > 0) {
      context.log.warn({ sends: sending.sends }, 'an earlier send of this export email may have been delivered; sending it once more');
    }
    let messageId: string | undefined;
    try {
      const sent = await inStage('email', () =>
        content
          ? this.deps.mailer.send({ method: 'attachment', to, jobId: job.id, file, fileName, content })
          : this.deps.mailer.send({
              method: 'link',
              to,
              jobId: job.id,
              file,
              fileName,
              downloadUrl: downloadUrl!,
              linkExpiresAt: new Date(this.now().getTime() + ttl * 1000),
            }),
      );
      messageId = sent.messageId;
    } catch (error) {
      const certain = sendCertainlyFailed(error);
      onAttempt({
        ...sending,
        state: certain ? 'not_sent' : 'unconfirmed',
        sends: certain ? earlierSends : sending.sends,
        at: this.now().toISOString(),
      });
      if (!certain) context.log.warn({ err: error }, 'SES answer lost: the export email may have been sent');
      throw error;
    }
    const emailedAt = this.now().toISOString();
    onAttempt({ ...sending, state: 'sent', messageId, at: emailedAt });
    context.log.info({ sesMessageId: messageId, delivery: method }, 'export email sent');
    return { method, to, emailedAt, messageId };
  }

  /** Aborts `stall` once the export's progress has not moved for the stall timeout; returns the stopper. */
  private watchForStall(progress: { rowsExported: number; rowsTotal: number | null }, stall: AbortController): () => void {
    const stallMs = this.settings.exportStallTimeoutMs ?? 60_000;
    let seen = `${progress.rowsExported}/${progress.rowsTotal}`;
    let movedAt = Date.now();
    const timer = setInterval(
      () => {
        const now = `${progress.rowsExported}/${progress.rowsTotal}`;
        if (now !== seen) {
          seen = now;
          movedAt = Date.now();
        } else if (Date.now() - movedAt >= stallMs) {
          clearInterval(timer);
          stall.abort(new ExportStalledError(stallMs));
        }
      },
      Math.max(50, Math.min(1000, stallMs / 4)),
    );
    return () => clearInterval(timer);
  }

  /**
   * Renews the lease every heartbeat interval (progress has its own writer). A lost
   * lease aborts `lease`, which stops the export; any other failure is only
   * logged (the next beat tries again, and the lease outlasts a few misses).
   * `confirm()` renews once more now and throws LeaseLostError if the job is
   * no longer ours.
   */
  private startHeartbeat(
    jobId: string,
    lease: AbortController,
    log: Logger,
  ): { confirm(): Promise<void>; stop(): Promise<void>; leaseExpiresAt(): number } {
    let inFlight: Promise<void> | undefined;
    // Until when the lease holds, as last renewed (the claim took it a moment ago).
    let leaseExpiresAt = Date.now() + this.settings.leaseMs;
    const renew = async () => {
      const startedAt = Date.now();
      await this.deps.jobs.heartbeat(jobId, this.deps.workerId, this.settings.leaseMs);
      leaseExpiresAt = startedAt + this.settings.leaseMs;
    };
    const beat = async () => {
      try {
        await renew();
      } catch (error) {
        if (error instanceof LeaseLostError) lease.abort(error);
        else log.warn({ err: error }, 'job heartbeat failed; retrying on the next beat');
      }
    };
    const timer = setInterval(() => {
      inFlight ??= beat().finally(() => {
        inFlight = undefined;
      });
    }, this.settings.heartbeatIntervalSeconds * 1000);
    return {
      confirm: async () => {
        await inFlight;
        if (lease.signal.aborted) throw lease.signal.reason;
        await renew();
      },
      stop: async () => {
        clearInterval(timer);
        await inFlight;
      },
      leaseExpiresAt: () => leaseExpiresAt,
    };
  }

  /**
   * Shutdown: the job goes back to queued and the message becomes visible at
   * once, for another worker. If the release fails, the message comes back
   * when the lease has run out instead (an earlier return would only be
   * given back again by the claim).
   */
  private async giveBack(context: MessageContext, jobId: string, state: AttemptState): Promise<void> {
    try {
      await this.deps.jobs.release(jobId, this.deps.workerId, state.emailAttempt);
      context.log.info('worker shutting down; job released for another worker');
      await this.setVisibility(context, 0);
    } catch (error) {
      const seconds = secondsUntil(state.leaseExpiresAt);
      context.log.warn(
        { err: error, retryInSeconds: seconds },
        'could not release the job on shutdown; message given back for when its lease runs out',
      );
      await this.setVisibility(context, seconds);
    }
  }

  /**
   * After a failure: a permanent one fails the job and dead-letters the
   * message; a passing one is retried with backoff, and on the last attempt
   * the job is failed and the message moved to the dead-letter queue by the
   * worker itself, with the reason attached. Two rules keep a job from being
   * stranded or wrongly failed:
   * - a job whose email may have gone out is never failed: on the last
   *   attempt it is completed with an unconfirmed delivery instead;
   * - when the job cannot be released (DynamoDB unreachable), the message is
   *   hidden until the lease has run out, so its retry can take the job over.
   */
  private async handleFailure(
    context: MessageContext,
    jobId: string,
    claimed: boolean,
    error: unknown,
    state: AttemptState = {},
  ): Promise<HandleOutcome> {
    const { log, receiveCount } = context;
    const failure = classifyFailure(error);
    const details = { err: error, failureCode: failure.code, failureKind: failure.kind, detail: describe(error) };
    const mayHaveEmailed = claimed && possiblyDelivered(state.emailAttempt);
    const final = failure.kind === 'permanent' || receiveCount >= this.settings.maxAttempts;
    // A send that may have delivered, and no further send allowed: nothing a retry could do better.
    const sendsUsedUp = mayHaveEmailed && state.emailAttempt!.sends >= this.maxEmailSends;

    if (mayHaveEmailed && (final || sendsUsedUp)) {
      const attempt = state.emailAttempt!;
      try {
        await this.completeWithRetries(context, jobId, attempt.file, deliveryOf(attempt), attempt);
      } catch (completeError) {
        return this.retryLater(context, jobId, claimed, completeError, state, 'job not completed');
      }
      log.warn(
        { ...details, deliveryConfirmed: attempt.state === 'sent', sends: attempt.sends },
        'export failed after its email may have been delivered; job completed with delivery unconfirmed, not failed',
      );
      return 'ack';
    }

    if (failure.kind === 'permanent') {
      await this.failJob(context, jobId, claimed, { code: failure.code, message: failure.message });
      log.error(details, 'export failed permanently; job failed, message sent to the dead-letter queue');
      await this.sendToDeadLetter(context, failure.code, describe(error), { jobId, attempts: state.attempts });
      return 'ack';
    }

    if (final) {
      const message = `${failure.message} The export was tried ${receiveCount} time${receiveCount === 1 ? '' : 's'}.`;
      try {
        await this.failJob(context, jobId, claimed, { code: failure.code, message });
      } catch (failError) {
        // Not acknowledged: a later receive tries again (the redrive policy's maxReceiveCount must leave room).
        return this.retryLater(context, jobId, claimed, failError, state, 'job not marked failed');
      }
      // Dead-lettered by the worker rather than by the redrive policy, so the message says why.
      await this.sendToDeadLetter(context, failure.code, describe(error), {
        jobId,
        attempts: state.attempts ?? receiveCount,
      });
      log.error(details, 'export failed on its last attempt; job failed, message sent to the dead-letter queue');
      return 'ack';
    }

    return this.retryLater(context, jobId, claimed, error, state);
  }

  /**
   * A passing failure: release the job (recording what became of its email),
   * and hide the message for the backoff delay — or, when the release failed,
   * until the lease has run out. Throws RetryScheduledError so the consumer
   * leaves the message.
   */
  private async retryLater(
    context: MessageContext,
    jobId: string,
    claimed: boolean,
    error: unknown,
    state: AttemptState,
    note?: string,
  ): Promise<never> {
    const { log, receiveCount } = context;
    const failure = classifyFailure(error);
    const details = { err: error, failureCode: failure.code, failureKind: failure.kind, detail: describe(error) };
    let delay = this.retryDelaySeconds(receiveCount);
    let released = !claimed;
    if (claimed) {
      try {
        await this.deps.jobs.release(jobId, this.deps.workerId, state.emailAttempt);
        released = true;
      } catch (releaseError) {
        if (isLeaseLost(releaseError)) {
          // Someone else holds the job now; their copy of the message finishes it.
          log.warn(
            { ...details, releaseError: describe(releaseError) },
            'export attempt failed and the job is held elsewhere; message left',
          );
          released = true;
        } else {
          delay = Math.max(delay, secondsUntil(state.leaseExpiresAt));
          log.warn({ err: releaseError, retryInSeconds: delay }, 'could not release the job after a failure; its lease will run out');
        }
      }
    }
    await this.setVisibility(context, delay);
    log[failure.kind === 'unknown' ? 'error' : 'warn'](
      { ...details, retryInSeconds: delay, ...(note ? { note } : {}) },
      claimed && released
        ? 'export attempt failed; job released, retry scheduled'
        : claimed
          ? 'export attempt failed; job not released (its lease runs out first), retry scheduled'
          : 'export attempt failed before the job was claimed; retry scheduled',
    );
    throw new RetryScheduledError(failure, receiveCount, delay, error);
  }

  /** Exponential backoff: base × 2^(attempt−1), capped. */
  retryDelaySeconds(attempt: number): number {
    const { retryBaseDelaySeconds: base, retryMaxDelaySeconds: cap } = this.settings;
    return Math.min(cap, base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  }

  private async failJob(context: MessageContext, jobId: string, claimed: boolean, error: { code: string; message: string }): Promise<void> {
    try {
      // Holding the job: fail it as its owner. Never claimed (the claim itself failed): fail it unless final.
      const failed = await this.deps.jobs.fail(jobId, error, claimed ? this.deps.workerId : undefined);
      if (!failed) context.log.warn({ failureCode: error.code }, 'job was already finished or gone; not marked failed');
    } catch (failError) {
      // Thrown on, so the message is not acknowledged: its next delivery tries again.
      context.log.error({ err: failError }, 'could not mark the job failed');
      throw failError;
    }
  }

  /** A message this worker cannot read: fail the job it names, park the message in the dead-letter queue, acknowledge. */
  private async rejectUnreadable(context: MessageContext, parsed: Extract<ParseResult, { ok: false }>): Promise<void> {
    const log = context.log.child({
      reasonCode: parsed.code,
      ...(parsed.jobId ? { jobId: parsed.jobId } : {}),
      ...(parsed.userId ? { userId: parsed.userId } : {}),
    });
    if (parsed.jobId) {
      const failed = await this.deps.jobs.fail(parsed.jobId, {
        code: parsed.code,
        message: `The export request could not be read: ${parsed.reason}.`,
      });
      log.info({ jobFailed: failed }, failed ? 'job named by the message marked failed' : 'job named by the message is final or unknown');
    }
    await this.sendToDeadLetter(context, parsed.code, parsed.reason, { jobId: parsed.jobId });
    log.error({ reason: parsed.reason }, 'unreadable message sent to the dead-letter queue');
  }

  /** Copies the message to the dead-letter queue with the reason attached; the caller then acknowledges it. */
  private async sendToDeadLetter(
    context: MessageContext,
    code: string,
    reason: string,
    job: { jobId?: string | undefined; attempts?: number | undefined } = {},
  ): Promise<void> {
    const { message, receiveCount } = context;
    const text = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1024) || '-' });
    await this.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.settings.exportDlqUrl,
        // SQS refuses an empty body; an empty message can only have been malformed.
        MessageBody: message.Body || '(empty message body)',
        MessageAttributes: {
          [DEAD_LETTER_ATTRIBUTES.reasonCode]: text(code),
          [DEAD_LETTER_ATTRIBUTES.reason]: text(reason),
          [DEAD_LETTER_ATTRIBUTES.sourceMessageId]: text(message.MessageId ?? 'unknown'),
          [DEAD_LETTER_ATTRIBUTES.sourceQueueUrl]: text(this.settings.exportQueueUrl),
          [DEAD_LETTER_ATTRIBUTES.receiveCount]: { DataType: 'Number', StringValue: String(receiveCount) },
          [DEAD_LETTER_ATTRIBUTES.deadLetteredAt]: text(this.now().toISOString()),
          ...(job.jobId ? { [DEAD_LETTER_ATTRIBUTES.jobId]: text(job.jobId) } : {}),
          ...(job.attempts !== undefined
            ? { [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(job.attempts) } }
            : {}),
        },
      }),
    );
  }

  private async setVisibility(context: MessageContext, seconds: number): Promise<void> {
    try {
      await this.deps.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.settings.exportQueueUrl,
          ReceiptHandle: context.message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (error) {
      // The message then reappears when its current visibility timeout ends: later, but not lost.
      context.log.warn({ err: error, visibilityTimeout: seconds }, 'could not change the message visibility');
    }
  }
}

/** Reason passed to the export's abort signal when the worker is asked to stop. */
export function shutdownReason(): ExportAbortedError {
  return new ExportAbortedError('the worker is shutting down');
}

/** Settles like `work`, or rejects with the signal's reason as soon as it aborts (`work` is then left to settle on its own). */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whole seconds (at least 1, plus 1 of margin) until `epochMs`; the visibility that brings a message back after a lease. */
function secondsUntil(epochMs: number | undefined): number {
  return Math.max(1, Math.ceil(((epochMs ?? Date.now()) - Date.now()) / 1000) + 1);
}

/** The delivery recorded on a job from what its email attempt says. */
function deliveryOf(attempt: EmailAttempt): ExportDelivery {
  return {
    method: attempt.method,
    to: attempt.to,
    emailedAt: attempt.at,
    messageId: attempt.messageId,
    ...(attempt.state === 'sent' ? {} : { confirmed: false }),
  };
}
