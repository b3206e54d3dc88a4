import { ChangeMessageVisibilityCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import {
  EXPORT_SCHEDULED,
  LeaseLostError,
  parseMessage,
  scheduledJobId,
  type ClaimResult,
  type ExportSchedule,
  type ExportScheduledV1,
  type ExportDelivery,
  type ExportFileFacts,
  type ExportJob,
  type JobStore,
  type ParseResult,
  type ScheduleStore,
  type UserStore,
} from '@memberships/core';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { CSV_CONTENT_TYPE, exportMembershipsCsv, type CsvExportProgress } from './csv-export';
import {
  AttemptsExhaustedError,
  classifyFailure,
  describe,
  ExportAbortedError,
  inStage,
  isLeaseLost,
  JobUserMismatchError,
  RetryScheduledError,
  UserNotFoundError,
} from './errors';
import { exportFileKey, type ExportFileStore } from './file-store';
import { exportFileName, type ExportMailer } from './mailer';
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
} as const;

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

  constructor(private readonly deps: ExportHandlerDependencies) {
    this.settings = deps.settings;
    this.now = deps.now ?? (() => new Date());
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
      claim = await inStage('jobs', () => this.deps.jobs.claim(jobId, this.deps.workerId, this.settings.leaseMs));
    } catch (error) {
      return this.handleFailure(withJob, jobId, false, error);
    }
    if (!claim.claimed) {
      switch (claim.reason) {
        case 'finished':
          // A duplicate delivery of a job that is done: the user already has their email.
          log.info({ state: claim.job?.state }, 'job already finished; duplicate message acknowledged');
          return 'ack';
        case 'leased':
          // Another worker runs it and holds its own copy of the message; if it dies, that copy comes back.
          log.info('job is being exported by another worker; duplicate message acknowledged');
          return 'ack';
        case 'not_found':
          log.error({ reasonCode: 'job_not_found' }, 'message names a job that does not exist; sent to the dead-letter queue');
          await this.sendToDeadLetter(withJob, 'job_not_found', `job ${jobId} does not exist`);
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
    const heartbeat = this.startHeartbeat(job.id, progress, lease, log);
    const stop = AbortSignal.any([shutdown, lease.signal]);
    try {
      if (job.userId !== messageUserId) throw new JobUserMismatchError(job.id);
      const user = await inStage('users', () => this.deps.users.get(job.userId));
      if (!user) throw new UserNotFoundError(job.userId);

      const fileName = exportFileName(this.now());
      const key = exportFileKey(user.id, job.id);
      // Progress between heartbeats, so a poller sees the count move; fire-and-forget, never slows the stream.
      const reporter = jobProgressReporter({
        jobs: this.deps.jobs,
        jobId: job.id,
        owner: this.deps.workerId,
        attempt: job.attempts,
        intervalMs: this.settings.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
        log,
      });
      const result = await exportMembershipsCsv({
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
      }).catch((error: unknown) => {
        void reporter.stop();
        throw error;
      });
      void reporter.finish({ rowsExported: result.rows, rowsTotal: result.rows });
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
      const delivery = await this.deliver(user.email, job.id, file, fileName, result.content);
      await heartbeat.stop();
      await inStage('jobs', () => this.deps.jobs.complete(job.id, this.deps.workerId, file, delivery));
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
      if (shutdown.aborted) {
        await this.giveBack(ctx, job.id);
        return 'leave';
      }
      return this.handleFailure(ctx, job.id, true, error);
    }
  }

  private async deliver(
    to: string,
    jobId: string,
    file: ExportFileFacts,
    fileName: string,
    content: Buffer | undefined,
  ): Promise<ExportDelivery> {
    if (content) {
      const sent = await inStage('email', () =>
        this.deps.mailer.send({ method: 'attachment', to, jobId, file, fileName, content }),
      );
      return { method: 'attachment', to, emailedAt: this.now().toISOString(), messageId: sent.messageId };
    }
    const ttl = this.settings.downloadLinkTtlSeconds;
    const downloadUrl = await inStage('storage', () => this.deps.files.downloadUrl(file.key, fileName, ttl));
    const linkExpiresAt = new Date(this.now().getTime() + ttl * 1000);
    const sent = await inStage('email', () =>
      this.deps.mailer.send({ method: 'link', to, jobId, file, fileName, downloadUrl, linkExpiresAt }),
    );
    return { method: 'link', to, emailedAt: this.now().toISOString(), messageId: sent.messageId };
  }

  /**
   * Renews the lease and records progress every heartbeat interval. A lost
   * lease aborts `lease`, which stops the export; any other failure is only
   * logged (the next beat tries again, and the lease outlasts a few misses).
   * `confirm()` renews once more now and throws LeaseLostError if the job is
   * no longer ours.
   */
  private startHeartbeat(
    jobId: string,
    progress: { rowsExported: number; rowsTotal: number | null },
    lease: AbortController,
    log: Logger,
  ): { confirm(): Promise<void>; stop(): Promise<void> } {
    let inFlight: Promise<void> | undefined;
    const renew = () => this.deps.jobs.heartbeat(jobId, this.deps.workerId, this.settings.leaseMs, { ...progress });
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
    };
  }

  /** Shutdown: the job goes back to queued and the message becomes visible at once, for another worker. */
  private async giveBack(context: MessageContext, jobId: string): Promise<void> {
    try {
      await this.deps.jobs.release(jobId, this.deps.workerId);
      context.log.info('worker shutting down; job released for another worker');
    } catch (error) {
      // Its lease will run out on its own; the next worker to receive the message claims it then.
      context.log.warn({ err: error }, 'could not release the job on shutdown; its lease will expire');
    }
    await this.setVisibility(context, 0);
  }

  private async handleFailure(context: MessageContext, jobId: string, claimed: boolean, error: unknown): Promise<HandleOutcome> {
    const { log, receiveCount } = context;
    const failure = classifyFailure(error);
    const details = { err: error, failureCode: failure.code, failureKind: failure.kind, detail: describe(error) };

    if (failure.kind === 'permanent') {
      await this.failJob(context, jobId, claimed, { code: failure.code, message: failure.message });
      log.error(details, 'export failed permanently; job failed, message sent to the dead-letter queue');
      await this.sendToDeadLetter(context, failure.code, describe(error));
      return 'ack';
    }

    if (receiveCount >= this.settings.maxAttempts) {
      const message = `${failure.message} The export was tried ${receiveCount} time${receiveCount === 1 ? '' : 's'}.`;
      await this.failJob(context, jobId, claimed, { code: failure.code, message });
      // Visible at once, so SQS's redrive policy moves it to the dead-letter queue on the next receive.
      await this.setVisibility(context, 0);
      log.error(details, 'export failed on its last attempt; job failed, message left for the dead-letter queue');
      throw new AttemptsExhaustedError(failure, receiveCount, error);
    }

    const delay = this.retryDelaySeconds(receiveCount);
    if (claimed) {
      try {
        await this.deps.jobs.release(jobId, this.deps.workerId);
      } catch (releaseError) {
        log.warn({ err: releaseError }, 'could not release the job after a failure; its lease will expire');
      }
    }
    await this.setVisibility(context, delay);
    log[failure.kind === 'unknown' ? 'error' : 'warn'](
      { ...details, retryInSeconds: delay },
      'export attempt failed; job released, retry scheduled',
    );
    throw new RetryScheduledError(failure, receiveCount, delay, error);
  }

  /** Exponential backoff: base × 2^(attempt−1), capped. */
  retryDelaySeconds(attempt: number): number {
    const { retryBaseDelaySeconds: base, retryMaxDelaySeconds: cap } = this.settings;
    return Math.min(cap, base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  }

  private async failJob(
    context: MessageContext,
    jobId: string,
    claimed: boolean,
    error: { code: string; message: string },
  ): Promise<void> {
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
    await this.sendToDeadLetter(context, parsed.code, parsed.reason);
    log.error({ reason: parsed.reason }, 'unreadable message sent to the dead-letter queue');
  }

  /** Copies the message to the dead-letter queue with the reason attached; the caller then acknowledges it. */
  private async sendToDeadLetter(context: MessageContext, code: string, reason: string): Promise<void> {
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
