import { DomainError } from '@memberships/core/contract';
import type { FieldError } from './schemas/problem';

/**
 * Errors the API answers with, as RFC 9457 problem details. Each class has a
 * stable `code` (clients branch on it, it never changes) and the HTTP status;
 * `title` is the same for every occurrence of a problem type, `detail` may
 * explain this occurrence. The problem-details plugin turns them into responses.
 */
export class HttpProblem extends DomainError {
  constructor(
    readonly status: number,
    code: string,
    readonly title: string,
    detail: string,
    options: {
      /** Extra response headers (WWW-Authenticate, Retry-After...). */
      readonly headers?: Readonly<Record<string, string>>;
      /** Extension members added to the problem document. */
      readonly extensions?: Readonly<Record<string, unknown>>;
      /** Log level of the occurrence; default info for 4xx, error for 5xx. */
      readonly logLevel?: 'info' | 'warn' | 'error';
      readonly cause?: unknown;
    } = {},
  ) {
    super(code, detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
    this.logLevel = options.logLevel ?? (status >= 500 ? 'error' : 'info');
  }

  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly logLevel: 'info' | 'warn' | 'error';
}

/** The request does not match its schema; `errors` names the failing field(s). */
export class ValidationFailedError extends HttpProblem {
  constructor(readonly errors: readonly FieldError[]) {
    const first = errors[0];
    const detail = first ? `${first.in}${first.field ? ` field "${first.field}"` : ''} ${first.message}` : 'The request is invalid.';
    super(400, 'validation_failed', 'Validation failed', detail, { extensions: { errors } });
  }
}

export class InvalidCredentialsError extends HttpProblem {
  constructor() {
    super(401, 'invalid_credentials', 'Invalid credentials', 'The email address or the password is wrong.');
  }
}

/** No bearer token: RFC 6750 says to answer without an error code in WWW-Authenticate. */
export class AuthenticationRequiredError extends HttpProblem {
  constructor() {
    super(401, 'authentication_required', 'Authentication required', 'Send an access token: Authorization: Bearer <token>.', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
}

export class InvalidTokenError extends HttpProblem {
  constructor(cause?: unknown) {
    super(401, 'invalid_token', 'Invalid access token', 'The access token is malformed, expired, or not issued for this API.', {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      cause,
    });
  }
}

export class InsufficientScopeError extends HttpProblem {
  constructor(scope: string) {
    super(403, 'insufficient_scope', 'Insufficient scope', `This operation needs the scope ${scope}.`, {
      headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    });
  }
}

export class ExportNotFoundError extends HttpProblem {
  constructor(id: string) {
    super(404, 'export_not_found', 'Export not found', `There is no export ${id} for this account.`);
  }
}

export class ExportNotReadyError extends HttpProblem {
  constructor(id: string, state: string) {
    super(409, 'export_not_ready', 'Export not ready', `Export ${id} is ${state}; its file can be downloaded once it has succeeded.`, {
      extensions: { state },
    });
  }
}

export class ExportFailedError extends HttpProblem {
  constructor(id: string) {
    super(409, 'export_failed', 'Export failed', `Export ${id} failed and has no file; request a new export.`, {
      extensions: { state: 'failed' },
    });
  }
}

export class ExportFileExpiredError extends HttpProblem {
  constructor(id: string, days: number) {
    super(
      410,
      'export_file_expired',
      'Export file expired',
      `The file of export ${id} was deleted ${days} days after it was made; request a new export.`,
    );
  }
}

export class InvalidCursorProblem extends HttpProblem {
  constructor() {
    super(400, 'invalid_cursor', 'Invalid cursor', 'The cursor is malformed or not from this listing; start again without it.');
  }
}

/** Two requests of the same user raced to create an export and neither won; a retry will. */
export class ExportCreateConflictError extends HttpProblem {
  constructor(cause: unknown) {
    super(
      409,
      'job_create_conflict',
      'Concurrent export requests',
      'Another export request of yours was being handled at the same time; retry.',
      {
        headers: { 'retry-after': '1' },
        cause,
      },
    );
  }
}

export class EnqueueFailedError extends HttpProblem {
  constructor(cause: unknown) {
    super(503, 'enqueue_failed', 'Export could not be queued', 'The export could not be queued and was marked failed. Retry in a moment.', {
      headers: { 'retry-after': '5' },
      cause,
    });
  }
}

export class NotReadyError extends HttpProblem {
  constructor(failed: string[], checks: Record<string, unknown>) {
    // Expected while a dependency starts or fails over; each failed check is logged on its own.
    super(503, 'not_ready', 'Service not ready', `Failing dependencies: ${failed.join(', ')}.`, {
      extensions: { checks },
      logLevel: 'warn',
    });
  }
}

/** The refresh token is unknown, expired, rotated already (its family is now revoked) or revoked. */
export class InvalidRefreshTokenError extends HttpProblem {
  constructor() {
    super(401, 'invalid_refresh_token', 'Invalid refresh token', 'The refresh token is unknown, expired or revoked. Log in again.');
  }
}

/**
 * Too many failed logins for this account or from this address. One message
 * for both, and the same for accounts that do not exist.
 */
export class TooManyAttemptsError extends HttpProblem {
  constructor(retryAfterSeconds: number) {
    super(429, 'too_many_attempts', 'Too many login attempts', `Too many failed logins. Try again in ${retryAfterSeconds} seconds.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      extensions: { retry_after: retryAfterSeconds },
      logLevel: 'warn',
    });
  }
}

/** The caller sent more requests to these routes than the rate limit allows. */
export class RateLimitedError extends HttpProblem {
  constructor(retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Too many requests', `Request rate limit reached. Try again in ${retryAfterSeconds} seconds.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      extensions: { retry_after: retryAfterSeconds },
    });
  }
}

export class EmailTakenProblem extends HttpProblem {
  constructor(email: string) {
    super(409, 'email_taken', 'Email address taken', `A user with the email address ${email} already exists.`);
  }
}

/** No schedule with this id belongs to the caller (another user's schedule is reported the same way). */
export class ScheduleNotFoundProblem extends HttpProblem {
  constructor(id: string) {
    super(404, 'schedule_not_found', 'Export schedule not found', `There is no export schedule ${id} for this account.`);
  }
}

export class ScheduleLimitReachedProblem extends HttpProblem {
  constructor(limit: number) {
    super(
      409,
      'schedule_limit_reached',
      'Export schedule limit reached',
      `An account can have at most ${limit} export schedules; delete one to create another.`,
      {
        extensions: { limit },
      },
    );
  }
}

/**
 * The timing asked for is not a valid schedule (day 29, 25:00, an unknown
 * time zone...). `errors` names each field in the request's spelling.
 */
export class InvalidScheduleProblem extends HttpProblem {
  constructor(readonly errors: readonly FieldError[]) {
    const detail = errors.map((error) => `${error.field} ${error.message}`).join('; ');
    super(400, 'invalid_schedule', 'Invalid export schedule', `${detail}.`, { extensions: { errors } });
  }
}

/** Someone changed the schedule between our read and our write (another request of the same user). */
export class ScheduleChangedProblem extends HttpProblem {
  constructor(id: string) {
    super(
      409,
      'schedule_changed',
      'Export schedule changed meanwhile',
      `Export schedule ${id} was changed by another request at the same time; read it again and retry.`,
      {
        headers: { 'retry-after': '1' },
      },
    );
  }
}

/**
 * EventBridge Scheduler did not take the change; nothing was changed (a
 * created schedule was removed again, a deleted one is kept). Safe to retry.
 */
export class SchedulerUnavailableProblem extends HttpProblem {
  constructor(detail: string, cause: unknown) {
    super(503, 'scheduler_unavailable', 'Scheduler unavailable', detail, { headers: { 'retry-after': '5' }, cause });
  }
}
