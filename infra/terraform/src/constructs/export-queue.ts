import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import { SqsQueueRedriveAllowPolicy } from '@cdktn/provider-aws/lib/sqs-queue-redrive-allow-policy';
import { queues } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface ExportQueueProps {
  readonly deployment: Deployment;
}

/** Long polling: a receive waits up to 20 s for a message instead of returning empty at once. */
const RECEIVE_WAIT_SECONDS = 20;

/**
 * The export request queue and its dead-letter queue, configured from core's
 * `queues` definitions: the visibility timeout the worker extends while an
 * export runs, and the receive count after which SQS moves a message to the
 * DLQ. The worker marks the job failed on its last attempt (MAX_ATTEMPTS,
 * defaulting to the same maxReceiveCount), so a message in the DLQ never
 * belongs to a job still shown as queued. Both queues use SQS-managed SSE:
 * encrypted at rest with no KMS key policy for the API, the worker and
 * EventBridge Scheduler to get wrong.
 */
export class ExportQueue extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: ExportQueueProps) {
    super(scope, id);
    const { names } = props.deployment;

    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: names.queues.exportRequestsDeadLetter,
      messageRetentionSeconds: queues.exportRequestsDeadLetter.messageRetentionSeconds,
      sqsManagedSseEnabled: true,
      tags: { Name: names.queues.exportRequestsDeadLetter },
    });

    this.queue = new SqsQueue(this, 'queue', {
      name: names.queues.exportRequests,
      visibilityTimeoutSeconds: queues.exportRequests.visibilityTimeoutSeconds,
      messageRetentionSeconds: queues.exportRequests.messageRetentionSeconds,
      receiveWaitTimeSeconds: RECEIVE_WAIT_SECONDS,
      sqsManagedSseEnabled: true,
      // JSON.stringify keeps the DLQ ARN as an interpolation Terraform resolves.
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: queues.exportRequests.maxReceiveCount,
      }),
      tags: { Name: names.queues.exportRequests },
    });

    // Only the export queue may redrive into this DLQ (and a DLQ redrive moves messages back to it).
    new SqsQueueRedriveAllowPolicy(this, 'dead-letter-queue-sources', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });
  }
}
