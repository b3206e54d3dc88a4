import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeWebhookMessage, type EventOccurredV1, type WebhookQueueMessage } from '@memberships/core/contract';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';

export interface WebhookQueue {
  /** Sends the message to the webhook queue; resolves with the SQS message id. */
  send(message: WebhookQueueMessage): Promise<string | undefined>;
  /**
   * Emits a completion event of a change that is already done (a cancel):
   * tried EMIT_ATTEMPTS times, then logged as lost. Never throws, since the
   * change stands whether or not its event went out; resolves with whether it did.
   */
  emitEvent(message: EventOccurredV1, log: FastifyBaseLogger): Promise<boolean>;
}

declare module 'fastify' {
  interface FastifyInstance {
    webhookQueue: WebhookQueue;
  }
}

/** Attempts of emitEvent, and the pause before each retry: short, since the caller's answer waits. */
export const EMIT_ATTEMPTS = 3;
const EMIT_RETRY_DELAYS_MS = [100, 400];

/** The API's producer side of the webhook queue's messages (core webhooks/webhook.ts); the worker's webhook lanes consume them. */
export default fp(
  async (app) => {
    const queueUrl = app.config.webhooks.queueUrl;
    const send = async (message: WebhookQueueMessage) => {
      const { MessageId } = await app.aws.sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeWebhookMessage(message) }),
      );
      return MessageId;
    };
    app.decorate<WebhookQueue>('webhookQueue', {
      send,
      async emitEvent(message, log) {
        for (let attempt = 1; attempt <= EMIT_ATTEMPTS; attempt += 1) {
          try {
            await send(message);
            return true;
          } catch (error) {
            if (attempt === EMIT_ATTEMPTS) {
              log.error(
                { err: error, eventId: message.eventId, eventType: message.eventType, jobId: message.jobId, attempts: attempt },
                'completion event not sent: no webhook or bus event for it',
              );
              return false;
            }
            log.warn({ err: error, eventId: message.eventId, attempt }, 'completion event not sent; retrying');
            await sleep(EMIT_RETRY_DELAYS_MS[attempt - 1] ?? 400);
          }
        }
        return false;
      },
    });
  },
  { name: 'webhook-queue', dependencies: ['app-context', 'aws-clients'] },
);
