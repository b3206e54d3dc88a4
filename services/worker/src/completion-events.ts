import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { EVENT_TYPE_OF_STATE, encodeWebhookMessage, eventOccurredMessage, type ExportJob } from '@memberships/core/contract';
import type { HandleOutcome } from './consumer';
import type { ReceivedMessage } from './message-actions';

/**
 * Emitting a job's completion event: one `event.occurred` message on the
 * webhook queue (WEBHOOK_QUEUE_URL), sent after the job is recorded final and
 * BEFORE the export message is acknowledged. Everything else (the EventBridge
 * put, the deliveries to the user's endpoints) happens in the webhook lanes
 * (event-fanout.ts), so the export path pays one SendMessage.
 *
 * At least once, never lost: when the send fails, the export message is left
 * on the queue; its next delivery finds the job final and sends the event
 * again (emitAgainFor). The event id is derived from the job and the state
 * (eventIdOf), so a repeat names the same event and fans out to nothing new.
 */

/** The final states whose events the worker emits (the API emits cancels, the expiry sweep expiries). */
export type WorkerFinalState = 'succeeded' | 'failed';

export interface CompletionEventsOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly now?: () => Date;
}

export class CompletionEvents {
  private readonly now: () => Date;

  constructor(private readonly options: CompletionEventsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Sends the event of `job` reaching `state` (at `occurredAt`, default now). Throws when SQS did not take it. */
  async emit(job: Pick<ExportJob, 'id' | 'userId'>, state: WorkerFinalState, occurredAt?: string): Promise<void> {
    const message = eventOccurredMessage(job.id, job.userId, EVENT_TYPE_OF_STATE[state], occurredAt ?? this.now().toISOString());
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: encodeWebhookMessage(message) }));
  }

  /**
   * emit, then what to do with the export message: `ack` once the event is
   * sent, `leave` (logged) when it could not be, so the message comes back
   * and its next delivery sends it.
   */
  async emitThenAck(
    context: Pick<ReceivedMessage, 'log'>,
    job: Pick<ExportJob, 'id' | 'userId'>,
    state: WorkerFinalState,
    occurredAt?: string,
  ): Promise<HandleOutcome> {
    try {
      await this.emit(job, state, occurredAt);
      return 'ack';
    } catch (error) {
      context.log.error(
        { err: error, state },
        'could not send the completion event; export message left, its next delivery sends the event again',
      );
      return 'leave';
    }
  }

  /**
   * A message for a job that is final already (a duplicate, or the retry of
   * one whose event was not sent): the event again when the state is one the
   * worker emits, and what to do with the message.
   */
  emitAgainFor(context: Pick<ReceivedMessage, 'log'>, job: ExportJob | undefined): Promise<HandleOutcome> {
    if (!job || (job.state !== 'succeeded' && job.state !== 'failed')) return Promise.resolve('ack');
    return this.emitThenAck(context, job, job.state, job.finishedAt);
  }
}
