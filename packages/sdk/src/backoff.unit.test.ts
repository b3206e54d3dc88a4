import { backoffDelay, sleep } from './backoff.js';

describe('backoffDelay', () => {
  it('starts at 0.5 s and grows by half each poll up to 5 s', () => {
    const delays = Array.from({ length: 9 }, (_, attempt) => backoffDelay(attempt));
    expect(delays).toEqual([500, 750, 1125, 1688, 2531, 3797, 5000, 5000, 5000]);
  });

  it('takes a fixed interval as a number', () => {
    expect([0, 1, 7].map((attempt) => backoffDelay(attempt, 200))).toEqual([200, 200, 200]);
  });

  it('honours custom bounds and never goes below the first interval', () => {
    expect(backoffDelay(0, { initial: 100, max: 400, factor: 2 })).toBe(100);
    expect(backoffDelay(1, { initial: 100, max: 400, factor: 2 })).toBe(200);
    expect(backoffDelay(5, { initial: 100, max: 400, factor: 2 })).toBe(400);
    expect(backoffDelay(3, { initial: 1000, max: 10 })).toBe(1000);
  });
});

describe('sleep', () => {
  it('rejects with the signal reason when aborted, before the time is up', async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects at once for an already aborted signal', async () => {
    await expect(sleep(60_000, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });
});
