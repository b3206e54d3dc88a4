import type { SQSClient } from '@aws-sdk/client-sqs';
import { queues } from '@memberships/core/contract';
import type { Logger } from 'pino';
import { ExportConsumer, type MessageHandler } from './consumer';
import type { MessageActions } from './message-actions';

/**
 * The webhook lanes: a second consumer (consumer.ts, the same lanes, visibility
 * heartbeat, give-back on shutdown and stop) on the webhook queue, with lanes
 * of its own (WEBHOOK_CONCURRENCY), so a receiver that takes its full
 * timeout to answer holds a webhook lane and never an export lane.
 */

export interface WebhookLanesOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: MessageHandler;
  /** Bound to the webhook queue: gives back messages received while stopping. */
  readonly actions: Pick<MessageActions, 'changeVisibility'>;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly waitTimeSeconds: number;
  readonly giveBackAfterGraceMs: number;
}

export function createWebhookLanes(options: WebhookLanesOptions): ExportConsumer {
  const { visibilityTimeoutSeconds, maxReceiveCount } = queues.webhookEvents;
  return new ExportConsumer({
    queueUrl: options.queueUrl,
    sqs: options.sqs,
    handler: options.handler,
    actions: options.actions,
    logger: options.logger.child({ lanes: 'webhooks' }),
    // An attempt takes at most WEBHOOK_TIMEOUT_MS (≤ 30 s); the heartbeat covers a fan-out to many endpoints.
    visibilityTimeoutSeconds,
    heartbeatIntervalSeconds: Math.max(1, Math.floor(visibilityTimeoutSeconds / 6)),
    waitTimeSeconds: options.waitTimeSeconds,
    // Deliveries end by their retry window, not by a count: the redrive only catches a message that keeps throwing.
    maxAttempts: maxReceiveCount,
    concurrency: options.concurrency,
    giveBackAfterGraceMs: options.giveBackAfterGraceMs,
  });
}
