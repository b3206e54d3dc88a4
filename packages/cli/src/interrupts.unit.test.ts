import { Interrupts } from './interrupts.js';

describe('Interrupts', () => {
  it('aborts the signal at the first Ctrl+C and says the second is a repeat (the process should end)', () => {
    const interrupts = new Interrupts();
    expect(interrupts.interrupted).toBe(false);
    expect(interrupts.interrupt()).toBe('aborted');
    expect(interrupts.signal.aborted).toBe(true);
    expect(interrupts.interrupted).toBe(true);
    expect(interrupts.interrupt()).toBe('repeated');
  });

  it('sends every Ctrl+C to an interceptor, leaving the signal alone, until it lets go', () => {
    const interrupts = new Interrupts();
    const seen: number[] = [];
    const release = interrupts.intercept(() => seen.push(seen.length + 1));
    expect(interrupts.interrupt()).toBe('intercepted');
    expect(interrupts.interrupt()).toBe('intercepted');
    expect(seen).toEqual([1, 2]);
    expect(interrupts.signal.aborted).toBe(false);
    expect(interrupts.interrupted).toBe(true);

    release();
    expect(interrupts.interrupt()).toBe('aborted');
    expect(seen).toEqual([1, 2]);
  });

  it('has one interceptor at a time, and a stale release does not drop the next one', () => {
    const interrupts = new Interrupts();
    const first = interrupts.intercept(() => undefined);
    expect(() => interrupts.intercept(() => undefined)).toThrow('already intercepted');
    first();
    const calls: string[] = [];
    interrupts.intercept(() => calls.push('second'));
    first();
    expect(interrupts.interrupt()).toBe('intercepted');
    expect(calls).toEqual(['second']);
  });
});
