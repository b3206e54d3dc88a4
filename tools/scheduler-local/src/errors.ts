import { DomainError } from '@memberships/core/contract';

/**
 * An error the stand-in answers in the shape of EventBridge Scheduler
 * (restJson1): the status code, an `x-amzn-ErrorType` header naming the
 * exception and a `{"Message": ...}` body. The SDK turns it into its typed
 * exception of the same name (ResourceNotFoundException, ...). `code` is the
 * exception name, so callers of the in-process API can branch on it too.
 */
export class SchedulerApiError extends DomainError {
  constructor(
    readonly errorType: string,
    readonly status: number,
    message: string,
  ) {
    super(errorType, message);
  }
}

export class ValidationException extends SchedulerApiError {
  constructor(message: string) {
    super('ValidationException', 400, message);
  }
}

export class ResourceNotFoundException extends SchedulerApiError {
  constructor(message: string) {
    super('ResourceNotFoundException', 404, message);
  }
}

export class ConflictException extends SchedulerApiError {
  constructor(message: string) {
    super('ConflictException', 409, message);
  }
}

export class InternalServerException extends SchedulerApiError {
  constructor(message: string) {
    super('InternalServerException', 500, message);
  }
}

/** The body is not JSON, or not the JSON object the operation takes. */
export class SerializationException extends SchedulerApiError {
  constructor(message: string) {
    super('SerializationException', 400, message);
  }
}

/** A path or method the stand-in does not implement (e.g. the tagging operations). */
export class UnknownOperationException extends SchedulerApiError {
  constructor(method: string, path: string) {
    super('UnknownOperationException', 404, `scheduler-local does not implement ${method} ${path}.`);
  }
}

/**
 * The error types a fault can be injected as, by HTTP status. These are the
 * exceptions the Scheduler API declares (the SDK has a class for each).
 */
export const ERROR_TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  402: 'ServiceQuotaExceededException',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
};

/**
 * Misuse of the stand-in itself (its test endpoints or its options), as
 * opposed to an error of the emulated Scheduler API. The test endpoints answer
 * these as 400 `{code, message}`.
 */
export class SchedulerLocalError extends DomainError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A manual clock move would fire more events than allowed at once (see `maxFiringsPerClockMove`). */
export class TooManyFiringsError extends SchedulerLocalError {
  constructor(count: number, limit: number, to: string) {
    super(
      'too_many_firings',
      `Moving the clock to ${to} would fire at least ${count} events, more than the limit of ${limit}; nothing was fired. ` +
        'Move the clock in smaller steps or raise maxFiringsPerClockMove.',
    );
  }
}
