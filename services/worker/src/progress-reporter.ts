import type { JobStore } from '@memberships/core/dynamodb';
import type { Logger } from 'pino';

/** Default of PROGRESS_INTERVAL_MS: a poller (the CLI polls every second or so) sees the count move about once a second. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 1000;

export interface ExportProgress {
  readonly rowsExported: number;
  readonly rowsTotal: number | null;
}

/** The reporter's view of time; injected by tests so the throttle is checked without waiting. */
export interface ProgressClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Runs `callback` after `ms`; the handle is only ever passed back to `clear`. */
  schedule(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface ProgressReporterOptions {
  /** Stores the progress (JobStore.recordProgress). Never called while an earlier call is still running. */
  readonly write: (progress: ExportProgress) => Promise<unknown>;
  /** Minimum time between the starts of two writes. */
  readonly intervalMs: number;
  /**
   * The first write, too, waits one interval from the reporter's creation:
   * an export that is done sooner writes no progress at all (its completion
   * records the totals). Default false: the first count is written at once.
   */
  readonly deferFirstWrite?: boolean;
  /** Told about a failed write; the reporter carries on (the next write carries a newer count anyway). */
  readonly onError: (error: unknown) => void;
  readonly clock?: ProgressClock;
}

const systemClock: ProgressClock = {
  now: () => performance.now(),
  schedule: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // A pending progress write must never keep the process alive.
    timer.unref();
    return timer;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Turns the export's per-chunk progress (many calls a second) into a few
 * writes: at most one in flight, at most one started per `intervalMs`,
 * always with the latest count. `report()` only records the value and may
 * start a write it does not wait for, so the CSV stream never waits on
 * DynamoDB; a count reported while writing is not allowed yet is written
 * when the interval is up (a timer), so the stored count also moves while
 * the stream itself stalls. A failed write is handed to `onError` and
 * otherwise ignored: progress is advisory, it never fails the export.
 */
export class ProgressReporter {
  private readonly clock: ProgressClock;
  private latest: ExportProgress = { rowsExported: 0, rowsTotal: null };
  /** The count of the last write started (successful or not): nothing at or below it is written again. */
  private sent = 0;
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private timer: unknown;
  private closed = false;
  private writes = 0;

  constructor(private readonly options: ProgressReporterOptions) {
    this.clock = options.clock ?? systemClock;
    if (options.deferFirstWrite) this.lastStartAt = this.clock.now();
  }

  /** Writes started so far. */
  get writesStarted(): number {
    return this.writes;
  }

  /** Records the latest progress; cheap, never waits. Counts that go down are ignored. */
  report(progress: ExportProgress): void {
    if (this.closed || progress.rowsExported < this.latest.rowsExported) return;
    this.latest = progress;
    this.pump();
  }

  /**
   * Ends reporting with `final` (the exact total): waits for the write in
   * flight, then writes `final` at once whatever the interval, unless that
   * count was written already. Resolves once written (or failed, which goes
   * to `onError`); never rejects. Later reports are ignored.
   */
  async finish(final: ExportProgress): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer();
    if (final.rowsExported >= this.latest.rowsExported) this.latest = final;
    await this.inFlight;
    if (this.latest.rowsExported > this.sent) await this.start(this.latest);
  }

  /** Stops reporting without a final write; resolves once the write in flight (if any) has settled. */
  async stop(): Promise<void> {
    this.closed = true;
    this.cancelTimer();
    await this.inFlight;
  }

  private pump(): void {
    if (this.closed || this.inFlight || this.latest.rowsExported <= this.sent) return;
    const wait = this.lastStartAt + this.options.intervalMs - this.clock.now();
    if (wait > 0) {
      this.timer ??= this.clock.schedule(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      return;
    }
    void this.start(this.latest);
  }

  private start(progress: ExportProgress): Promise<void> {
    this.sent = progress.rowsExported;
    this.lastStartAt = this.clock.now();
    this.writes += 1;
    let write: Promise<unknown>;
    try {
      write = this.options.write(progress);
    } catch (error) {
      write = Promise.reject(error);
    }
    const settled = write.then(
      () => undefined,
      (error: unknown) => {
        try {
          this.options.onError(error);
        } catch {
          // Reporting a failed progress write must not fail anything either.
        }
      },
    );
    this.inFlight = settled.finally(() => {
      this.inFlight = undefined;
      // A newer count may have come in while this write ran.
      this.pump();
    });
    return this.inFlight;
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clear(this.timer);
    this.timer = undefined;
  }
}

export interface JobProgressReporterOptions {
  readonly jobs: Pick<JobStore, 'recordProgress'>;
  readonly jobId: string;
  /** The lease the export runs under: this worker and the claim (`job.attempts`) that took the job. */
  readonly owner: string;
  readonly attempt: number;
  readonly intervalMs: number;
  readonly log: Logger;
  readonly clock?: ProgressClock;
}

/**
 * A reporter that records a claimed job's progress on the job record
 * (JobStore.recordProgress, conditional on the lease). The first failed
 * write of an export is logged at warn, later ones at debug: during a
 * DynamoDB outage the heartbeat already warns on every beat.
 */
export function jobProgressReporter(options: JobProgressReporterOptions): ProgressReporter {
  const lease = { owner: options.owner, attempt: options.attempt };
  let failures = 0;
  return new ProgressReporter({
    write: (progress) => options.jobs.recordProgress(options.jobId, lease, progress),
    intervalMs: options.intervalMs,
    clock: options.clock,
    // Most exports are done within the first interval: they cost no progress write.
    deferFirstWrite: true,
    onError: (error) => {
      failures += 1;
      options.log[failures === 1 ? 'warn' : 'debug']({ err: error, failures }, 'could not record export progress; the export goes on');
    },
  });
}
