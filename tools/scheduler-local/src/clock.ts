/**
 * The stand-in's notion of "now". A manual clock stands still until set (the
 * tests move it); a real clock follows a time source, the wall clock by
 * default. A real clock becomes manual the first time it is set, so a test
 * can take over a stand-in that `npm start` runs.
 */
export class Clock {
  private manualNowMs: number | undefined;

  constructor(
    mode: 'manual' | 'real',
    private readonly timeSource: () => Date = () => new Date(),
    startTime?: Date,
  ) {
    if (mode === 'manual') this.manualNowMs = (startTime ?? timeSource()).getTime();
  }

  get mode(): 'manual' | 'real' {
    return this.manualNowMs === undefined ? 'real' : 'manual';
  }

  nowMs(): number {
    return this.manualNowMs ?? this.timeSource().getTime();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Sets the time (it may move backwards) and makes the clock manual from now on. */
  set(instant: Date): void {
    this.manualNowMs = instant.getTime();
  }
}
