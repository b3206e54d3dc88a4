/** Polling intervals for `exports.wait()`: start quick, slow down geometrically, cap. */
export interface BackoffOptions {
  /** First interval in ms. Default 500. */
  readonly initial?: number;
  /** Longest interval in ms. Default 5000. */
  readonly max?: number;
  /** Growth per poll. Default 1.5. */
  readonly factor?: number;
}

export const DEFAULT_BACKOFF = Object.freeze({ initial: 500, max: 5_000, factor: 1.5 });

/**
 * The delay after poll number `attempt` (0-based). A number means a fixed
 * interval. It grows even while the job reports progress: a steady poll rate
 * from many clients is what rate limits exist to stop, and a few seconds of
 * latency on a minutes-long export goes unnoticed.
 */
export function backoffDelay(attempt: number, options: number | BackoffOptions = {}): number {
  if (typeof options === 'number') return Math.max(0, options);
  const initial = Math.max(0, options.initial ?? DEFAULT_BACKOFF.initial);
  const max = Math.max(initial, options.max ?? DEFAULT_BACKOFF.max);
  const factor = Math.max(1, options.factor ?? DEFAULT_BACKOFF.factor);
  return Math.min(max, Math.round(initial * factor ** Math.max(0, attempt)));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
