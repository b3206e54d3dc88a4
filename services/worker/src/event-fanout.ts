import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  encodeWebhookMessage,
  EVENT_SOURCE,
  fileExpiresAt,
  hasFile,
  readState,
  toJobResource,
  WEBHOOK_DELIVERY,
  type EventOccurredV1,
  type ExportJob,
  type WebhookDeliveryV1,
} from '@memberships/core/contract';
import type { JobStore } from '@memberships/core/dynamodb';
import type { WebhookStore } from '@memberships/core/webhooks';
import type { HandleOutcome } from './consumer';
import type { EmailLinks } from './email-links';
import type { ReceivedMessage } from './message-actions';

/**
 * An `event.occurred` message → the event's payload, put on the EventBridge
 * bus, and one delivery per enabled endpoint of the user subscribed to the
 * type, each with its own `webhook.delivery` message (webhook-delivery.ts
 * makes the attempts). The payload is built once, here, from the job as it
 * reads now (the API's public shape, toJobResource) and stored on each
 * delivery: every attempt and re-send sends the same bytes.
 *
 * Repeatable: a message received twice (or a crash half-way) puts the event
 * again (EventBridge is at least once; rules match on the payload's `id`)
 * and finds the deliveries made already (createDelivery is conditional); a
 * delivery found still pending gets its message again, since the crash may
 * have come between the record and the message, and the delivery side does
 * nothing for one that succeeded meanwhile.
 */

export interface EventFanoutDependencies {
  readonly jobs: Pick<JobStore, 'get'>;
  readonly webhooks: Pick<WebhookStore, 'listEndpointsFor' | 'createDelivery'>;
  /** The signed download link, made as the export email makes it. */
  readonly links: Pick<EmailLinks, 'download'>;
  readonly eventBridge: EventBridgeClient;
  readonly eventBusName: string;
  readonly sqs: SQSClient;
  /** The webhook queue, where the deliveries' messages go. */
  readonly queueUrl: string;
  /** FILE_RETENTION_DAYS: the job resource's state and expiry. */
  readonly fileRetentionDays: number;
  readonly now?: () => Date;
}

export class EventFanout {
  private readonly now: () => Date;

  constructor(private readonly deps: EventFanoutDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Resolves `ack` when done; throws (the message is left and comes back) when the bus or a write failed. */
  async handle(context: ReceivedMessage, event: EventOccurredV1): Promise<HandleOutcome> {
    const log = context.log.child({ eventId: event.eventId, eventType: event.eventType, jobId: event.jobId, userId: event.userId });
    const job = await this.deps.jobs.get(event.jobId);
    if (!job || job.userId !== event.userId) {
      log.error({ jobFound: job !== undefined }, 'event names a job that is not the user’s (or does not exist); nothing sent');
      return 'ack';
    }
    if (event.eventType === 'export.expired' && readState(job, this.now(), this.deps.fileRetentionDays) !== 'expired') {
      // Only the expiry sweep sends these, for jobs that read expired: this one does not (any more, or yet).
      log.error({ state: job.state }, 'export.expired for a job that does not read expired; nothing sent');
      return 'ack';
    }
    const payload = await this.payload(event, job);
    const put = await this.deps.eventBridge.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.deps.eventBusName, Source: EVENT_SOURCE, DetailType: event.eventType, Detail: payload }],
      }),
    );
    if ((put.FailedEntryCount ?? 0) > 0) {
      const entry = put.Entries?.[0];
      throw new Error(`EventBridge refused the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
    const endpoints = (await this.deps.webhooks.listEndpointsFor(event.userId)).filter(
      (endpoint) => endpoint.status === 'enabled' && endpoint.events.includes(event.eventType),
    );
    let queued = 0;
    for (const endpoint of endpoints) {
      const { created, delivery } = await this.deps.webhooks.createDelivery({
        endpoint,
        eventId: event.eventId,
        eventType: event.eventType,
        jobId: job.id,
        payload,
      });
      if (!created && delivery.status !== 'pending') continue;
      const message: WebhookDeliveryV1 = {
        type: WEBHOOK_DELIVERY,
        version: 1,
        deliveryId: delivery.id,
        endpointId: endpoint.id,
        userId: event.userId,
        trigger: 'automatic',
      };
      await this.deps.sqs.send(new SendMessageCommand({ QueueUrl: this.deps.queueUrl, MessageBody: encodeWebhookMessage(message) }));
      queued += 1;
    }
    log.info({ endpoints: endpoints.length, deliveriesQueued: queued }, 'event put on the bus and fanned out');
    return 'ack';
  }

  /** The event's JSON, as interfaces document it: the job as GET /v1/exports/{id} returns it, and the download link. */
  private async payload(event: EventOccurredV1, job: ExportJob): Promise<string> {
    const now = this.now();
    const withLink = event.eventType === 'export.succeeded' && hasFile(job, now, this.deps.fileRetentionDays);
    const downloadUrl = withLink ? (await this.deps.links.download(job, now)).url : undefined;
    return JSON.stringify({
      id: event.eventId,
      object: 'event',
      type: event.eventType,
      // The job's own time: a repeated emission (a later occurredAt) describes the same moment.
      created_at: this.occurredAt(event, job),
      data: {
        object: toJobResource(job, now, this.deps.fileRetentionDays),
        ...(downloadUrl ? { download_url: downloadUrl } : {}),
      },
    });
  }

  /** When the event happened, from the job: its file's expiry for export.expired, else when it finished. */
  private occurredAt(event: EventOccurredV1, job: ExportJob): string {
    const at = event.eventType === 'export.expired' ? fileExpiresAt(job, this.deps.fileRetentionDays)?.toISOString() : job.finishedAt;
    return at ?? event.occurredAt;
  }
}
