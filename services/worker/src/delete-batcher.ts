import { DeleteMessageBatchCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';

/**
 * The deletions of one queue's handled messages, gathered across the
 * consumer's lanes into DeleteMessageBatch requests of up to ten (SQS's most
 * per batch). A lane hands its message over and polls again at once instead
 * of waiting for a DeleteMessage round trip of its own; the batch goes when
 * it is full or `lingerMs` after its first message, and at once on flush()
 * (shutdown). On the first of the month that is one request for up to ten
 * exports where there were ten, billed as one (SQS bills a batch as one
 * request per 64 KiB of payload).
 *
 * A deletion that is late or fails costs no correctness, as with a single
 * DeleteMessage: the message stays hidden until its visibility timeout ends
 * and is then received again, and the handlers are repeatable. A final job's
 * message is acknowledged with no second export or email (completion-events.ts,
 * emitAgainFor); an event fans out to nothing new (event-fanout.ts); a
 * delivery already made is not sent again (webhook-delivery.ts). `lingerMs` is
 * far below any visibility timeout of ours, so lingering alone never makes a
 * message come back.
 */

/** SQS's limit: a DeleteMessageBatch takes at most 10 entries. */
export const MAX_DELETE_BATCH = 10;

export interface DeleteBatcherOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly logger: Logger;
  /** Most a deletion waits for others to join its batch. Default 200. */
  readonly lingerMs?: number;
}

export class DeleteBatcher {
  private readonly lingerMs: number;
  private waiting: Message[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly sending = new Set<Promise<void>>();
  /** Messages in the requests of `sending`. */
  private inRequests = 0;

  constructor(private readonly options: DeleteBatcherOptions) {
    this.lingerMs = options.lingerMs ?? 200;
    if (!Number.isFinite(this.lingerMs) || this.lingerMs < 0) throw new RangeError(`lingerMs must be >= 0, got ${this.lingerMs}`);
  }

  /** Messages handed over and not yet answered for by SQS (waiting or in a request). */
  get pending(): number {
    return this.waiting.length + this.inRequests;
  }

  /** Queues `message` for deletion; never throws (a failure is logged and the message comes back later). */
  delete(message: Message): void {
    this.waiting.push(message);
    if (this.waiting.length >= MAX_DELETE_BATCH) this.send();
    else this.timer ??= setTimeout(() => this.send(), this.lingerMs);
  }

  /** Sends what waits now and resolves once every request sent so far is answered. */
  async flush(): Promise<void> {
    if (this.waiting.length > 0) this.send();
    await Promise.all([...this.sending]);
  }

  private send(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_DELETE_BATCH);
      this.inRequests += batch.length;
      const request: Promise<void> = this.deleteBatch(batch).finally(() => {
        this.inRequests -= batch.length;
        this.sending.delete(request);
      });
      this.sending.add(request);
    }
  }

  private async deleteBatch(batch: readonly Message[]): Promise<void> {
    // Entry ids only need to be unique within the request.
    const entries = batch.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle }));
    try {
      const { Failed = [] } = await this.options.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }),
      );
      for (const failure of Failed) {
        const message = batch[Number(failure.Id)];
        this.options.logger.warn(
          { messageId: message?.MessageId, code: failure.Code, senderFault: failure.SenderFault, detail: failure.Message },
          'SQS did not delete a handled message; it will be received again and acknowledged then',
        );
      }
    } catch (error) {
      this.options.logger.error(
        { err: error, messageIds: batch.map((message) => message.MessageId) },
        'deleting handled messages failed; they will be received again and acknowledged then',
      );
    }
  }
}
