/**
 * The progress throttle on its own, with an injected clock and a write the
 * test settles by hand: no waiting, no timing assertions.
 */
import { ProgressReporter, type ExportProgress, type ProgressClock } from './progress-reporter';

/** A clock the test moves; scheduled callbacks run when their time is reached. */
class ManualClock implements ProgressClock {
  private time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;

  now(): number {
    return this.time;
  }

  schedule(callback: () => void, ms: number): unknown {
    this.nextId += 1;
    const id = this.nextId;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }

  clear(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    this.time += ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= this.time).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.clear(due.id);
      due.callback();
    }
  }
}

/** A write the test resolves or rejects itself, recording what was written and how many ran at once. */
class ControlledWrites {
  readonly written: number[] = [];
  readonly calls: { progress: ExportProgress; resolve: () => void; reject: (error: Error) => void }[] = [];
  running = 0;
  maxRunning = 0;

  readonly write = (progress: ExportProgress): Promise<void> => {
    this.running += 1;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise<void>((resolve, reject) => {
      this.calls.push({
        progress,
        resolve: () => {
          this.running -= 1;
          this.written.push(progress.rowsExported);
          resolve();
        },
        reject: (error) => {
          this.running -= 1;
          reject(error);
        },
      });
    });
  };

  /** Settles the oldest unsettled write successfully and lets its continuations run. */
  async completeNext(): Promise<void> {
    const call = this.calls.find((candidate) => !this.settled.has(candidate));
    if (!call) throw new Error('no write in flight');
    this.settled.add(call);
    call.resolve();
    await flush();
  }

  async failNext(error: Error): Promise<void> {
    const call = this.calls.find((candidate) => !this.settled.has(candidate));
    if (!call) throw new Error('no write in flight');
    this.settled.add(call);
    call.reject(error);
    await flush();
  }

  private readonly settled = new Set<object>();
}

/** Lets every pending promise continuation run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const rows = (rowsExported: number): ExportProgress => ({ rowsExported, rowsTotal: 1000 });

describe('ProgressReporter', () => {
  let clock: ManualClock;
  let writes: ControlledWrites;
  let errors: unknown[];
  let reporter: ProgressReporter;

  beforeEach(() => {
    clock = new ManualClock();
    writes = new ControlledWrites();
    errors = [];
    reporter = new ProgressReporter({ write: writes.write, intervalMs: 1000, onError: (error) => errors.push(error), clock });
  });

  it('with deferFirstWrite, writes nothing for an export done within the first interval, and the latest count after it', async () => {
    const deferred = new ProgressReporter({
      write: writes.write,
      intervalMs: 1000,
      onError: (error) => errors.push(error),
      clock,
      deferFirstWrite: true,
    });
    deferred.report(rows(10));
    clock.advance(400);
    deferred.report(rows(20));
    await flush();
    expect(writes.calls).toHaveLength(0);

    clock.advance(600);
    await flush();
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([20]);
    await writes.completeNext();

    // An export done early: stop() before the first interval leaves no write behind.
    const quick = new ProgressReporter({
      write: writes.write,
      intervalMs: 1000,
      onError: (error) => errors.push(error),
      clock,
      deferFirstWrite: true,
    });
    quick.report(rows(5));
    await quick.stop();
    clock.advance(5000);
    await flush();
    expect(writes.calls).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('writes the first count at once, then at most one per interval, always the latest count', async () => {
    reporter.report(rows(10));
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([10]);
    await writes.completeNext();

    // Many chunks within the interval: nothing is written until it is up, then only the latest count.
    for (const count of [20, 30, 40]) {
      clock.advance(200);
      reporter.report(rows(count));
    }
    expect(writes.calls).toHaveLength(1);
    clock.advance(400); // 1000 ms after the first write started
    expect(writes.calls.map((call) => call.progress)).toEqual([rows(10), rows(40)]);
    await writes.completeNext();
    expect(writes.written).toEqual([10, 40]);
  });

  it('never has two writes in flight: a count that comes in meanwhile is written when the slow write ends', async () => {
    reporter.report(rows(1));
    // The first write hangs for 5 intervals while the export goes on.
    for (let count = 2; count <= 50; count += 1) {
      clock.advance(100);
      reporter.report(rows(count));
    }
    expect(writes.calls).toHaveLength(1);
    expect(writes.maxRunning).toBe(1);

    await writes.completeNext();
    // The interval is long over: the latest count goes out as soon as the slow write ended.
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([1, 50]);
    expect(writes.maxRunning).toBe(1);
  });

  it('writes a count reported just before a stall when the interval is up, without a further report', async () => {
    reporter.report(rows(5));
    await writes.completeNext();
    clock.advance(300);
    reporter.report(rows(7)); // then the stream stalls: no more reports
    expect(writes.calls).toHaveLength(1);
    clock.advance(700);
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([5, 7]);
  });

  it('does not write a count that was already written, nor a smaller one', async () => {
    reporter.report(rows(5));
    await writes.completeNext();
    clock.advance(5000);
    reporter.report(rows(5));
    reporter.report(rows(3));
    expect(writes.calls).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  it('hands a failed write to onError and carries on with the next count', async () => {
    reporter.report(rows(5));
    const failure = new Error('ProvisionedThroughputExceededException');
    await writes.failNext(failure);
    expect(errors).toEqual([failure]);

    clock.advance(1000);
    reporter.report(rows(9));
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([5, 9]);
  });

  it('survives a write that throws synchronously, and an onError that throws', async () => {
    const throwing = new ProgressReporter({
      write: () => {
        throw new Error('not even a promise');
      },
      intervalMs: 1000,
      onError: () => {
        throw new Error('logger broke');
      },
      clock,
    });
    throwing.report(rows(1));
    await flush();
    clock.advance(1000);
    throwing.report(rows(2));
    await expect(throwing.finish(rows(3))).resolves.toBeUndefined();
    expect(throwing.writesStarted).toBe(3);
  });

  it('finish() waits for the write in flight, then writes the exact total at once, whatever the interval', async () => {
    reporter.report(rows(400));
    clock.advance(10);
    reporter.report(rows(900));
    const finished = reporter.finish(rows(1000));
    let done = false;
    void finished.then(() => (done = true));
    await flush();
    expect(done).toBe(false);
    expect(writes.calls).toHaveLength(1);

    await writes.completeNext();
    expect(writes.calls.map((call) => call.progress)).toEqual([rows(400), rows(1000)]);
    await writes.completeNext();
    await finished;
    expect(writes.written).toEqual([400, 1000]);
    expect(clock.pending).toBe(0);

    // Closed: nothing more is written.
    clock.advance(5000);
    reporter.report(rows(2000));
    expect(writes.calls).toHaveLength(2);
  });

  it('finish() writes nothing when the total was written already', async () => {
    reporter.report(rows(1000));
    await writes.completeNext();
    await reporter.finish(rows(1000));
    expect(writes.calls).toHaveLength(1);
  });

  it('stop() cancels a pending write and waits for the one in flight', async () => {
    reporter.report(rows(1));
    clock.advance(100);
    reporter.report(rows(2));
    const stopped = reporter.stop();
    await writes.completeNext();
    await stopped;
    clock.advance(5000);
    expect(writes.calls.map((call) => call.progress.rowsExported)).toEqual([1]);
    expect(clock.pending).toBe(0);
  });
});
