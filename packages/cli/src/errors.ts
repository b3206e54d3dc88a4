/**
 * The CLI's own errors: a stable `code`, a one-line message and, where useful,
 * a `suggestion` of what to do. How any error (these, the SDK's, Node's) is
 * shown to the user is decided in error-report.ts.
 */

/** Exit codes scripts can rely on. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });

/** An error the CLI explains to the user: a stable code, a one-line message and, where useful, what to do. */
export class CliError extends Error {
  readonly suggestion: string | undefined;
  readonly exitCode: number;

  constructor(
    readonly code: string,
    message: string,
    options: { suggestion?: string | undefined; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.suggestion = options.suggestion;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}

/** Wrong or missing arguments: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, suggestion?: string) {
    super('usage', message, { suggestion, exitCode: EXIT.usage });
  }
}

export class NotLoggedInError extends CliError {
  constructor(apiUrl: string, loggedInTo?: string) {
    super(
      'not_logged_in',
      loggedInTo ? `You are logged in to ${loggedInTo}, not to ${apiUrl}.` : `You are not logged in to ${apiUrl}.`,
      { suggestion: `Run: memberships login${loggedInTo ? ` --api-url ${apiUrl}` : ''}` },
    );
  }
}

/** Ctrl+C: exit code 130, with a note on what keeps running. */
export class InterruptedError extends CliError {
  constructor(suggestion?: string) {
    super('interrupted', 'Interrupted.', { suggestion, exitCode: EXIT.interrupted });
  }
}
