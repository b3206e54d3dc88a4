import { performance } from 'node:perf_hooks';

/**
 * A closed-loop load generator: `concurrency` lanes, each starting its next
 * call as soon as its last one answered, until `requests` calls were started
 * or `durationMs` has passed. The same runner drives the HTTP requests to the
 * API and the bare SDK calls, so both sides are measured the same way.
 */

/** One call: resolves true for a success (2xx, or a bare call that did what the route does), false otherwise. */
export type LoadCall = (index: number) => Promise<boolean>;

export interface LoadOptions {
  readonly concurrency: number;
  /** Calls started at most. */
  readonly requests: number;
  /** Wall time at most; lanes start no call after it. */
  readonly durationMs: number;
  readonly call: LoadCall;
}

/** What one run measured: latencies of every answered call, in ms. */
export interface LoadRun {
  readonly latenciesMs: Float64Array;
  readonly failures: number;
  readonly errors: number;
  readonly seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const latencies = new Float64Array(options.requests);
  let started = 0;
  let answered = 0;
  let failures = 0;
  let errors = 0;
  const begin = performance.now();
  const deadline = begin + options.durationMs;
  const lane = async (): Promise<void> => {
    while (started < options.requests && performance.now() < deadline) {
      const index = started++;
      const sent = performance.now();
      try {
        if (!(await options.call(index))) failures += 1;
      } catch {
        errors += 1;
      }
      latencies[answered++] = performance.now() - sent;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return { latenciesMs: latencies.slice(0, answered), failures, errors, seconds: (performance.now() - begin) / 1000 };
}

/** Rate and latency of one or more runs of the same kind taken together (e.g. the POST rounds). */
export interface LoadSummary {
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answered, but not what a successful call answers (non-2xx, or a bare call that did not create). */
  readonly failed: number;
  /** Threw (connection error, timeout). */
  readonly errors: number;
}

export function summarize(runs: readonly LoadRun[]): LoadSummary {
  const count = runs.reduce((sum, run) => sum + run.latenciesMs.length, 0);
  const all = new Float64Array(count);
  let offset = 0;
  for (const run of runs) {
    all.set(run.latenciesMs, offset);
    offset += run.latenciesMs.length;
  }
  all.sort();
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  return {
    requests: count,
    requestsPerSec: seconds > 0 ? Math.round(count / seconds) : 0,
    p50Ms: round2(percentile(all, 0.5)),
    p99Ms: round2(percentile(all, 0.99)),
    failed: runs.reduce((sum, run) => sum + run.failures, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

/** Nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
