import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import { SqsQueueRedriveAllowPolicy } from '@cdktn/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { queues } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface WebhookQueueProps {
  readonly deployment: Deployment;
}

/** Long polling, as on the export queue. */
const RECEIVE_WAIT_SECONDS = 20;

/**
 * The queue of completion events and webhook deliveries (core's
 * `queues.webhookEvents`) and its dead-letter queue: the API sends manual
 * re-sends and cancel events, the worker the success and failure events,
 * and the worker's webhook lanes consume it, apart from the exports, so a
 * slow receiver never holds an export. A failed delivery stays on the
 * queue, hidden for its backoff, until the retry window ends; the redrive
 * count is above what that window holds, so only a message the worker
 * cannot handle at all reaches the DLQ on SQS's own. SQS-managed SSE, like
 * the export queue: no KMS key policy for the services to need.
 */
export class WebhookQueue extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: WebhookQueueProps) {
    super(scope, id);
    const { names } = props.deployment;

    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: names.queues.webhookEventsDeadLetter,
      messageRetentionSeconds: queues.webhookEventsDeadLetter.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
      tags: { Name: names.queues.webhookEventsDeadLetter },
    });

    this.queue = new SqsQueue(this, 'queue', {
      name: names.queues.webhookEvents,
      visibilityTimeoutSeconds: queues.webhookEvents.visibilityTimeoutSeconds,
      messageRetentionSeconds: queues.webhookEvents.messageRetentionSeconds,
      receiveWaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: queues.webhookEvents.maxReceiveCount,
      }),
      tags: { Name: names.queues.webhookEvents },
    });

    new SqsQueueRedriveAllowPolicy(this, 'dead-letter-queue-sources', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });
  }
}
