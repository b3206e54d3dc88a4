/**
 * The CLI's own errors: a stable `code`, a one-line message and, where useful,
 * a `suggestion` of what to do. How any error (these, the SDK's, Node's) is
 * shown to the user is decided in error-report.ts.
 */

import { DEFAULT_API_URL } from './config.js';

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

/** The command that logs in to `apiUrl`: `--api-url` only when it is not the default, which plain `login` uses. */
export function loginCommandFor(apiUrl: string): string {
  return sameApiUrl(apiUrl, DEFAULT_API_URL) ? 'memberships login' : `memberships login --api-url ${apiUrl}`;
}

/** Where the API URL of this run came from, as far as the hint needs to know. */
export type ApiUrlSource = 'flag' | 'env' | 'credentials' | 'config' | 'default';

export class NotLoggedInError extends CliError {
  /**
   * @param apiUrl the API this command was to talk to
   * @param session where the stored session belongs, if there is one elsewhere, and how apiUrl was chosen
   */
  constructor(apiUrl: string, session?: { loggedInTo: string; source: ApiUrlSource }) {
    super(
      'not_logged_in',
      session ? `You are logged in to ${session.loggedInTo}, not to ${apiUrl}.` : `You are not logged in to ${apiUrl}.`,
      { suggestion: session ? otherServerHint(apiUrl, session) : `Run: ${loginCommandFor(apiUrl)}` },
    );
  }
}

/** Log in where this command was pointed, or stop pointing it elsewhere to use the session there is. */
function otherServerHint(apiUrl: string, session: { loggedInTo: string; source: ApiUrlSource }): string {
  const login = `memberships login --api-url ${apiUrl}`;
  const useSession = session.source === 'flag' ? 'leave out --api-url' : session.source === 'env' ? 'unset MEMBERSHIPS_API_URL' : undefined;
  return useSession ? `Run: ${login} (or ${useSession} to use your session at ${session.loggedInTo})` : `Run: ${login}`;
}

/** Same API: equal once parsed (host letter case) and without trailing slashes. */
export function sameApiUrl(a: string, b: string): boolean {
  const normalise = (url: string): string => {
    try {
      return new URL(url).href.replace(/\/+$/, '');
    } catch {
      return url;
    }
  };
  return normalise(a) === normalise(b);
}

/** Ctrl+C: exit code 130, with a note on what keeps running. */
export class InterruptedError extends CliError {
  constructor(suggestion?: string) {
    super('interrupted', 'Interrupted.', { suggestion, exitCode: EXIT.interrupted });
  }
}

/**
 * The command has already told the person what happened, on stderr: only the
 * exit code is left to give, with no `error:` line after it. `export` ends so
 * once its Ctrl+C question is answered (the export canceled, or left running).
 */
export class ReportedExit extends CliError {
  constructor(exitCode: number, what: string) {
    super('reported', what, { exitCode });
  }
}
