import { WaitTimeoutError } from '../errors';

export interface WaitForOptions {
  /** How long to keep probing. Default 30 s. */
  readonly timeoutMs?: number;
  /** The pause between two probes. Default 50 ms. */
  readonly intervalMs?: number;
  /** What the probes saw so far (e.g. the last job state), for the timeout's message. */
  readonly seen?: () => string;
}

/**
 * The tests' one way to wait for an asynchronous outcome (a job state, an
 * email, a port that closes): polls `probe` until it returns something other
 * than `undefined` or `false`, and resolves with that. A probe that throws is
 * tried again (what it asks may not be there yet); on timeout the
 * WaitTimeoutError (`wait_timeout`) names `description`, what was seen and the
 * last error. For waiting only: never to assert how long something took.
 */
export async function waitFor<T>(
  description: string,
  probe: () => T | false | undefined | Promise<T | false | undefined>,
  { timeoutMs = 30_000, intervalMs = 50, seen }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const details = [seen?.(), lastError === undefined ? undefined : `last error: ${(lastError as Error).message}`];
      throw new WaitTimeoutError(description, timeoutMs, details.filter(Boolean).join('; '));
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
