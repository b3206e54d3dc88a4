/**
 * The retry policy as tables: every failure kind × attempt edge (first,
 * middle, last but one, last = MAX_ATTEMPTS, beyond it, and a receive count
 * SQS did not give), with the backoff and its caps. Expected values are
 * written out, not computed with the policy's own formulas. Pure: no
 * emulator is touched.
 */
import type { EmailAttempt } from '@memberships/core/contract';
import type { FailureClassification, FailureKind } from './errors';
import {
  attemptNumber,
  backoffSeconds,
  decide,
  earlierEmailSettles,
  finishRetry,
  finishRetryWaitMs,
  notBeforeLeaseEnds,
  possiblyDelivered,
  redriveProblem,
  secondsUntilLeaseEnds,
  sendsUsedUp,
  type RetryDecision,
  type RetrySettings,
} from './retry-policy';

/** Five attempts, 10 s doubling to at most 900 s, one send: the defaults of WorkerConfig. */
const SETTINGS: RetrySettings = { maxAttempts: 5, retryBaseDelaySeconds: 10, retryMaxDelaySeconds: 900, maxEmailSends: 1 };

const CLASSIFICATIONS: Record<FailureKind, FailureClassification> = {
  transient: { kind: 'transient', code: 'database_unavailable', message: 'The membership database was unavailable.' },
  unknown: { kind: 'unknown', code: 'export_failed', message: 'The export failed unexpectedly.' },
  permanent: { kind: 'permanent', code: 'user_not_found', message: 'The account that requested this export no longer exists.' },
};

function emailAttempt(state: EmailAttempt['state'], sends: number): EmailAttempt {
  return {
    state,
    sends,
    method: 'attachment',
    to: 'someone@example.test',
    at: '2027-01-01T06:00:00.000Z',
    file: { key: 'exports/u/j.csv', rows: 1, bytes: 10, sha256: 'ab', contentType: 'text/csv; charset=utf-8' },
  };
}

/** An export failure of `kind`; `claimed`: the attempt held the job; `email`: what became of its email. */
function exportFailure(kind: FailureKind, claimed = true, email?: EmailAttempt) {
  return { type: 'export', classification: CLASSIFICATIONS[kind], claimed, emailAttempt: email } as const;
}

const retry = (retryInSeconds: number, release = true): RetryDecision => ({ action: 'retry', retryInSeconds, release });
const ack = (retryInSeconds: number): RetryDecision => ({
  action: 'ack',
  because: 'email_may_have_been_delivered',
  ifNotRecorded: { retryInSeconds },
});
const permanent = (): RetryDecision => ({
  action: 'dead_letter',
  because: 'permanent',
  reasonCode: 'user_not_found',
  jobError: { code: 'user_not_found', message: 'The account that requested this export no longer exists.' },
});
const exhausted = (kind: 'transient' | 'unknown', message: string, retryInSeconds: number): RetryDecision => ({
  action: 'dead_letter',
  because: 'attempts_exhausted',
  reasonCode: CLASSIFICATIONS[kind].code,
  jobError: { code: CLASSIFICATIONS[kind].code, message },
  ifNotRecorded: { retryInSeconds },
});

describe('decide: an export failure with no email sent', () => {
  it.each<[string, FailureKind, number | undefined, RetryDecision]>([
    ['transient, receive count missing (first attempt)', 'transient', undefined, retry(10)],
    ['transient, receive count 0 (first attempt)', 'transient', 0, retry(10)],
    ['transient, first attempt', 'transient', 1, retry(10)],
    ['transient, middle attempt', 'transient', 3, retry(40)],
    ['transient, last but one', 'transient', 4, retry(80)],
    [
      'transient, last attempt (= MAX_ATTEMPTS)',
      'transient',
      5,
      exhausted('transient', 'The membership database was unavailable. The export was tried 5 times.', 160),
    ],
    [
      'transient, beyond MAX_ATTEMPTS',
      'transient',
      6,
      exhausted('transient', 'The membership database was unavailable. The export was tried 6 times.', 320),
    ],
    ['unknown, receive count missing', 'unknown', undefined, retry(10)],
    ['unknown, receive count 0', 'unknown', 0, retry(10)],
    ['unknown, first attempt', 'unknown', 1, retry(10)],
    ['unknown, middle attempt', 'unknown', 3, retry(40)],
    ['unknown, last but one', 'unknown', 4, retry(80)],
    ['unknown, last attempt', 'unknown', 5, exhausted('unknown', 'The export failed unexpectedly. The export was tried 5 times.', 160)],
    [
      'unknown, beyond MAX_ATTEMPTS',
      'unknown',
      6,
      exhausted('unknown', 'The export failed unexpectedly. The export was tried 6 times.', 320),
    ],
    ['permanent, receive count missing', 'permanent', undefined, permanent()],
    ['permanent, receive count 0', 'permanent', 0, permanent()],
    ['permanent, first attempt', 'permanent', 1, permanent()],
    ['permanent, middle attempt', 'permanent', 3, permanent()],
    ['permanent, last but one', 'permanent', 4, permanent()],
    ['permanent, last attempt', 'permanent', 5, permanent()],
    ['permanent, beyond MAX_ATTEMPTS', 'permanent', 6, permanent()],
  ])('%s', (_, kind, receiveCount, expected) => {
    expect(decide(exportFailure(kind, true), receiveCount, SETTINGS)).toEqual(expected);
  });

  it.each<[string, FailureKind, number | undefined, RetryDecision]>([
    ['transient, first attempt', 'transient', 1, retry(10, false)],
    ['transient, last but one', 'transient', 4, retry(80, false)],
    [
      'transient, last attempt',
      'transient',
      5,
      exhausted('transient', 'The membership database was unavailable. The export was tried 5 times.', 160),
    ],
    ['unknown, middle attempt', 'unknown', 3, retry(40, false)],
    ['permanent, first attempt', 'permanent', 1, permanent()],
  ])('before the claim (nothing to release): %s', (_, kind, receiveCount, expected) => {
    expect(decide(exportFailure(kind, false), receiveCount, SETTINGS)).toEqual(expected);
  });

  it.each<[string, number | undefined, RetryDecision]>([
    ['first attempt', 1, exhausted('transient', 'The membership database was unavailable. The export was tried 1 time.', 10)],
    [
      'receive count missing',
      undefined,
      exhausted('transient', 'The membership database was unavailable. The export was tried 1 time.', 10),
    ],
    ['beyond', 2, exhausted('transient', 'The membership database was unavailable. The export was tried 2 times.', 20)],
  ])('MAX_ATTEMPTS=1, %s: the first attempt is the last (one "time")', (_, receiveCount, expected) => {
    const settings = { ...SETTINGS, maxAttempts: 1 };
    expect(decide(exportFailure('transient'), receiveCount, settings)).toEqual(expected);
  });

  it('with RETRY_BASE_DELAY_SECONDS=0 every retry comes back at once, also the fallback of the last attempt', () => {
    const settings = { ...SETTINGS, retryBaseDelaySeconds: 0 };
    const failure = exportFailure('transient');
    expect(decide(failure, 1, settings)).toEqual(retry(0));
    expect(decide(failure, 4, settings)).toEqual(retry(0));
    expect(decide(failure, 5, settings)).toEqual(
      exhausted('transient', 'The membership database was unavailable. The export was tried 5 times.', 0),
    );
  });

  it.each<[number, number]>([
    [1, 10],
    [4, 80],
    [7, 640],
    [8, 900],
    [20, 900],
  ])('MAX_ATTEMPTS=50, attempt %i: retried after %i s (capped at RETRY_MAX_DELAY_SECONDS)', (receiveCount, seconds) => {
    const settings = { ...SETTINGS, maxAttempts: 50 };
    expect(decide(exportFailure('transient'), receiveCount, settings)).toEqual(retry(seconds));
  });
});

describe('decide: an export failure after an email that may have been delivered', () => {
  // One send allowed: any send that may have delivered settles it, whatever the failure and attempt.
  it.each<[string, FailureKind, EmailAttempt['state'], number | undefined, RetryDecision]>([
    ['transient, sending, first attempt', 'transient', 'sending', 1, ack(10)],
    ['transient, sent, first attempt', 'transient', 'sent', 1, ack(10)],
    ['transient, unconfirmed, receive count missing', 'transient', 'unconfirmed', undefined, ack(10)],
    ['transient, unconfirmed, receive count 0', 'transient', 'unconfirmed', 0, ack(10)],
    ['transient, unconfirmed, middle attempt', 'transient', 'unconfirmed', 3, ack(40)],
    ['transient, unconfirmed, last but one', 'transient', 'unconfirmed', 4, ack(80)],
    ['transient, unconfirmed, last attempt', 'transient', 'unconfirmed', 5, ack(160)],
    ['transient, unconfirmed, beyond MAX_ATTEMPTS', 'transient', 'unconfirmed', 6, ack(320)],
    ['unknown, sent, middle attempt', 'unknown', 'sent', 3, ack(40)],
    ['unknown, unconfirmed, last attempt', 'unknown', 'unconfirmed', 5, ack(160)],
    ['permanent, sent, first attempt', 'permanent', 'sent', 1, ack(10)],
    ['permanent, unconfirmed, last attempt', 'permanent', 'unconfirmed', 5, ack(160)],
  ])('one send allowed, %s: completed, not failed', (_, kind, state, receiveCount, expected) => {
    const failure = exportFailure(kind, true, emailAttempt(state, 1));
    expect(decide(failure, receiveCount, SETTINGS)).toEqual(expected);
  });

  // Two sends allowed: after one send a passing failure is retried (a possible duplicate rather than a possible miss) until the last attempt.
  it.each<[string, FailureKind, EmailAttempt['state'], number, number | undefined, RetryDecision]>([
    ['transient, unconfirmed once, receive count missing', 'transient', 'unconfirmed', 1, undefined, retry(10)],
    ['transient, unconfirmed once, first attempt', 'transient', 'unconfirmed', 1, 1, retry(10)],
    ['transient, unconfirmed once, middle attempt', 'transient', 'unconfirmed', 1, 3, retry(40)],
    ['transient, unconfirmed once, last but one', 'transient', 'unconfirmed', 1, 4, retry(80)],
    ['transient, unconfirmed once, last attempt', 'transient', 'unconfirmed', 1, 5, ack(160)],
    ['transient, unconfirmed once, beyond MAX_ATTEMPTS', 'transient', 'unconfirmed', 1, 6, ack(320)],
    ['transient, sent once (completion failed), middle attempt', 'transient', 'sent', 1, 3, retry(40)],
    ['unknown, sending once, last but one', 'unknown', 'sending', 1, 4, retry(80)],
    ['permanent, unconfirmed once, first attempt', 'permanent', 'unconfirmed', 1, 1, ack(10)],
    ['transient, unconfirmed twice, first attempt', 'transient', 'unconfirmed', 2, 1, ack(10)],
    ['transient, unconfirmed twice, middle attempt', 'transient', 'unconfirmed', 2, 3, ack(40)],
    ['unknown, sent twice, last attempt', 'unknown', 'sent', 2, 5, ack(160)],
  ])('two sends allowed, %s', (_, kind, state, sends, receiveCount, expected) => {
    expect(decide(exportFailure(kind, true, emailAttempt(state, sends)), receiveCount, { ...SETTINGS, maxEmailSends: 2 })).toEqual(
      expected,
    );
  });

  it('without EMAIL_MAX_SENDS in the settings, one send is allowed', () => {
    const { maxEmailSends: _, ...settings } = SETTINGS;
    expect(decide(exportFailure('transient', true, emailAttempt('unconfirmed', 1)), 1, settings)).toEqual(ack(10));
  });

  // A send that certainly failed delivered nothing: the failure takes its ordinary course.
  it.each<[string, FailureKind, number | undefined, RetryDecision]>([
    ['transient, receive count missing', 'transient', undefined, retry(10)],
    ['transient, first attempt', 'transient', 1, retry(10)],
    ['transient, last but one', 'transient', 4, retry(80)],
    [
      'transient, last attempt',
      'transient',
      5,
      exhausted('transient', 'The membership database was unavailable. The export was tried 5 times.', 160),
    ],
    ['unknown, beyond', 'unknown', 6, exhausted('unknown', 'The export failed unexpectedly. The export was tried 6 times.', 320)],
    ['permanent, middle attempt', 'permanent', 3, permanent()],
  ])('not_sent, %s: as if no email', (_, kind, receiveCount, expected) => {
    const failure = exportFailure(kind, true, emailAttempt('not_sent', 0));
    expect(decide(failure, receiveCount, SETTINGS)).toEqual(expected);
  });

  // An attempt that never held the job sent nothing itself; an earlier attempt's email is settled by the next claim.
  it.each<[string, FailureKind, number, RetryDecision]>([
    ['transient, first attempt', 'transient', 1, retry(10, false)],
    [
      'transient, last attempt',
      'transient',
      5,
      exhausted('transient', 'The membership database was unavailable. The export was tried 5 times.', 160),
    ],
    ['permanent, middle attempt', 'permanent', 3, permanent()],
  ])('not claimed, earlier email unconfirmed, %s: not completed by this attempt', (_, kind, receiveCount, expected) => {
    const failure = exportFailure(kind, false, emailAttempt('unconfirmed', 1));
    expect(decide(failure, receiveCount, SETTINGS)).toEqual(expected);
  });
});

describe('decide: failures that are never retried', () => {
  /** The attempt edges with SETTINGS (MAX_ATTEMPTS 5), for a decision that must not depend on them. */
  const ATTEMPT_EDGES: [string, number | undefined][] = [
    ['receive count missing', undefined],
    ['receive count 0', 0],
    ['first attempt', 1],
    ['middle attempt', 3],
    ['last but one', 4],
    ['last attempt', 5],
    ['beyond MAX_ATTEMPTS', 6],
  ];

  it.each(ATTEMPT_EDGES)('an unreadable message is dead-lettered at once: %s', (_, receiveCount) => {
    expect(decide({ type: 'unreadable', code: 'invalid_field', reason: 'scheduledTime is not a time' }, receiveCount, SETTINGS)).toEqual({
      action: 'dead_letter',
      because: 'unreadable',
      reasonCode: 'invalid_field',
      jobError: { code: 'invalid_field', message: 'The export request could not be read: scheduledTime is not a time.' },
    });
  });

  it.each(ATTEMPT_EDGES)('a message naming a job that does not exist is dead-lettered at once: %s', (_, receiveCount) => {
    expect(decide({ type: 'job_not_found', jobId: 'job-1' }, receiveCount, SETTINGS)).toEqual({
      action: 'dead_letter',
      because: 'job_not_found',
      reasonCode: 'job_not_found',
    });
  });

  it.each(ATTEMPT_EDGES)('a job canceled while it ran is acknowledged, neither retried nor dead-lettered: %s', (_, receiveCount) => {
    expect(decide({ type: 'canceled', jobId: 'job-1' }, receiveCount, SETTINGS)).toEqual({ action: 'ack', because: 'canceled' });
    expect(decide({ type: 'canceled', jobId: 'job-1' }, receiveCount)).toEqual({ action: 'ack', because: 'canceled' });
  });

  it('a canceled job is acknowledged under any settings, even with no retries at all or several sends allowed', () => {
    for (const settings of [
      { ...SETTINGS, maxAttempts: 1 },
      { ...SETTINGS, retryBaseDelaySeconds: 0, maxEmailSends: 2 },
    ]) {
      expect(decide({ type: 'canceled', jobId: 'job-1' }, 1, settings)).toEqual({ action: 'ack', because: 'canceled' });
    }
  });
});

describe('decide: the job leased by an earlier attempt of this message', () => {
  // Given back until the lease has run out (plus 1 s), whatever the attempt: the next delivery takes the job over.
  it.each<[string, number | undefined, number, number]>([
    ['receive count missing, lease runs 8 s', undefined, 8000, 9],
    ['receive count 0, lease runs 8 s', 0, 8000, 9],
    ['first attempt, lease runs 8 s', 1, 8000, 9],
    ['middle attempt, lease runs 1.001 s', 3, 1001, 3],
    ['last but one, lease runs 1 s', 4, 1000, 2],
    ['last attempt, lease runs 0.999 s', 5, 999, 2],
    ['beyond MAX_ATTEMPTS, lease runs out now', 6, 0, 1],
    ['first attempt, lease ran out 5 s ago', 1, -5000, 1],
  ])('%s: retried after %i ms → %i s', (_, receiveCount, leaseRemainingMs, seconds) => {
    expect(decide({ type: 'leased_by_this_message', leaseRemainingMs }, receiveCount, SETTINGS)).toEqual({
      action: 'retry',
      retryInSeconds: seconds,
      release: false,
    });
  });
});

describe('backoffSeconds', () => {
  it.each<[string, number | undefined, number]>([
    ['receive count missing', undefined, 10],
    ['receive count 0', 0, 10],
    ['negative receive count', -3, 10],
    ['first attempt', 1, 10],
    ['second', 2, 20],
    ['third', 3, 40],
    ['seventh', 7, 640],
    ['eighth: 1280 capped', 8, 900],
    ['40th: the exponent is capped, no overflow', 40, 900],
    ['10 000th', 10_000, 900],
  ])('base 10 s, cap 900 s, %s: %i s', (_, receiveCount, seconds) => {
    expect(backoffSeconds(receiveCount, SETTINGS)).toBe(seconds);
  });

  it.each<[string, Pick<RetrySettings, 'retryBaseDelaySeconds' | 'retryMaxDelaySeconds'>, number, number]>([
    ['base 0: at once', { retryBaseDelaySeconds: 0, retryMaxDelaySeconds: 900 }, 5, 0],
    ['base = cap: always the cap', { retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 60 }, 1, 60],
    ['base = cap, later attempt', { retryBaseDelaySeconds: 60, retryMaxDelaySeconds: 60 }, 4, 60],
    ['test timings (1 s, cap 8 s), fourth', { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 8 }, 4, 8],
    ['test timings (1 s, cap 8 s), fifth', { retryBaseDelaySeconds: 1, retryMaxDelaySeconds: 8 }, 5, 8],
    ['SQS maximum cap (12 h)', { retryBaseDelaySeconds: 10, retryMaxDelaySeconds: 43_200 }, 30, 43_200],
  ])('%s', (_, delays, receiveCount, seconds) => {
    expect(backoffSeconds(receiveCount, { ...SETTINGS, ...delays })).toBe(seconds);
  });
});

describe('the lease wait', () => {
  it.each<[number, number]>([
    [-5000, 1],
    [0, 1],
    [1, 2],
    [1000, 2],
    [1001, 3],
    [8000, 9],
  ])('secondsUntilLeaseEnds(%i ms) = %i s', (remainingMs, seconds) => {
    expect(secondsUntilLeaseEnds(remainingMs)).toBe(seconds);
  });

  it.each<[string, number, number, number]>([
    ['the backoff is longer than the lease', 80, 8000, 80],
    ['the lease is longer than the backoff', 10, 28_000, 29],
    ['no backoff, lease ran out', 0, -1, 1],
  ])('a retry whose job was not released: %s', (_, retryInSeconds, leaseRemainingMs, seconds) => {
    expect(notBeforeLeaseEnds(retryInSeconds, leaseRemainingMs)).toBe(seconds);
  });
});

describe('what an earlier email allows', () => {
  it.each<[EmailAttempt['state'] | 'none', number, number, boolean, boolean, boolean]>([
    // state, sends, max sends → possibly delivered, sends used up, the job is completed without sending
    ['none', 0, 1, false, false, false],
    ['not_sent', 0, 1, false, false, false],
    ['not_sent', 1, 2, false, false, false],
    ['sending', 1, 1, true, true, true],
    ['sending', 1, 2, true, false, false],
    ['unconfirmed', 1, 1, true, true, true],
    ['unconfirmed', 1, 2, true, false, false],
    ['unconfirmed', 2, 2, true, true, true],
    ['sent', 1, 1, true, true, true],
    ['sent', 1, 2, true, false, true],
  ])('%s after %i send(s), %i allowed', (state, sends, maxEmailSends, delivered, usedUp, settles) => {
    const attempt = state === 'none' ? undefined : emailAttempt(state, sends);
    expect(possiblyDelivered(attempt)).toBe(delivered);
    expect(sendsUsedUp(attempt, { maxEmailSends })).toBe(usedUp);
    expect(earlierEmailSettles(attempt, { maxEmailSends })).toBe(settles);
  });
});

describe('finishing a job whose email went out', () => {
  it.each<[number, number]>([
    [1, 250],
    [2, 500],
    [3, 1000],
    [4, 2000],
    [5, 4000],
    [6, 5000],
    [7, 5000],
    [100, 5000],
  ])('try %i failed: wait %i ms', (attempt, waitMs) => {
    expect(finishRetryWaitMs(attempt)).toBe(waitMs);
  });

  it.each<[string, number, { leaseLost: boolean; kind: FailureKind }, number, ReturnType<typeof finishRetry>]>([
    ['transient, time left', 1, { leaseLost: false, kind: 'transient' }, 120_000, { retry: true, waitMs: 250 }],
    ['unknown, time left', 3, { leaseLost: false, kind: 'unknown' }, 120_000, { retry: true, waitMs: 1000 }],
    ['transient, exactly the wait left', 2, { leaseLost: false, kind: 'transient' }, 500, { retry: true, waitMs: 500 }],
    ['transient, less than the wait left', 2, { leaseLost: false, kind: 'transient' }, 499, { retry: false }],
    ['transient, deadline passed', 1, { leaseLost: false, kind: 'transient' }, -1, { retry: false }],
    ['FINISH_RETRY_SECONDS=0', 1, { leaseLost: false, kind: 'transient' }, 0, { retry: false }],
    ['permanent', 1, { leaseLost: false, kind: 'permanent' }, 120_000, { retry: false }],
    ['lease lost', 1, { leaseLost: true, kind: 'unknown' }, 120_000, { retry: false }],
  ])('%s', (_, attempt, failure, msLeft, expected) => {
    expect(finishRetry(attempt, failure, msLeft)).toEqual(expected);
  });
});

describe('attemptNumber', () => {
  it.each<[string | number | undefined, number]>([
    [undefined, 1],
    ['0', 1],
    [0, 1],
    ['1', 1],
    ['3', 3],
    [6, 6],
    ['not a number', 1],
    [-2, 1],
  ])('ApproximateReceiveCount %p → attempt %i', (receiveCount, attempt) => {
    expect(attemptNumber(receiveCount)).toBe(attempt);
  });
});

describe('redriveProblem', () => {
  it.each<[number | undefined, number, ReturnType<typeof redriveProblem>]>([
    [undefined, 5, 'no_redrive_policy'],
    [4, 5, 'max_receive_count_below_max_attempts'],
    [1, 5, 'max_receive_count_below_max_attempts'],
    [5, 5, undefined],
    [8, 5, undefined],
  ])('maxReceiveCount %p, MAX_ATTEMPTS %i: %p', (maxReceiveCount, maxAttempts, problem) => {
    expect(redriveProblem(maxReceiveCount, maxAttempts)).toBe(problem);
  });
});
