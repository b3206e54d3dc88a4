import { DomainError } from '@memberships/core/contract';
import { LeaseLostError, LinkKeySecretError } from '@memberships/core/dynamodb';

/** The account that owns the job no longer exists: nobody to send the export to. */
export class UserNotFoundError extends DomainError {
  constructor(userId: string) {
    super('user_not_found', `User ${userId} does not exist.`);
  }
}

/** The message names a job of another user: never export one user's data on another's request. */
export class JobUserMismatchError extends DomainError {
  constructor(jobId: string) {
    super('job_user_mismatch', `Job ${jobId} does not belong to the user named in the message.`);
  }
}

/** The file PostgreSQL reported and the file the worker counted differ: do not send a file that may be incomplete. */
export class ExportIntegrityError extends DomainError {
  constructor(expectedRows: number, countedRows: number) {
    super('export_integrity', `PostgreSQL sent ${expectedRows} rows but the export file holds ${countedRows}.`);
  }
}

/** The export was stopped on purpose (the worker is shutting down); the job is given back, not failed. */
export class ExportAbortedError extends DomainError {
  constructor(reason: string) {
    super('export_aborted', `Export stopped: ${reason}.`);
  }
}

/** Reason passed to the export's abort signal when the worker is asked to stop. */
export function shutdownReason(): ExportAbortedError {
  return new ExportAbortedError('the worker is shutting down');
}

/**
 * The export made no progress (no rows read, nothing uploaded) for the stall
 * timeout: a dependency accepts connections but does not answer. The export
 * is abandoned and retried, instead of being kept alive by heartbeats.
 */
export class ExportStalledError extends DomainError {
  constructor(stallMs: number) {
    super('export_stalled', `The export made no progress for ${Math.round(stallMs / 1000)} s.`);
  }
}

/**
 * A passing failure: the job was released and the message left on the queue,
 * to be received again after `retryInSeconds` (retry-policy.ts). Thrown to
 * the consumer, which then does not delete the message.
 */
export class RetryScheduledError extends DomainError {
  constructor(
    readonly failure: FailureClassification,
    readonly attempt: number,
    readonly retryInSeconds: number,
    cause: unknown,
  ) {
    super('retry_scheduled', `Attempt ${attempt} failed (${failure.code}); retrying in ${retryInSeconds} s.`, { cause });
  }
}

/** Where in the export a failure happened; it names the failure code the user sees. */
export type ExportStage = 'database' | 'storage' | 'email' | 'jobs' | 'users' | 'schedules' | 'links';

/** Wraps a failure of one stage so its classification can say which part of the platform failed. */
export class StageError extends Error {
  constructor(
    readonly stage: ExportStage,
    cause: unknown,
  ) {
    super(`${stage} stage failed: ${describe(cause)}`, { cause });
    this.name = 'StageError';
  }
}

/** Runs `work` and tags any failure with `stage`. */
export async function inStage<T>(stage: ExportStage, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StageError || error instanceof DomainError) throw error;
    throw new StageError(stage, error);
  }
}

/** What a failure is; what follows from it (retry, fail, dead-letter) is retry-policy.ts's decision. */
export type FailureKind =
  /** Passing: a connection dropped, a service throttled or answered 5xx, a timeout. */
  | 'transient'
  /** Lasting: the data or the request is wrong, and a retry meets the same. */
  | 'permanent'
  /** Not recognised: may be passing, may be a bug. */
  | 'unknown';

export interface FailureClassification {
  readonly kind: FailureKind;
  /** Stable code stored on the failed job. */
  readonly code: string;
  /** Safe to show to the user: no host names, queries or stack traces. */
  readonly message: string;
}

const PUBLIC_MESSAGES: Record<string, string> = {
  database_unavailable: 'The membership database was unavailable.',
  storage_unavailable: 'The export file could not be stored.',
  storage_rejected: 'The export file storage refused the file.',
  email_unavailable: 'The email service was unavailable.',
  email_rejected: 'The email service refused to send the export email.',
  jobs_unavailable: 'The export job record could not be updated.',
  users_unavailable: 'The account could not be read.',
  schedules_unavailable: 'The export schedule could not be read.',
  links_unavailable: 'The key that signs download links could not be read.',
  invalid_data: 'Some membership data could not be exported.',
  user_not_found: 'The account that requested this export no longer exists.',
  job_user_mismatch: 'The export request does not match the export job.',
  export_integrity: 'The export file did not match the data read; it was not sent.',
  export_stalled: 'The export stopped making progress.',
  export_failed: 'The export failed unexpectedly.',
};

function classification(kind: FailureKind, code: string): FailureClassification {
  return { kind, code, message: PUBLIC_MESSAGES[code] ?? PUBLIC_MESSAGES.export_failed! };
}

/** Recognises what kind of failure `error` is (the retry policy acts on the kind) and what the user is told about it. */
export function classifyFailure(error: unknown): FailureClassification {
  if (error instanceof UserNotFoundError || error instanceof JobUserMismatchError) {
    return classification('permanent', error.code);
  }
  if (error instanceof ExportStalledError) return classification('transient', error.code);
  // A count that does not match may come from a connection cut mid-stream: worth one more try.
  if (error instanceof ExportIntegrityError) return classification('unknown', error.code);
  const stage = error instanceof StageError ? error.stage : undefined;
  // The link signing secret is missing, empty or malformed: an operator's fix, not the data's. Retried like
  // an unknown failure (a deployment may be writing the secret just now), under a code that says what it is.
  if (stage === 'links' && (error as StageError).cause instanceof LinkKeySecretError) return classification('unknown', 'links_unavailable');
  const kind = failureKind(error);
  if (kind === 'transient') return classification('transient', stage ? `${stage}_unavailable` : 'export_failed');
  if (kind === 'permanent') {
    if (stage === 'database') return classification('permanent', 'invalid_data');
    if (stage === 'email' || stage === 'storage') return classification('permanent', `${stage}_rejected`);
    // Secrets Manager refused (no such secret, access denied): the same operator's fix, and the same code.
    if (stage === 'links') return classification('permanent', 'links_unavailable');
    return classification('permanent', 'export_failed');
  }
  return classification('unknown', 'export_failed');
}

/** Error codes of Node's network stack that mean "the other side went away or is not there (yet)". */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ESOCKETTIMEDOUT',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** AWS error names that mean "slow down", whatever the service. */
const AWS_THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'TransactionInProgressException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

const AWS_TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/**
 * PostgreSQL SQLSTATEs that a retry may get past: connection exceptions
 * (class 08), operator intervention (57P01 admin shutdown, 57P02 crash
 * shutdown, 57P03 cannot connect now, 57014 statement timeout), insufficient
 * resources (class 53), and serialization failure / deadlock.
 */
function isTransientSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '57014', '40001', '40P01', '55P03'].includes(code);
}

/** Data exceptions (class 22) and integrity violations (class 23) do not go away on retry. */
function isPermanentSqlState(code: string): boolean {
  return code.startsWith('22') || code.startsWith('23');
}

/** Messages node-postgres uses when the connection ends, which carry no code. */
const PG_CONNECTION_MESSAGES =
  /connection terminated|connection error|terminating connection|timeout exceeded when trying to connect|server closed the connection|connection timeout|not queryable/i;

function failureKind(error: unknown): FailureKind {
  let verdict: FailureKind = 'unknown';
  for (const link of causeChain(error)) {
    const kind = kindOfLink(link);
    if (kind === 'transient') return 'transient';
    if (kind === 'permanent') verdict = 'permanent';
  }
  return verdict;
}

function kindOfLink(error: unknown): FailureKind {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const record = error as Record<string, unknown>;
  const code = typeof record.code === 'string' ? record.code : undefined;
  const name = typeof record.name === 'string' ? record.name : '';
  const message = typeof record.message === 'string' ? record.message : '';
  if (code && NETWORK_ERROR_CODES.has(code)) return 'transient';
  // node-postgres DatabaseError: a five-character SQLSTATE plus `severity`.
  if (code && /^[0-9A-Z]{5}$/.test(code) && 'severity' in record) {
    if (isTransientSqlState(code)) return 'transient';
    if (isPermanentSqlState(code)) return 'permanent';
    return 'unknown';
  }
  if (PG_CONNECTION_MESSAGES.test(message)) return 'transient';
  // AWS SDK v3 service exceptions carry $metadata and $fault.
  if ('$metadata' in record || '$fault' in record) {
    const metadata = record.$metadata as { httpStatusCode?: number } | undefined;
    const status = metadata?.httpStatusCode;
    if (AWS_THROTTLING_NAMES.has(name) || AWS_TRANSIENT_NAMES.has(name)) return 'transient';
    if (record.$retryable) return 'transient';
    if (status !== undefined && (status >= 500 || status === 429)) return 'transient';
    if (record.$fault === 'server') return 'transient';
    if (record.$fault === 'client') return 'permanent';
    return 'unknown';
  }
  if (AWS_TRANSIENT_NAMES.has(name) || AWS_THROTTLING_NAMES.has(name)) return 'transient';
  return 'unknown';
}

/** The error and everything it wraps (`cause`, TypeORM's `driverError`, AggregateError's `errors`). */
function* causeChain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 8) return;
  yield error;
  if (typeof error !== 'object') return;
  const record = error as Record<string, unknown>;
  yield* causeChain(record.cause, depth + 1);
  yield* causeChain(record.driverError, depth + 1);
  if (Array.isArray(record.errors)) for (const inner of record.errors) yield* causeChain(inner, depth + 1);
}

/** Network errors raised before a request could reach the other side: nothing was sent. */
const NOT_SENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/**
 * True when a failed SendEmail certainly sent nothing: SES answered (with an
 * error status), or no connection to it was ever made (refused, unknown
 * host, connect timeout). False when the request may have reached SES and
 * only its answer was lost (reset, timed out waiting): then the email may be
 * on its way.
 */
export function sendCertainlyFailed(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (typeof link !== 'object' || link === null) continue;
    const record = link as Record<string, unknown>;
    const status = (record.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
    if (typeof status === 'number' && status >= 400) return true;
    if (typeof record.code === 'string' && NOT_SENT_NETWORK_CODES.has(record.code)) return true;
    // @smithy/node-http-handler's connectionTimeout: the socket never connected.
    if (typeof record.message === 'string' && /did not establish a connection/i.test(record.message)) return true;
  }
  return false;
}

/** Exception names SES gives a send over the account's sending limits (v2, the developer guide's name, v1). */
const SES_SEND_LIMIT_NAMES = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling']);

/** SES's message when the 24-hour quota, not the rate, is used up: the same exception, but no wait of seconds ends it. */
const DAILY_QUOTA_MESSAGE = /daily (message|sending) quota/i;

/**
 * True when SES refused a send over the account's maximum send rate: SES v2
 * answers 429 TooManyRequestsException "Maximum sending rate exceeded."
 * (v1: 400 Throttling). SES answered, so nothing was sent (it drops the
 * email: https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html),
 * and the same send a moment later gets through. False for the daily quota,
 * and for a failure without SES's answer, which may have been sent.
 */
export function sendRateExceeded(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (typeof link !== 'object' || link === null) continue;
    const record = link as Record<string, unknown>;
    const status = (record.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
    if (typeof status !== 'number' || status < 400) continue;
    if (typeof record.message === 'string' && DAILY_QUOTA_MESSAGE.test(record.message)) return false;
    if (status === 429 || (typeof record.name === 'string' && SES_SEND_LIMIT_NAMES.has(record.name))) return true;
  }
  return false;
}

/** True when the failure, or anything it wraps, is a lost lease. */
export function isLeaseLost(error: unknown): boolean {
  for (const link of causeChain(error)) if (link instanceof LeaseLostError) return true;
  return false;
}

/** A one-line description for logs (never for the user). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return String(error);
}
