import {
  emailsDownloadLinks,
  exportContentType,
  exportFileName,
  exportOptionsOf,
  type DeliveryMethod,
  type EmailAttempt,
  type ExportDelivery,
  type ExportFileFacts,
  type ExportJob,
  type User,
} from '@memberships/core/contract';
import { JobCanceledError, type ClaimResult, type JobStore, type UserStore } from '@memberships/core/dynamodb';
import type { Pool } from 'pg';
import type { HandleOutcome } from './consumer';
import { exportMemberships, type ExportProgress, type ParallelRanges } from './csv-export';
import type { CompletionEvents } from './completion-events';
import type { EmailLinks } from './email-links';
import { inStage, isLeaseLost, JobUserMismatchError, sendCertainlyFailed, UserNotFoundError } from './errors';
import type { AttemptState, FailureHandler } from './failure-handler';
import { exportFileKey, type ExportFileStore } from './file-store';
import { deliveryOf, type CompleteJob } from './job-completion';
import { startLeaseHeartbeat, type LeaseHeartbeat } from './lease-heartbeat';
import type { ExportEmail, ExportMailer, MonthlyExport } from './mailer';
import type { ReceivedMessage } from './message-actions';
import { DEFAULT_PROGRESS_INTERVAL_MS, jobProgressReporter } from './progress-reporter';
import { decide, earlierEmailSettles } from './retry-policy';
import { DEFAULT_STALL_TIMEOUT_MS, watchForStall } from './stall-watchdog';

/**
 * The export pipeline for a message that names a job: claim → export →
 * upload → email → complete. Which message goes here is message-router.ts's
 * (and schedule-tick.ts's) concern; what follows a failure is decided by
 * retry-policy.ts and carried out by failure-handler.ts; the lease and the
 * stall timer run beside the export (lease-heartbeat.ts, stall-watchdog.ts).
 *
 * Delivery is at least once, so everything is keyed on the job: the claim is
 * a conditional write that only one worker wins, a finished job is never run
 * again, and a running job is held by a lease the owner renews while it works.
 */

export interface ExportHandlerSettings {
  /** How long a claim on a job lasts without renewal (see leaseMsFor in config.ts). */
  readonly leaseMs: number;
  readonly heartbeatIntervalSeconds: number;
  readonly attachmentLimitBytes: number;
  /** FILE_RETENTION_DAYS: when the file of an `app` email is deleted (the link emails' token says it itself). */
  readonly fileRetentionDays: number;
  /** Least time between two progress writes while rows stream (PROGRESS_INTERVAL_MS). Default 1000 ms. */
  readonly progressIntervalMs?: number;
  /** An export without progress for this long is abandoned and retried. Default 60 s. */
  readonly exportStallTimeoutMs?: number;
  /** SendEmail calls that may have delivered, per job (retry-policy.ts RetrySettings). Default 1. */
  readonly maxEmailSends?: number;
  /** Large CSV/JSONL exports in parallel id ranges (csv-export.ts); unset: one stream. */
  readonly parallelRanges?: ParallelRanges | undefined;
  /** How often a running export checks whether its job was canceled (lease-heartbeat.ts). Default 1000 ms. */
  readonly cancelCheckIntervalMs?: number;
}

export interface ExportHandlerDependencies {
  readonly settings: ExportHandlerSettings;
  readonly jobs: JobStore;
  readonly users: UserStore;
  readonly pool: Pool;
  readonly files: ExportFileStore;
  readonly mailer: ExportMailer;
  /** Signs the emails' download and pause links (email-links.ts). */
  readonly links: EmailLinks;
  /** What follows an attempt that does not succeed. */
  readonly failures: FailureHandler;
  /** Records a job as succeeded (job-completion.ts). */
  readonly complete: CompleteJob;
  /** The job's completion event, sent before the message is acknowledged (completion-events.ts). */
  readonly events: Pick<CompletionEvents, 'emitThenAck' | 'emitAgainFor'>;
  /** Identifies this worker process as the owner of the jobs it claims. */
  readonly workerId: string;
  readonly now?: () => Date;
}

export class ExportHandler {
  private readonly settings: ExportHandlerSettings;
  private readonly now: () => Date;

  constructor(private readonly deps: ExportHandlerDependencies) {
    this.settings = deps.settings;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * The path of every message once it names a job. Resolves with what to do
   * with the message; throws (leaving it on the queue) after a passing
   * failure, once the retry is arranged. `shutdown` aborts an export in
   * progress: the job is then given back. `onSucceeded` runs after the job
   * is recorded as succeeded.
   */
  readonly exportJob = async (
    withJob: ReceivedMessage,
    jobId: string,
    userId: string,
    shutdown: AbortSignal,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> => {
    const { log } = withJob;
    // Read beside the claim (one round trip less per export); used once the claim shows the job is this user's.
    const userRead = inStage('users', () => this.deps.users.get(userId));
    userRead.catch(() => undefined);
    let claim: ClaimResult;
    try {
      claim = await inStage('jobs', () =>
        this.deps.jobs.claim(jobId, this.deps.workerId, this.settings.leaseMs, withJob.message.MessageId),
      );
    } catch (error) {
      return this.deps.failures.failed(withJob, jobId, false, error, { userId });
    }
    if (!claim.claimed) {
      switch (claim.reason) {
        case 'finished':
          // A duplicate delivery of a job that is done (the user already has their email), or one canceled before it ran.
          log.info(
            { state: claim.job?.state },
            claim.job?.state === 'canceled'
              ? 'job canceled before it ran; message acknowledged'
              : 'job already finished; duplicate message acknowledged',
          );
          // Its event again: this may be the retry of a delivery that recorded the job but could not send it.
          return this.deps.events.emitAgainFor(withJob, claim.job);
        case 'leased':
          // This very message's earlier attempt holds the lease: it failed without releasing the job (or hangs).
          if (claim.lease.attemptId !== undefined && claim.lease.attemptId === withJob.message.MessageId) {
            return this.deps.failures.leasedByThisMessage(withJob, claim.lease);
          }
          // Another delivery runs it and holds its own copy of the message; if it fails, that copy comes back.
          log.info({ leaseOwner: claim.lease.owner }, 'job is being exported by another worker; duplicate message acknowledged');
          return 'ack';
        case 'not_found':
          return this.deps.failures.jobNotFound(withJob, jobId);
      }
    }
    return this.runClaimed(
      { ...withJob, log: withJob.log.child({ attempt: claim.job.attempts }) },
      claim.job,
      userId,
      userRead,
      shutdown,
      onSucceeded,
    );
  };

  private async runClaimed(
    ctx: ReceivedMessage,
    job: ExportJob,
    messageUserId: string,
    userRead: Promise<User | undefined>,
    shutdown: AbortSignal,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> {
    const { log } = ctx;
    log.info('export started');
    // Updated in place as rows stream; the stall watchdog reads it.
    const progress: { rowsExported: number; rowsTotal: number | null } = { rowsExported: 0, rowsTotal: null };
    const lease = new AbortController();
    const stall = new AbortController();
    const heartbeat = startLeaseHeartbeat({
      jobs: this.deps.jobs,
      jobId: job.id,
      owner: this.deps.workerId,
      leaseMs: this.settings.leaseMs,
      intervalSeconds: this.settings.heartbeatIntervalSeconds,
      lease,
      log,
      // A job canceled through the API stops its export within seconds, not at the next renewal.
      cancelCheck: { jobs: this.deps.jobs, intervalMs: this.settings.cancelCheckIntervalMs },
    });
    const stop = AbortSignal.any([shutdown, lease.signal, stall.signal]);
    // What this attempt did about the email; starts as what an earlier attempt recorded.
    let emailAttempt: EmailAttempt | undefined = job.emailAttempt;
    try {
      if (job.userId !== messageUserId) throw new JobUserMismatchError(job.id);
      const earlier = job.emailAttempt;
      if (earlier && earlierEmailSettles(earlier, this.settings)) {
        // An earlier attempt's email went out (or may have, as often as we allow): record the job as done.
        await heartbeat.stop();
        return await this.completeFromEarlierEmail(ctx, job, earlier, onSucceeded);
      }
      // The message's user, read beside the claim: the same as the job's (checked above).
      const user = await userRead;
      if (!user) throw new UserNotFoundError(job.userId);

      // The job record's options are authoritative (the message's are for logs); old jobs get the defaults.
      const options = exportOptionsOf(job);
      const fileName = exportFileName(job);
      const key = exportFileKey(user.id, job.id, options);
      const contentType = exportContentType(options);
      const watchdog = watchForStall(progress, stall, this.settings.exportStallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
      // Progress between heartbeats, so a poller sees the count move; fire-and-forget, never slows the stream.
      const reporter = jobProgressReporter({
        jobs: this.deps.jobs,
        jobId: job.id,
        owner: this.deps.workerId,
        attempt: job.attempts,
        intervalMs: this.settings.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
        log,
      });
      let result: Awaited<ReturnType<typeof exportMemberships>>;
      try {
        // Raced with the stop signal: a call stuck where the export cannot observe the signal (a hung
        // query) must not keep this attempt, and its heartbeats, alive.
        result = await untilAborted(
          exportMemberships({
            pool: this.deps.pool,
            userId: user.id,
            export: options,
            sink: this.deps.files.openUpload(key, fileName, contentType),
            keepInMemoryUpToBytes: this.settings.attachmentLimitBytes,
            parallel: this.settings.parallelRanges,
            signal: stop,
            onProgress: (update: ExportProgress) => {
              progress.rowsExported = update.rowsExported;
              progress.rowsTotal = update.rowsTotal;
              reporter.report(update);
            },
          }),
          stop,
        );
      } finally {
        watchdog();
        void reporter.stop();
      }
      const file: ExportFileFacts = {
        key,
        rows: result.rows,
        bytes: result.bytes,
        sha256: result.sha256,
        contentType,
      };
      log.info({ rows: file.rows, bytes: file.bytes }, 'export file stored');
      // The file is stored: from here the job is finished even when a shutdown is requested (it takes a moment).
      const delivery = await this.deliver(ctx, job, user, file, fileName, result.content, heartbeat, (attempt) => {
        emailAttempt = attempt;
      });
      await heartbeat.stop();
      await this.deps.complete(log, job.id, file, delivery, emailAttempt);
      log.info({ rows: file.rows, bytes: file.bytes, delivery: delivery.method }, 'export succeeded');
      await onSucceeded?.();
      return await this.deps.events.emitThenAck(ctx, job, 'succeeded');
    } catch (error) {
      await heartbeat.stop();
      if ((lease.signal.aborted || isLeaseLost(error)) && (await this.wasCanceled(job.id, lease.signal.reason, error))) {
        // The export was stopped (the upload aborts with it: csv-export.ts) before any email; the API already
        // wrote `canceled` and freed the user's guard, so there is nothing to record, retry or dead-letter.
        const decision = decide({ type: 'canceled', jobId: job.id }, ctx.receiveCount);
        log.info({ because: decision.because, rowsExported: progress.rowsExported }, 'export canceled; stopped without sending anything');
        return decision.action;
      }
      if (lease.signal.aborted || isLeaseLost(error)) {
        // Another worker took the job over (this one stalled past its lease): leave it to them, quietly.
        log.warn({ err: error }, 'lost the job to another worker; export abandoned');
        return 'leave';
      }
      const state: AttemptState = {
        emailAttempt,
        leaseExpiresAt: heartbeat.leaseExpiresAt(),
        attempts: job.attempts,
        userId: job.userId,
      };
      if (shutdown.aborted && !stall.signal.aborted) {
        await this.deps.failures.giveBack(ctx, job.id, state);
        return 'leave';
      }
      return this.deps.failures.failed(ctx, job.id, true, error, state);
    }
  }

  /**
   * Whether a lost lease is a cancel: the cancel check said so, or (a renewal
   * or a conditional write ran into the canceled job first) the job reads
   * canceled now. If that read fails, it is handled as a plain lost lease.
   */
  private async wasCanceled(jobId: string, leaseReason: unknown, error: unknown): Promise<boolean> {
    if (leaseReason instanceof JobCanceledError || error instanceof JobCanceledError) return true;
    return this.deps.jobs.isCanceled(jobId).catch(() => false);
  }

  /** The job's email went out on an earlier attempt (or may have, as often as allowed): complete it without sending. */
  private async completeFromEarlierEmail(
    context: ReceivedMessage,
    job: ExportJob,
    earlier: EmailAttempt,
    onSucceeded?: () => Promise<void>,
  ): Promise<HandleOutcome> {
    const confirmed = earlier.state === 'sent';
    await this.deps.complete(context.log, job.id, earlier.file, deliveryOf(earlier), earlier);
    context.log[confirmed ? 'info' : 'warn'](
      { rows: earlier.file.rows, bytes: earlier.file.bytes, delivery: earlier.method, deliveryConfirmed: confirmed, sends: earlier.sends },
      confirmed
        ? 'export succeeded; its email was sent by an earlier attempt'
        : 'export succeeded; its email may have been delivered and is not sent again (delivery unconfirmed)',
    );
    await onSucceeded?.();
    return this.deps.events.emitThenAck(context, job, 'succeeded');
  }

  /**
   * Sends the export email, recording on the job around it what a retry
   * needs to know: `sending` before SendEmail, written only while the lease
   * is ours and renewing it (if that write fails, nothing is sent). `onAttempt` learns each state as it happens — `sent` with the
   * message id, or on failure whether the email certainly did not go out
   * (`not_sent`) or SES's answer was lost (`unconfirmed`); those are written
   * by the completion or, on failure, together with the release of the job.
   */
  private async deliver(
    context: ReceivedMessage,
    job: ExportJob,
    user: User,
    file: ExportFileFacts,
    fileName: string,
    content: Buffer | undefined,
    heartbeat: Pick<LeaseHeartbeat, 'confirm'>,
    onAttempt: (attempt: EmailAttempt) => void,
  ): Promise<ExportDelivery> {
    const to = user.email;
    const method: DeliveryMethod = content ? 'attachment' : emailsDownloadLinks(user) ? 'link' : 'app';
    const email = await this.composeEmail(job, to, file, fileName, content, method);
    const earlierSends = job.emailAttempt?.sends ?? 0;
    const sending: EmailAttempt = { state: 'sending', sends: earlierSends + 1, method, to, file, at: this.now().toISOString() };
    // Still ours? A worker that stalled past its lease must not email a job another worker now runs. The
    // `sending` record is conditional on the lease and renews it: the confirmation costs no request of its own.
    await inStage('jobs', () =>
      heartbeat.confirm(() => this.deps.jobs.recordEmailAttempt(job.id, this.deps.workerId, sending, this.settings.leaseMs)),
    );
    onAttempt(sending);
    if (earlierSends > 0) {
      context.log.warn({ sends: sending.sends }, 'an earlier send of this export email may have been delivered; sending it once more');
    }
    let messageId: string | undefined;
    try {
      messageId = (await inStage('email', () => this.deps.mailer.send(email))).messageId;
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

  /** The export email, with its signed links made now (before the `sending` record, so a failure here sends nothing). */
  private async composeEmail(
    job: ExportJob,
    to: string,
    file: ExportFileFacts,
    fileName: string,
    content: Buffer | undefined,
    method: DeliveryMethod,
  ): Promise<ExportEmail> {
    const at = this.now();
    const common = { to, jobId: job.id, requestedAt: job.createdAt, file, fileName, monthly: await this.monthly(job, at) };
    if (content) return { ...common, method: 'attachment', content };
    if (method === 'app') {
      return { ...common, method: 'app', fileExpiresAt: new Date(at.getTime() + this.settings.fileRetentionDays * 86_400_000) };
    }
    const link = await inStage('links', () => this.deps.links.download(job, at));
    return { ...common, method: 'link', downloadUrl: link.url, linkExpiresAt: link.expiresAt };
  }

  /** For a subscription's export: the pause link its email carries. */
  private async monthly(job: ExportJob, at: Date): Promise<MonthlyExport | undefined> {
    if (job.trigger !== 'schedule' || !job.scheduleId) return undefined;
    const scheduleId = job.scheduleId;
    const pause = await inStage('links', () => this.deps.links.pause(scheduleId, job.userId, at));
    return { scheduleId, pauseUrl: pause.url };
  }
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
