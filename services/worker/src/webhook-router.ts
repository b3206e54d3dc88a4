import type { Message } from '@aws-sdk/client-sqs';
import { EVENT_OCCURRED, EXPIRY_SWEEP, parseWebhookMessage } from '@memberships/core/contract';
import type { Logger } from 'pino';
import type { HandleOutcome, MessageHandler } from './consumer';
import type { EventFanout } from './event-fanout';
import type { ExpirySweep } from './expiry-sweep';
import type { MessageActions, ReceivedMessage } from './message-actions';
import { attemptNumber } from './retry-policy';
import type { WebhookDeliveryHandler } from './webhook-delivery';

/**
 * Which path a webhook queue message takes: `event.occurred` to the fan-out
 * (event-fanout.ts), `webhook.delivery` to an attempt (webhook-delivery.ts),
 * `expiry.sweep` to the sweep that emits `export.expired` (expiry-sweep.ts),
 * anything unreadable to the webhook dead-letter queue with its reason (as
 * the export router does with its own). The webhook lanes' consumer receives
 * this as its handler (webhook-lanes.ts).
 */

export interface WebhookRouterDependencies {
  readonly fanout: Pick<EventFanout, 'handle'>;
  readonly deliveries: Pick<WebhookDeliveryHandler, 'handle'>;
  readonly expirySweep: Pick<ExpirySweep, 'handle'>;
  /** Bound to the webhook queue and its dead-letter queue. */
  readonly actions: Pick<MessageActions, 'deadLetter'>;
  readonly logger: Logger;
}

export function webhookRouter(deps: WebhookRouterDependencies): MessageHandler {
  return async (message: Message, shutdown: AbortSignal): Promise<HandleOutcome> => {
    const receiveCount = attemptNumber(message.Attributes?.ApproximateReceiveCount);
    const context: ReceivedMessage = {
      message,
      receiveCount,
      log: deps.logger.child({ messageId: message.MessageId, receiveCount, queue: 'webhooks' }),
    };
    const parsed = parseWebhookMessage(message.Body);
    if (!parsed.ok) {
      await deps.actions.deadLetter(context, parsed.code, parsed.reason);
      context.log.error({ reasonCode: parsed.code, reason: parsed.reason }, 'unreadable webhook message sent to the dead-letter queue');
      return 'ack';
    }
    const received = parsed.message;
    if (received.type === EVENT_OCCURRED) return deps.fanout.handle(context, received);
    if (received.type === EXPIRY_SWEEP) return deps.expirySweep.handle(context, received, shutdown);
    return deps.deliveries.handle(context, received);
  };
}
