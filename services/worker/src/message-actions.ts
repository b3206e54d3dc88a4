import { ChangeMessageVisibilityCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';

/**
 * The SQS side of a decision about a message, and nothing else: changing its
 * visibility (a retry after a delay, a give-back now) and copying it to the
 * dead-letter queue with why. What to do is decided elsewhere (retry-policy.ts);
 * deleting the message is the consumer's, when the handler acknowledges it.
 * Shared by the handler and the consumer, so a message is given back one way.
 */

/** Why a message went to the dead-letter queue, as message attributes an operator can filter on. */
export const DEAD_LETTER_ATTRIBUTES = {
  reasonCode: 'reasonCode',
  reason: 'reason',
  sourceMessageId: 'sourceMessageId',
  sourceQueueUrl: 'sourceQueueUrl',
  receiveCount: 'receiveCount',
  deadLetteredAt: 'deadLetteredAt',
  /** The job the message names, when it could be read. */
  jobId: 'jobId',
  /** Times the job was claimed (its `attempts`), when known. */
  attempts: 'attempts',
} as const;

/** One delivery of a message, as the handler sees it. */
export interface ReceivedMessage {
  readonly message: Message;
  /** The attempt number (retry-policy.ts attemptNumber of ApproximateReceiveCount). */
  readonly receiveCount: number;
  /** Bound to the message (and the job, once known). */
  readonly log: Logger;
}

export interface MessageActionsOptions {
  readonly sqs: SQSClient;
  /** The queue the messages are received from. */
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly now?: () => Date;
}

export class MessageActions {
  private readonly now: () => Date;

  constructor(private readonly options: MessageActionsOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Hides `message` for `seconds` (0: visible again at once). Never throws:
   * when SQS cannot be reached the message reappears when its current
   * visibility timeout ends — later, but not lost — so the failure is only
   * logged on `log` with `note`. Resolves whether the change was made.
   */
  async changeVisibility(
    message: Message,
    seconds: number,
    log: Logger,
    note = 'could not change the message visibility',
  ): Promise<boolean> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
      return true;
    } catch (error) {
      log.warn({ err: error, visibilityTimeout: seconds }, note);
      return false;
    }
  }

  /**
   * Copies the message to the dead-letter queue with the reason attached;
   * the caller then acknowledges it, and the consumer deletes it. Throws when
   * the copy fails: the message is then not acknowledged, and comes back.
   */
  async deadLetter(
    received: Pick<ReceivedMessage, 'message' | 'receiveCount'>,
    reasonCode: string,
    reason: string,
    job: { jobId?: string | undefined; attempts?: number | undefined } = {},
  ): Promise<void> {
    const { message, receiveCount } = received;
    const text = (value: string) => ({ DataType: 'String', StringValue: value.slice(0, 1024) || '-' });
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.deadLetterQueueUrl,
        // SQS refuses an empty body; an empty message can only have been malformed.
        MessageBody: message.Body || '(empty message body)',
        MessageAttributes: {
          [DEAD_LETTER_ATTRIBUTES.reasonCode]: text(reasonCode),
          [DEAD_LETTER_ATTRIBUTES.reason]: text(reason),
          [DEAD_LETTER_ATTRIBUTES.sourceMessageId]: text(message.MessageId ?? 'unknown'),
          [DEAD_LETTER_ATTRIBUTES.sourceQueueUrl]: text(this.options.queueUrl),
          [DEAD_LETTER_ATTRIBUTES.receiveCount]: { DataType: 'Number', StringValue: String(receiveCount) },
          [DEAD_LETTER_ATTRIBUTES.deadLetteredAt]: text(this.now().toISOString()),
          ...(job.jobId ? { [DEAD_LETTER_ATTRIBUTES.jobId]: text(job.jobId) } : {}),
          ...(job.attempts !== undefined
            ? { [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(job.attempts) } }
            : {}),
        },
      }),
    );
  }
}
