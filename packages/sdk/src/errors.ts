import type { ExportJob, Problem } from './types.js';

/**
 * Every error the SDK throws on purpose extends MembershipsError and carries a
 * stable `code`, so callers can branch without parsing messages. Messages are
 * written for the person running the program: what happened and what to do.
 */
export class MembershipsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The API answered with an error (application/problem+json). */
export class ApiError extends MembershipsError {
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly problem: Problem;
  /** Seconds to wait before retrying, from a `Retry-After` header (429, 503). */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, options: { retryAfterSeconds?: number | undefined } = {}) {
    super(problem.code, problem.detail ?? problem.title);
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.problem = problem;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /**
   * Builds the error from a failed response and its already-read body. A body that
   * is not a problem document (a proxy's HTML page, say) still gives an ApiError,
   * with a code made from the status so callers can rely on the shape.
   */
  static fromResponse(response: Response, body: unknown): ApiError {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
    if (isProblem(body)) return new ApiError(body, { retryAfterSeconds });
    const title = response.statusText || `HTTP ${response.status}`;
    return new ApiError(
      {
        type: 'about:blank',
        title,
        status: response.status,
        code: `http_${response.status}`,
        detail: `The API answered ${response.status} ${title} to ${new URL(response.url || 'http://unknown').pathname} without a problem document.`,
      },
      { retryAfterSeconds },
    );
  }
}

/** The API could not be reached at all (DNS, refused connection, TLS, reset). */
export class NetworkError extends MembershipsError {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    const reason = describeCause(cause);
    super(
      'network_error',
      `Could not reach the Memberships API at ${originOf(url)}${reason ? ` (${reason})` : ''}. ` +
        'Check the API URL and your network connection, and that the API is running.',
      { cause },
    );
  }
}

/** An authenticated call was made without credentials or tokens. */
export class NotAuthenticatedError extends MembershipsError {
  constructor() {
    super('not_authenticated', 'Not signed in: pass credentials to createClient() or call auth.login() first.');
  }
}

/**
 * Credentials were given but are incomplete: an email or password that is
 * missing or empty, or stored tokens without any token. Thrown by
 * createClient() and auth.login() before any request, so a script whose
 * environment variables are unset learns that, not a 400 from the API.
 */
export class MissingCredentialsError extends MembershipsError {
  constructor(
    /** The fields that are missing or empty, e.g. `['password']`, or `['accessToken', 'refreshToken']` when neither token was given. */
    readonly missing: readonly string[],
  ) {
    const tokens = missing.includes('accessToken') && missing.includes('refreshToken');
    super(
      'missing_credentials',
      tokens
        ? 'Missing credentials: stored tokens need an accessToken or a refreshToken, and neither was given (or both are empty).'
        : `Missing credentials: ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} empty or not set. ` +
            'Pass { email, password } with both set, e.g. from environment variables that are defined.',
    );
  }
}

/** The refresh token was rejected (expired, revoked, or reused): sign in again. */
export class SessionExpiredError extends MembershipsError {
  constructor(cause: unknown) {
    super('session_expired', 'Your session has expired or was revoked. Sign in again.', { cause });
  }
}

/** The export finished in state `failed`; `code` and the message come from `job.error`. */
export class ExportFailedError extends MembershipsError {
  readonly jobId: string;
  /** The API's explanation (`job.error.message`), when it gave one. */
  readonly reason: string | undefined;

  constructor(readonly job: ExportJob) {
    const reason = job.error ? `${job.error.message} (${job.error.code})` : 'no reason given';
    super(job.error?.code ?? 'export_failed', `Export ${job.id} failed: ${reason}`);
    this.jobId = job.id;
    this.reason = job.error?.message;
  }
}

/** The export was canceled (`exports.cancel()`, or another client of the same account) before it produced a file. */
export class ExportCanceledError extends MembershipsError {
  readonly jobId: string;

  constructor(readonly job: ExportJob) {
    super('export_canceled', `Export ${job.id} was canceled; request a new export to get your memberships.`);
    this.jobId = job.id;
  }
}

/** The export succeeded, but its file retention (`expires_at`) has passed: the file is gone; request a new export. */
export class ExportExpiredError extends MembershipsError {
  readonly jobId: string;

  constructor(readonly job: ExportJob) {
    super(
      'export_expired',
      `The file of export ${job.id} expired${job.expires_at ? ` at ${job.expires_at}` : ''} and was deleted; request a new export.`,
    );
    this.jobId = job.id;
  }
}

/**
 * The API answered with something the SDK's contract rules out, e.g. a
 * succeeded export without its file. Points at an API/SDK version mismatch.
 */
export class UnexpectedResponseError extends MembershipsError {
  constructor(message: string) {
    super('unexpected_response', message);
  }
}

/** `exports.wait()` gave up after its `timeoutMs`; the export may still finish. */
export class WaitTimeoutError extends MembershipsError {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    /** The job as last seen, if any poll succeeded. */
    readonly lastJob: ExportJob | undefined,
  ) {
    super(
      'wait_timeout',
      `Export ${jobId} did not finish within ${formatDuration(timeoutMs)}` +
        (lastJob ? ` (last seen ${lastJob.state})` : '') +
        '. It keeps running on the server; check it again later.',
    );
  }
}

/** The downloaded bytes do not match the checksum or size the API reported. */
export class IntegrityError extends MembershipsError {
  constructor(
    readonly jobId: string,
    readonly expected: { sha256?: string | undefined; bytes?: number | undefined },
    readonly actual: { sha256: string; bytes: number },
  ) {
    super(
      'integrity_mismatch',
      `The downloaded file of export ${jobId} does not match what the API reported: ` +
        `expected ${describeFile(expected)}, got ${describeFile(actual)}. Try the download again.`,
    );
  }
}

/** The file link the API redirected to did not deliver the file. */
export class DownloadError extends MembershipsError {
  constructor(
    readonly jobId: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('download_failed', message, options);
  }
}

export function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.status === 'number' && typeof candidate.title === 'string';
}

export function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** fetch wraps the socket error in `cause`; its code (ECONNREFUSED, ENOTFOUND) is what helps. */
function describeCause(cause: unknown): string {
  let current: unknown = cause;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (typeof current !== 'object' || current === null) return String(current);
    const { code, message, cause: inner } = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && /^[A-Z_]+$/.test(code)) return code;
    if (!inner) return typeof message === 'string' ? message : '';
    current = inner;
  }
  return '';
}

function describeFile(file: { sha256?: string | undefined; bytes?: number | undefined }): string {
  const parts = [];
  if (file.bytes !== undefined) parts.push(`${file.bytes} bytes`);
  if (file.sha256 !== undefined) parts.push(`sha256 ${file.sha256.slice(0, 12)}…`);
  return parts.join(', ');
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
