import { DomainError } from '@memberships/core/contract';

/**
 * Failures of the local platform itself (an emulator that does not start, a
 * provisioning conflict, a child service that dies). Each carries a stable
 * `code` and, where it helps, the last lines the failing process printed.
 */
export class LocalPlatformError extends DomainError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A child process did not become ready in time or exited before it did. */
export class ProcessStartError extends LocalPlatformError {
  constructor(
    readonly processName: string,
    reason: string,
    readonly output: readonly string[],
  ) {
    super('process_start_failed', `${processName} did not start: ${reason}${formatTail(output)}`);
  }
}

/** A child process did not exit in time after being asked to stop (it was then killed). */
export class ProcessStopError extends LocalPlatformError {
  constructor(
    readonly processName: string,
    reason: string,
    readonly output: readonly string[],
  ) {
    super('process_stop_failed', `${processName} did not stop cleanly: ${reason}${formatTail(output)}`);
  }
}

/** Waiting for something (a log line, an email, a URL) took longer than allowed. */
export class WaitTimeoutError extends LocalPlatformError {
  constructor(what: string, timeoutMs: number, detail = '') {
    super('wait_timeout', `Timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`);
  }
}

/** An existing AWS resource does not match its definition in @memberships/core. */
export class ProvisioningConflictError extends LocalPlatformError {
  constructor(message: string) {
    super('provisioning_conflict', message);
  }
}

/** The test environment (set up by the jest global setup) is missing. */
export class TestEnvironmentError extends LocalPlatformError {
  constructor(missing: readonly string[]) {
    super(
      'test_environment_missing',
      `Missing ${missing.join(', ')}. Run the tests through the root jest config ` +
        '(its global setup, tools/local-platform/dist/jest/global-setup.js, starts the emulators and sets these variables); ' +
        'build first with `npx tsc --build`.',
    );
  }
}

const TAIL_LINES = 40;

function formatTail(output: readonly string[]): string {
  if (output.length === 0) return ' (it printed nothing)';
  const tail = output.slice(-TAIL_LINES);
  return `\n--- last ${tail.length} line(s) of its output ---\n${tail.join('\n')}`;
}
