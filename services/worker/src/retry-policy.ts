import type { EmailAttempt } from '@memberships/core/contract';
import type { FailureClassification, FailureKind } from './errors';

/**
 * Every decision about a failed delivery, in one place and without I/O: is
 * the failure worth another try, after how long, is this the last attempt,
 * may the email be sent again. The handler, the schedule tick and the
 * consumer carry out what these functions say (with the job store and
 * message-actions.ts); none of them decides it. Pure, so every failure
 * kind × attempt edge is a row in retry-policy.unit.test.ts.
 */

/** The settings the policy reads (WorkerConfig, through ExportHandlerSettings). */
export interface RetrySettings {
  /** The receive on which a passing failure becomes final (MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  /** First retry delay; doubles on every attempt (RETRY_BASE_DELAY_SECONDS). */
  readonly retryBaseDelaySeconds: number;
  /** Cap of the retry delay (RETRY_MAX_DELAY_SECONDS). */
  readonly retryMaxDelaySeconds: number;
  /**
   * SendEmail calls that may have delivered, per job (EMAIL_MAX_SENDS). 1
   * (default): a send whose answer was lost is not repeated; 2: once.
   */
  readonly maxEmailSends?: number | undefined;
}

/** What went wrong with one delivery of a message. */
export type Failure =
  /** The message cannot be read: no retry makes it readable. */
  | { readonly type: 'unreadable'; readonly code: string; readonly reason: string }
  /** The message names a job that does not exist. */
  | { readonly type: 'job_not_found'; readonly jobId: string }
  /**
   * The claim found the job leased by an earlier attempt of this very
   * message, which failed without releasing it (or hangs). Nobody else has a
   * copy of the message, so it must come back, once the lease has run out.
   */
  | { readonly type: 'leased_by_this_message'; readonly leaseRemainingMs: number }
  /** A stage of the export failed (or the claim itself, then `claimed` is false). */
  | {
      readonly type: 'export';
      readonly classification: FailureClassification;
      /** This attempt holds the job (the claim succeeded). */
      readonly claimed: boolean;
      /** What became of the job's email: this attempt's, or an earlier one's when this one sent none. */
      readonly emailAttempt?: EmailAttempt | undefined;
    };

/**
 * The job was canceled through the API while this attempt ran it (the lease
 * check found it `canceled`). Kept apart from Failure: it is the one outcome
 * the failure handler never carries out, because there is nothing to record.
 */
export interface CanceledFailure {
  readonly type: 'canceled';
  readonly jobId: string;
}

/** When recording the decision on the job fails (DynamoDB down), the message is retried after this many seconds instead. */
export interface UnrecordedFallback {
  readonly retryInSeconds: number;
}

/**
 * Done: the email may have been delivered, and a retry could only send it
 * again. The job is completed with its delivery unconfirmed, never failed,
 * and the message acknowledged.
 */
export interface AckDecision {
  readonly action: 'ack';
  readonly because: 'email_may_have_been_delivered';
  readonly ifNotRecorded: UnrecordedFallback;
}

/**
 * A passing failure: the message comes back after `retryInSeconds`.
 * `release`: the attempt holds the job and gives it back first (when the
 * release fails, see notBeforeLeaseEnds).
 */
export interface RetryAfterDecision {
  readonly action: 'retry';
  readonly retryInSeconds: number;
  readonly release: boolean;
}

/**
 * Final: the job (if any) is failed with `jobError`, the message copied to
 * the dead-letter queue with `reasonCode` and acknowledged. With
 * `ifNotRecorded`, a job that cannot be marked failed is retried instead;
 * without, the error is thrown and the message reappears when its
 * visibility runs out.
 */
export interface DeadLetterDecision {
  readonly action: 'dead_letter';
  readonly because: 'unreadable' | 'job_not_found' | 'permanent' | 'attempts_exhausted';
  readonly reasonCode: string;
  readonly jobError?: { readonly code: string; readonly message: string } | undefined;
  readonly ifNotRecorded?: UnrecordedFallback | undefined;
}

export type RetryDecision = AckDecision | RetryAfterDecision | DeadLetterDecision;

/**
 * A canceled job: the message is acknowledged, whatever the attempt. Not
 * retried (the user asked for nothing more), not dead-lettered (nothing went
 * wrong), the job left `canceled` as the API wrote it, and no email sent.
 */
export interface CanceledDecision {
  readonly action: 'ack';
  readonly because: 'canceled';
}

/** The attempt number from SQS's ApproximateReceiveCount: at least 1, also when it is missing or unreadable. */
export function attemptNumber(receiveCount: string | number | undefined): number {
  return Math.max(1, Number(receiveCount ?? 1) || 1);
}

/** Exponential backoff: base × 2^(attempt−1), capped at the maximum delay. */
export function backoffSeconds(receiveCount: number | undefined, settings: RetrySettings): number {
  const attempt = attemptNumber(receiveCount);
  return Math.min(settings.retryMaxDelaySeconds, settings.retryBaseDelaySeconds * 2 ** Math.min(30, attempt - 1));
}

/** Whole seconds (at least 1, plus 1 of margin) until a lease with `remainingMs` left has run out: the visibility that brings a message back after it. */
export function secondsUntilLeaseEnds(remainingMs: number): number {
  return Math.max(1, Math.ceil(remainingMs / 1000) + 1);
}

/** A retry whose job could not be released: not before the lease has run out, so the retry can take the job over. */
export function notBeforeLeaseEnds(retryInSeconds: number, leaseRemainingMs: number): number {
  return Math.max(retryInSeconds, secondsUntilLeaseEnds(leaseRemainingMs));
}

/** A send that may have delivered the email (SES accepted it, or its answer was lost). */
export function possiblyDelivered(attempt: EmailAttempt | undefined): boolean {
  return attempt !== undefined && attempt.state !== 'not_sent';
}

/** The email may have been delivered as often as a job may send it: no further send is allowed. */
export function sendsUsedUp(attempt: EmailAttempt | undefined, settings: Pick<RetrySettings, 'maxEmailSends'>): boolean {
  return possiblyDelivered(attempt) && attempt!.sends >= (settings.maxEmailSends ?? 1);
}

/** An earlier attempt's email went out (or may have, as often as allowed): the job is completed without sending. */
export function earlierEmailSettles(attempt: EmailAttempt | undefined, settings: Pick<RetrySettings, 'maxEmailSends'>): boolean {
  return attempt !== undefined && (attempt.state === 'sent' || sendsUsedUp(attempt, settings));
}

/**
 * What to do with a message after `failure` on its `receiveCount`th receive.
 * Two rules keep a job from being stranded or wrongly failed: a job whose
 * email may have gone out is never failed (completed instead, once no retry
 * could do better), and a final failure whose bookkeeping fails is retried
 * rather than dead-lettered without the job recording why.
 */
export function decide(
  failure: Extract<Failure, { type: 'unreadable' | 'job_not_found' }>,
  receiveCount: number | undefined,
  settings: RetrySettings,
): DeadLetterDecision;
export function decide(
  failure: Extract<Failure, { type: 'leased_by_this_message' }>,
  receiveCount: number | undefined,
  settings: RetrySettings,
): RetryAfterDecision;
/** A canceled job's decision depends on neither the attempt nor the settings. */
export function decide(failure: CanceledFailure, receiveCount?: number, settings?: RetrySettings): CanceledDecision;
export function decide(failure: Failure, receiveCount: number | undefined, settings: RetrySettings): RetryDecision;
export function decide(
  failure: Failure | CanceledFailure,
  receiveCount: number | undefined,
  settings?: RetrySettings,
): RetryDecision | CanceledDecision {
  const attempt = attemptNumber(receiveCount);
  if (failure.type === 'canceled') return { action: 'ack', because: 'canceled' };
  // Every other overload takes the settings.
  const retrySettings = settings as RetrySettings;
  switch (failure.type) {
    case 'unreadable':
      return {
        action: 'dead_letter',
        because: 'unreadable',
        reasonCode: failure.code,
        jobError: { code: failure.code, message: `The export request could not be read: ${failure.reason}.` },
      };
    case 'job_not_found':
      return { action: 'dead_letter', because: 'job_not_found', reasonCode: 'job_not_found' };
    case 'leased_by_this_message':
      return { action: 'retry', retryInSeconds: secondsUntilLeaseEnds(failure.leaseRemainingMs), release: false };
    case 'export':
      return decideExportFailure(failure, attempt, retrySettings);
  }
}

function decideExportFailure(failure: Extract<Failure, { type: 'export' }>, attempt: number, settings: RetrySettings): RetryDecision {
  const { classification, claimed } = failure;
  // 'unknown' is retried like 'transient' (it is only logged louder): it may be a passing fault not yet recognised.
  const permanent = classification.kind === 'permanent';
  const lastAttempt = attempt >= settings.maxAttempts;
  const retryInSeconds = backoffSeconds(attempt, settings);
  const mayHaveEmailed = claimed && possiblyDelivered(failure.emailAttempt);
  if (mayHaveEmailed && (permanent || lastAttempt || sendsUsedUp(failure.emailAttempt, settings))) {
    return { action: 'ack', because: 'email_may_have_been_delivered', ifNotRecorded: { retryInSeconds } };
  }
  if (permanent) {
    return {
      action: 'dead_letter',
      because: 'permanent',
      reasonCode: classification.code,
      jobError: { code: classification.code, message: classification.message },
    };
  }
  if (lastAttempt) {
    return {
      action: 'dead_letter',
      because: 'attempts_exhausted',
      reasonCode: classification.code,
      jobError: {
        code: classification.code,
        message: `${classification.message} The export was tried ${attempt} time${attempt === 1 ? '' : 's'}.`,
      },
      // Not acknowledged then: a later receive tries again (the redrive policy's maxReceiveCount must leave room).
      ifNotRecorded: { retryInSeconds },
    };
  }
  return { action: 'retry', retryInSeconds, release: claimed };
}

/** How long recording a finished export waits before its `attempt`th retry: 0.25 s doubling, at most 5 s. */
export function finishRetryWaitMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(Math.max(1, attempt) - 1, 5));
}

/**
 * Whether the completion of a job whose email SES accepted is tried again
 * after its `attempt`th try failed, with `msLeft` of FINISH_RETRY_SECONDS
 * remaining. Not when the lease is lost (the job is another worker's now), the
 * failure is permanent, or the wait would pass the deadline.
 */
export function finishRetry(
  attempt: number,
  failure: { readonly leaseLost: boolean; readonly kind: FailureKind },
  msLeft: number,
): { readonly retry: true; readonly waitMs: number } | { readonly retry: false } {
  const waitMs = finishRetryWaitMs(attempt);
  if (failure.leaseLost || failure.kind === 'permanent' || waitMs > msLeft) return { retry: false };
  return { retry: true, waitMs };
}

/** What is wrong with the export queue's redrive policy for MAX_ATTEMPTS, if anything (checked at start). */
export type RedriveProblem =
  /** Failed messages never reach a dead-letter queue. */
  | 'no_redrive_policy'
  /** SQS dead-letters a message (without a reason) before the worker's last attempt could fail its job. */
  | 'max_receive_count_below_max_attempts';

/**
 * The worker dead-letters on its last attempt itself; a maxReceiveCount above
 * MAX_ATTEMPTS leaves room to retry that bookkeeping when it fails.
 */
export function redriveProblem(maxReceiveCount: number | undefined, maxAttempts: number): RedriveProblem | undefined {
  if (maxReceiveCount === undefined) return 'no_redrive_policy';
  if (maxReceiveCount < maxAttempts) return 'max_receive_count_below_max_attempts';
  return undefined;
}
