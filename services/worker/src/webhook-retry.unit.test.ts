import { nextWebhookRetry, webhookBackoffSeconds } from './webhook-retry';

const settings = { windowSeconds: 86_400, baseSeconds: 30, maxSeconds: 3600 };
const createdAt = '2026-12-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(createdAt) + seconds * 1000);

describe('webhook retries', () => {
  it('double from the base and stop growing at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => webhookBackoffSeconds(n, settings))).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600,
    ]);
    expect(webhookBackoffSeconds(500, settings)).toBe(3600);
  });

  it('wait the full backoff with no jitter, and at most a fifth less with the most', () => {
    expect(nextWebhookRetry(3, createdAt, at(60), settings, () => 0)).toEqual({ retry: true, delaySeconds: 120, at: at(180) });
    expect(nextWebhookRetry(3, createdAt, at(60), settings, () => 0.999_999)).toMatchObject({ retry: true, delaySeconds: 96 });
  });

  it('make a last attempt at the end of the window, and none once it has passed', () => {
    expect(nextWebhookRetry(9, createdAt, at(86_400 - 100), settings, () => 0)).toEqual({
      retry: true,
      delaySeconds: 100,
      at: at(86_400),
    });
    expect(nextWebhookRetry(10, createdAt, at(86_400), settings, () => 0)).toEqual({ retry: false, because: 'window_passed' });
    expect(nextWebhookRetry(10, createdAt, at(90_000), settings, () => 0)).toEqual({ retry: false, because: 'window_passed' });
  });

  it('retry at once with a base of 0', () => {
    expect(nextWebhookRetry(4, createdAt, at(5), { ...settings, baseSeconds: 0 }, () => 0.5)).toMatchObject({ delaySeconds: 0 });
  });
});
