import type { EmailAttempt, ParseResult } from '@memberships/core/contract';
import type { JobStore } from '@memberships/core/dynamodb';
import type { CompletionEvents } from './completion-events';
import type { HandleOutcome } from './consumer';
import type { FailureNotifier } from './failure-notice';
import { classifyFailure, describe, isLeaseLost, RetryScheduledError } from './errors';
import { deliveryOf, type CompleteJob } from './job-completion';
import type { MessageActions, ReceivedMessage } from './message-actions';
import { decide, notBeforeLeaseEnds, secondsUntilLeaseEnds, type RetrySettings } from './retry-policy';

/**
 * Carries out what retry-policy.ts decides when a delivery does not end in
 * success: completes, fails or releases the job, and dead-letters or hides
 * the message (message-actions.ts). It decides nothing itself beyond what a
 * step's own failure forces (a release that fails waits for the lease), and
 * keeps the log lines an operator reads. A job it fails for good gets its
 * owner's failure notice (failure-notice.ts: at most once, best effort).
 */

/** What the failure path knows about the attempt that failed. */
export interface AttemptState {
  /** What became of this attempt's email (or an earlier attempt's, when this one sent none). */
  readonly emailAttempt?: EmailAttempt | undefined;
  /** Epoch ms when this attempt's lease runs out, as last renewed. */
  readonly leaseExpiresAt?: number | undefined;
  /** Times the job was claimed. */
  readonly attempts?: number | undefined;
  /** The job's owner (the message's, when the job was never read): its completion event names them. */
  readonly userId?: string | undefined;
}

export interface FailureHandlerDependencies {
  readonly settings: RetrySettings;
  readonly jobs: Pick<JobStore, 'release' | 'fail'>;
  readonly actions: Pick<MessageActions, 'changeVisibility' | 'deadLetter'>;
  /** This worker, the owner of the jobs it claims. */
  readonly workerId: string;
  /** Records a job as succeeded (job-completion.ts). */
  readonly complete: CompleteJob;
  /** Tells the owner of a job failed for good; never throws. */
  readonly notices: Pick<FailureNotifier, 'notify'>;
  /** The completion event of a job this path makes final (completion-events.ts). */
  readonly events: Pick<CompletionEvents, 'emit' | 'emitThenAck'>;
}

export class FailureHandler {
  constructor(private readonly deps: FailureHandlerDependencies) {}

  /** A message this worker cannot read: fail the job it names, park the message in the dead-letter queue, acknowledge. */
  async unreadable(context: ReceivedMessage, parsed: Extract<ParseResult, { ok: false }>): Promise<HandleOutcome> {
    const decision = decide({ type: 'unreadable', code: parsed.code, reason: parsed.reason }, context.receiveCount, this.deps.settings);
    const log = context.log.child({
      reasonCode: parsed.code,
      ...(parsed.jobId ? { jobId: parsed.jobId } : {}),
      ...(parsed.userId ? { userId: parsed.userId } : {}),
    });
    let failed = false;
    if (parsed.jobId && decision.jobError) {
      failed = await this.deps.jobs.fail(parsed.jobId, decision.jobError);
      log.info({ jobFailed: failed }, failed ? 'job named by the message marked failed' : 'job named by the message is final or unknown');
    }
    await this.deps.actions.deadLetter(context, decision.reasonCode, parsed.reason, { jobId: parsed.jobId });
    log.error({ reason: parsed.reason }, 'unreadable message sent to the dead-letter queue');
    if (failed && parsed.jobId && parsed.userId) {
      // Best effort, unlike the export path's: a repeat of this message would find the job final and could not tell.
      await this.deps.events
        .emit({ id: parsed.jobId, userId: parsed.userId }, 'failed')
        .catch((error: unknown) => log.error({ err: error }, 'could not send the completion event of the job failed as unreadable'));
    }
    return 'ack';
  }

  /** The message names a job that does not exist: nothing to export, nothing a retry could find. */
  async jobNotFound(context: ReceivedMessage, jobId: string): Promise<HandleOutcome> {
    const decision = decide({ type: 'job_not_found', jobId }, context.receiveCount, this.deps.settings);
    context.log.error({ reasonCode: decision.reasonCode }, 'message names a job that does not exist; sent to the dead-letter queue');
    await this.deps.actions.deadLetter(context, decision.reasonCode, `job ${jobId} does not exist`, { jobId });
    return 'ack';
  }

  /**
   * This very message's earlier attempt holds the lease: acknowledging it
   * would strand the job, so it is given back until the lease has run out,
   * and the next delivery takes the job over.
   */
  async leasedByThisMessage(context: ReceivedMessage, lease: { owner: string; expiresAt: number }): Promise<HandleOutcome> {
    const decision = decide(
      { type: 'leased_by_this_message', leaseRemainingMs: lease.expiresAt - Date.now() },
      context.receiveCount,
      this.deps.settings,
    );
    await this.deps.actions.changeVisibility(context.message, decision.retryInSeconds, context.log);
    context.log.warn(
      { leaseOwner: lease.owner, retryInSeconds: decision.retryInSeconds },
      'job still leased by an earlier attempt of this message; message given back until the lease runs out',
    );
    return 'leave';
  }

  /**
   * After a failed attempt on `jobId` (`claimed`: the attempt held it), as
   * the policy decides: complete a job whose email may have gone out, fail
   * the job and dead-letter the message, or release the job and retry later.
   * Resolves with what to do with the message; throws RetryScheduledError
   * (the message is left) once a retry is arranged.
   */
  async failed(
    context: ReceivedMessage,
    jobId: string,
    claimed: boolean,
    error: unknown,
    state: AttemptState = {},
  ): Promise<HandleOutcome> {
    const { log, receiveCount } = context;
    const failure = classifyFailure(error);
    const details = { err: error, failureCode: failure.code, failureKind: failure.kind, detail: describe(error) };
    const decision = decide(
      { type: 'export', classification: failure, claimed, emailAttempt: state.emailAttempt },
      receiveCount,
      this.deps.settings,
    );
    switch (decision.action) {
      case 'ack': {
        const attempt = state.emailAttempt!;
        try {
          await this.deps.complete(log, jobId, attempt.file, deliveryOf(attempt), attempt);
        } catch (completeError) {
          return this.retryLater(context, jobId, claimed, completeError, state, decision.ifNotRecorded.retryInSeconds, 'job not completed');
        }
        log.warn(
          { ...details, deliveryConfirmed: attempt.state === 'sent', sends: attempt.sends },
          'export failed after its email may have been delivered; job completed with delivery unconfirmed, not failed',
        );
        return state.userId ? this.deps.events.emitThenAck(context, { id: jobId, userId: state.userId }, 'succeeded') : 'ack';
      }
      case 'dead_letter': {
        let failed: boolean;
        try {
          failed = await this.failJob(context, jobId, claimed, decision.jobError!);
        } catch (failError) {
          // Without a fallback (a permanent failure) the error goes on: the message comes back when its visibility ends.
          if (!decision.ifNotRecorded) throw failError;
          return this.retryLater(context, jobId, claimed, failError, state, decision.ifNotRecorded.retryInSeconds, 'job not marked failed');
        }
        const exhausted = decision.because === 'attempts_exhausted';
        // Once the job reads failed (the notice's guard requires it); best effort, so the dead-letter follows whatever came of it.
        await this.deps.notices.notify(log, jobId, exhausted ? 'attempts_exhausted' : 'permanent');
        // Dead-lettered by the worker rather than by the redrive policy, so the message says why.
        await this.deps.actions.deadLetter(context, decision.reasonCode, describe(error), {
          jobId,
          attempts: exhausted ? (state.attempts ?? receiveCount) : state.attempts,
        });
        log.error(
          details,
          exhausted
            ? 'export failed on its last attempt; job failed, message sent to the dead-letter queue'
            : 'export failed permanently; job failed, message sent to the dead-letter queue',
        );
        // After the dead-letter copy: if the event cannot be sent, the message comes back, finds the job failed and sends it.
        return failed && state.userId ? this.deps.events.emitThenAck(context, { id: jobId, userId: state.userId }, 'failed') : 'ack';
      }
      case 'retry':
        return this.retryLater(context, jobId, decision.release, error, state, decision.retryInSeconds);
    }
  }

  /**
   * Shutdown: the job goes back to queued and the message becomes visible at
   * once, for another worker. If the release fails, the message comes back
   * when the lease has run out instead (an earlier return would only be
   * given back again by the claim).
   */
  async giveBack(context: ReceivedMessage, jobId: string, state: AttemptState): Promise<void> {
    try {
      await this.deps.jobs.release(jobId, this.deps.workerId, state.emailAttempt);
      context.log.info('worker shutting down; job released for another worker');
      await this.deps.actions.changeVisibility(context.message, 0, context.log);
    } catch (error) {
      const seconds = secondsUntilLeaseEnds(leaseRemainingMs(state));
      context.log.warn(
        { err: error, retryInSeconds: seconds },
        'could not release the job on shutdown; message given back for when its lease runs out',
      );
      await this.deps.actions.changeVisibility(context.message, seconds, context.log);
    }
  }

  /**
   * A passing failure: release the job (recording what became of its email),
   * and hide the message for `retryInSeconds` — or, when the release failed,
   * until the lease has run out. Throws RetryScheduledError so the consumer
   * leaves the message.
   */
  private async retryLater(
    context: ReceivedMessage,
    jobId: string,
    claimed: boolean,
    error: unknown,
    state: AttemptState,
    retryInSeconds: number,
    note?: string,
  ): Promise<never> {
    const { log, receiveCount } = context;
    const failure = classifyFailure(error);
    const details = { err: error, failureCode: failure.code, failureKind: failure.kind, detail: describe(error) };
    let delay = retryInSeconds;
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
          delay = notBeforeLeaseEnds(delay, leaseRemainingMs(state));
          log.warn({ err: releaseError, retryInSeconds: delay }, 'could not release the job after a failure; its lease will run out');
        }
      }
    }
    await this.deps.actions.changeVisibility(context.message, delay, log);
    // An unrecognised failure may be a bug: logged louder, though retried the same.
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

  private async failJob(
    context: ReceivedMessage,
    jobId: string,
    claimed: boolean,
    error: { code: string; message: string },
  ): Promise<boolean> {
    try {
      // Holding the job: fail it as its owner. Never claimed (the claim itself failed): fail it unless final.
      const failed = await this.deps.jobs.fail(jobId, error, claimed ? this.deps.workerId : undefined);
      if (!failed) context.log.warn({ failureCode: error.code }, 'job was already finished or gone; not marked failed');
      return failed;
    } catch (failError) {
      // Thrown on, so the message is not acknowledged: its next delivery tries again.
      context.log.error({ err: failError }, 'could not mark the job failed');
      throw failError;
    }
  }
}

/** Ms until the attempt's lease runs out, as last renewed (0 when unknown: the attempt never held it). */
function leaseRemainingMs(state: AttemptState): number {
  return (state.leaseExpiresAt ?? Date.now()) - Date.now();
}
