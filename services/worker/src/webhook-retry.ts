/**
 * When a failed webhook attempt is tried again, and when it is not. Pure:
 * the delivery handler (webhook-delivery.ts) carries the decision out by
 * hiding the message for the delay (ChangeMessageVisibility) or failing the
 * delivery.
 *
 * Attempt n waits base·2^(n-1) seconds, capped at max, less up to a fifth
 * (jitter, so the deliveries of a receiver that came back do not all return
 * in the same second), for as long as the delivery is younger than the
 * window: a last attempt is made at the window's end, none after it.
 */

export interface WebhookRetrySettings {
  /** WEBHOOK_RETRY_WINDOW_SECONDS: retried until the delivery is this old. */
  readonly windowSeconds: number;
  /** WEBHOOK_RETRY_BASE_SECONDS: the wait after the first failed attempt. */
  readonly baseSeconds: number;
  /** WEBHOOK_RETRY_MAX_SECONDS: the longest wait. */
  readonly maxSeconds: number;
}

export type WebhookRetryDecision =
  | { readonly retry: true; readonly delaySeconds: number; readonly at: Date }
  | { readonly retry: false; readonly because: 'window_passed' };

/** Share of the delay the jitter may take off. */
const JITTER = 0.2;

/** The wait after failed attempt `attempt` (1, 2, …) before jitter, in seconds. */
export function webhookBackoffSeconds(attempt: number, settings: Pick<WebhookRetrySettings, 'baseSeconds' | 'maxSeconds'>): number {
  return Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** Math.min(30, Math.max(1, attempt) - 1));
}

/**
 * After failed attempt `attempt` of a delivery created at `createdAt`:
 * retry after a delay (whole seconds, as SQS takes them), or not.
 * `random` in [0, 1).
 */
export function nextWebhookRetry(
  attempt: number,
  createdAt: string,
  now: Date,
  settings: WebhookRetrySettings,
  random: () => number = Math.random,
): WebhookRetryDecision {
  const deadline = Date.parse(createdAt) + settings.windowSeconds * 1000;
  const remainingSeconds = Math.ceil((deadline - now.getTime()) / 1000);
  if (remainingSeconds <= 0) return { retry: false, because: 'window_passed' };
  const backoff = webhookBackoffSeconds(attempt, settings);
  const jittered = Math.round(backoff * (1 - JITTER * random()));
  const delaySeconds = Math.min(jittered, remainingSeconds);
  return { retry: true, delaySeconds, at: new Date(now.getTime() + delaySeconds * 1000) };
}
