import type { DeliveryAttempt, WebhookDelivery, WebhookDeliveryV1, WebhookEndpoint } from '@memberships/core/contract';
import type { WebhookStore } from '@memberships/core/webhooks';
import type { Logger } from 'pino';
import type { HandleOutcome } from './consumer';
import type { EndpointDisabledNotifier } from './endpoint-disabled-notice';
import type { MessageActions, ReceivedMessage } from './message-actions';
import type { AttemptOutcome, WebhookSender } from './webhook-sender';
import { nextWebhookRetry, type WebhookRetrySettings } from './webhook-retry';

/**
 * A `webhook.delivery` message → one attempt (webhook-sender.ts), recorded
 * on the delivery, and what follows it:
 * - delivered (2xx): the delivery succeeded, the endpoint's run of failures
 *   ends; the message is acknowledged;
 * - failed: the endpoint's run of failures starts (or goes on); a run as long
 *   as the retry window disables the endpoint, and the one lane whose write
 *   disabled it emails the owner; the delivery is retried after its backoff
 *   (webhook-retry.ts) by leaving the message hidden that long
 *   (ChangeMessageVisibility), or, past the window, fails for good;
 * - a delivery that succeeded already, or failed for good, is not attempted
 *   again by an automatic message (a duplicate); a manual re-send (the API's,
 *   trigger `manual`) is one attempt whatever the delivery's status, and is
 *   not retried: the user asked for one and reads its outcome;
 * - a deleted or disabled endpoint is not contacted: the delivery fails with
 *   `endpoint_deleted` / `endpoint_disabled`.
 */

export interface WebhookDeliveryDependencies {
  readonly webhooks: Pick<
    WebhookStore,
    'getDeliveryById' | 'getEndpointById' | 'recordAttempt' | 'recordEndpointFailure' | 'recordEndpointSuccess' | 'disableEndpoint'
  >;
  readonly sender: Pick<WebhookSender, 'send'>;
  readonly actions: Pick<MessageActions, 'changeVisibility'>;
  readonly notices: Pick<EndpointDisabledNotifier, 'notify'>;
  readonly retry: WebhookRetrySettings;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** The reason recorded on an endpoint the worker disabled. */
export const DISABLED_FOR_FAILURES = 'failing_deliveries';

export class WebhookDeliveryHandler {
  private readonly now: () => Date;

  constructor(private readonly deps: WebhookDeliveryDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  async handle(context: ReceivedMessage, message: WebhookDeliveryV1): Promise<HandleOutcome> {
    const log = context.log.child({
      deliveryId: message.deliveryId,
      endpointId: message.endpointId,
      userId: message.userId,
      trigger: message.trigger,
    });
    const delivery = await this.deps.webhooks.getDeliveryById(message.deliveryId);
    if (!delivery || delivery.endpointId !== message.endpointId || delivery.userId !== message.userId) {
      log.warn({ deliveryFound: delivery !== undefined }, 'delivery not found (or not this endpoint’s); message acknowledged');
      return 'ack';
    }
    if (message.trigger === 'automatic' && delivery.status !== 'pending') {
      log.info({ status: delivery.status }, 'delivery is final already; duplicate message acknowledged');
      return 'ack';
    }
    const endpoint = await this.deps.webhooks.getEndpointById(message.endpointId);
    if (endpoint?.status !== 'enabled') {
      const error = endpoint ? 'endpoint_disabled' : 'endpoint_deleted';
      await this.record(delivery, { responseStatus: null, durationMs: 0, error }, this.now(), message.trigger, 'failed');
      log.info({ error }, 'delivery failed: its endpoint is gone or disabled, nothing sent');
      return 'ack';
    }
    const startedAt = this.now();
    const outcome = await this.deps.sender.send({
      url: endpoint.url,
      payload: delivery.payload,
      secrets: this.secretsOf(endpoint),
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      deliveryId: delivery.id,
    });
    const attemptLog = log.child({ responseStatus: outcome.responseStatus, durationMs: outcome.durationMs, attemptError: outcome.error });
    if (outcome.delivered) {
      await this.record(delivery, outcome, startedAt, message.trigger, 'succeeded');
      await this.deps.webhooks.recordEndpointSuccess(endpoint.id);
      attemptLog.info('webhook delivered');
      return 'ack';
    }
    const disabled = await this.afterFailure(attemptLog, endpoint, delivery, startedAt);
    const retry =
      message.trigger === 'automatic' && !disabled
        ? nextWebhookRetry(delivery.attemptCount + 1, delivery.createdAt, this.now(), this.deps.retry, this.deps.random)
        : undefined;
    if (!retry?.retry) {
      await this.record(delivery, outcome, startedAt, message.trigger, 'failed');
      attemptLog.warn(
        { because: disabled ? 'endpoint_disabled' : message.trigger === 'manual' ? 'manual_resend' : 'window_passed' },
        'webhook attempt failed; delivery failed',
      );
      return 'ack';
    }
    await this.record(delivery, outcome, startedAt, message.trigger, 'pending', retry.at.toISOString());
    await this.deps.actions.changeVisibility(context.message, retry.delaySeconds, attemptLog);
    attemptLog.warn({ retryInSeconds: retry.delaySeconds }, 'webhook attempt failed; retry scheduled');
    return 'leave';
  }

  /** The current secret, and the previous one while it still signs. */
  private secretsOf(endpoint: WebhookEndpoint): string[] {
    const previousValid =
      endpoint.previousSecret !== undefined &&
      endpoint.previousSecretExpiresAt !== undefined &&
      Date.parse(endpoint.previousSecretExpiresAt) > this.now().getTime();
    return previousValid ? [endpoint.secret, endpoint.previousSecret as string] : [endpoint.secret];
  }

  /**
   * The endpoint's run of failures after a failed attempt: disabled once it
   * has lasted the retry window, the owner emailed by the lane that disabled
   * it. Resolves whether the endpoint is now disabled (by this lane or
   * another).
   *
   * A run that began no later than this delivery's first attempt counts from
   * the delivery's creation: the moments between the event and its first
   * attempt are the queue's, not the receiver's, and without them a receiver
   * down for the whole window would miss being disabled by those moments
   * (the delivery's last attempt is made at the end of its window).
   */
  private async afterFailure(log: Logger, endpoint: WebhookEndpoint, delivery: WebhookDelivery, attemptAt: Date): Promise<boolean> {
    const at = this.now().toISOString();
    const failing = await this.deps.webhooks.recordEndpointFailure(endpoint.id, attemptAt.toISOString());
    if (!failing) return true;
    if (failing.status !== 'enabled') return true;
    const since = failing.failingSince ?? attemptAt.toISOString();
    const firstAttemptAt = delivery.attempts[0]?.at ?? attemptAt.toISOString();
    const runStart =
      Date.parse(since) <= Date.parse(firstAttemptAt) ? Math.min(Date.parse(since), Date.parse(delivery.createdAt)) : Date.parse(since);
    if (Date.parse(at) - runStart < this.deps.retry.windowSeconds * 1000) return false;
    const disabledHere = await this.deps.webhooks.disableEndpoint(endpoint.id, DISABLED_FOR_FAILURES, at);
    if (disabledHere) {
      log.warn({ failingSince: since }, 'endpoint disabled: its deliveries have failed for the whole retry window');
      await this.deps.notices.notify(log, failing, since);
    }
    return true;
  }

  private record(
    delivery: WebhookDelivery,
    outcome: Omit<AttemptOutcome, 'delivered'>,
    at: Date,
    trigger: DeliveryAttempt['trigger'],
    status: WebhookDelivery['status'],
    nextRetryAt?: string,
  ): Promise<WebhookDelivery> {
    const attempt: DeliveryAttempt = {
      at: at.toISOString(),
      responseStatus: outcome.responseStatus,
      durationMs: outcome.durationMs,
      ...(outcome.error ? { error: outcome.error } : {}),
      trigger,
    };
    return this.deps.webhooks.recordAttempt(delivery.id, attempt, { status, ...(nextRetryAt ? { nextRetryAt } : {}) });
  }
}
