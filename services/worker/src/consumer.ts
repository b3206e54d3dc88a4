import { GetQueueAttributesCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { Consumer } from 'sqs-consumer';
import { DeleteBatcher } from './delete-batcher';
import { describe, RetryScheduledError, shutdownReason } from './errors';
import type { MessageActions } from './message-actions';
import { redriveProblem } from './retry-policy';

/**
 * What to do with the message: `ack` deletes it; `leave` keeps it on the
 * queue without counting as a processing error (it becomes visible again
 * when its visibility timeout ends, or at once when the handler said so).
 */
export type HandleOutcome = 'ack' | 'leave';

/**
 * Handles one message (message-router.ts, wired in worker.ts). Resolves with
 * what to do with it; a throw leaves it too, logged as a processing error.
 * `shutdown` aborts when the worker stops: work in hand is then given back.
 */
export type MessageHandler = (message: Message, shutdown: AbortSignal) => Promise<HandleOutcome>;

export interface ExportConsumerOptions {
  readonly queueUrl: string;
  /** The SQS client (injected, so the endpoint and credentials come from config). */
  readonly sqs: SQSClient;
  readonly handler: MessageHandler;
  /** Gives a message back (visible at once) when it cannot be handled: received while stopping, or stuck. */
  readonly actions: Pick<MessageActions, 'changeVisibility'>;
  readonly logger: Logger;
  /** Seconds a received message stays hidden; extended every `heartbeatIntervalSeconds` while it is handled. */
  readonly visibilityTimeoutSeconds: number;
  /** Must be less than `visibilityTimeoutSeconds`. */
  readonly heartbeatIntervalSeconds: number;
  /** Long-poll wait per receive; shutdown waits for the poll in progress, so this bounds its delay. Default 10. */
  readonly waitTimeSeconds?: number;
  /** Receives after which the handler treats a failure as final; compared with the queue's redrive policy at start. */
  readonly maxAttempts: number;
  /**
   * Messages handled at once (WORKER_CONCURRENCY). Each is a lane of its own:
   * one sqs-consumer polling one message at a time, so a long export holds
   * one lane and the others keep taking messages. Default 1.
   */
  readonly concurrency?: number;
  /**
   * On stop, how long after the grace period (when the export in hand is
   * aborted) the handler may take to give the job back. If it is still stuck
   * then (in a call that does not return), the consumer makes the message
   * visible itself and stop() resolves anyway. Default 5000.
   */
  readonly giveBackAfterGraceMs?: number;
  /** Most an acknowledged message waits for others to share its DeleteMessageBatch (delete-batcher.ts). Default 200. */
  readonly deleteLingerMs?: number;
}

/**
 * The SQS side of the worker: `concurrency` lanes, each an sqs-consumer that
 * receives one message at a time (batchSize 1) and handles it to the end
 * before it polls again. Lanes rather than one consumer with a larger batch:
 * sqs-consumer polls again only when every message of a batch is done, so one
 * 200,000-row export in a batch of ten would hold nine free slots idle.
 * Per message everything is as with a single lane: its own visibility
 * heartbeat, its own ApproximateReceiveCount (the handler's attempt number).
 * An idle lane costs one long poll per `waitTimeSeconds`.
 *
 * Returning `ack` from the handler deletes the message: the lanes share one
 * DeleteBatcher, so a lane polls again at once and the deletions go in batches
 * of up to ten; stop() sends the last batch before it resolves. `leave` or a
 * throw keeps the message (a throw is logged as a processing error; the
 * handler has already set the retry delay on the message).
 */
export class ExportConsumer {
  private readonly lanes: readonly Lane[];
  private readonly deletions: DeleteBatcher;
  private readonly shutdown = new AbortController();
  private stopping = false;

  constructor(private readonly options: ExportConsumerOptions) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`concurrency must be a whole number >= 1, got ${concurrency}`);
    this.deletions = new DeleteBatcher({
      sqs: options.sqs,
      queueUrl: options.queueUrl,
      logger: options.logger,
      ...(options.deleteLingerMs === undefined ? {} : { lingerMs: options.deleteLingerMs }),
    });
    this.lanes = Array.from({ length: concurrency }, (_, index) => this.createLane(index));
  }

  /** Lanes: how many messages this consumer handles at once. */
  get concurrency(): number {
    return this.lanes.length;
  }

  /** True from the receipt of a message until it is deleted or left on the queue, in any lane. */
  get busy(): boolean {
    return this.inHand > 0;
  }

  /** Messages received and not yet deleted or left on the queue: in the lanes, or acknowledged and waiting for their batch. */
  get inHand(): number {
    return this.lanes.filter((lane) => lane.current !== undefined).length + this.deletions.pending;
  }

  /**
   * Checks that the queue exists and can be read (fails fast on a wrong URL
   * or missing permission) and warns when its redrive policy does not fit
   * MAX_ATTEMPTS (retry-policy.ts redriveProblem).
   */
  async verifyQueue(): Promise<void> {
    const { Attributes } = await this.options.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }),
    );
    const policy = parseRedrivePolicy(Attributes?.RedrivePolicy);
    const problem = redriveProblem(policy?.maxReceiveCount, this.options.maxAttempts);
    if (problem === 'no_redrive_policy') {
      this.options.logger.warn('the export queue has no redrive policy: failed messages will never reach a dead-letter queue');
    } else if (problem === 'max_receive_count_below_max_attempts') {
      this.options.logger.warn(
        { maxReceiveCount: policy?.maxReceiveCount, maxAttempts: this.options.maxAttempts },
        'the queue redrive maxReceiveCount is below MAX_ATTEMPTS: SQS dead-letters messages before the worker can fail their jobs',
      );
    }
  }

  start(): void {
    for (const lane of this.lanes) lane.consumer.start();
  }

  /**
   * Stops taking messages. The polls in progress are allowed to finish rather
   * than aborted: SQS may still hand a message to an abandoned receive, and
   * that message would then stay hidden for a whole visibility timeout. A
   * message received while stopping is given back at once. The messages in
   * hand may run on for up to `graceMs` (0: stop them now); then their
   * exports are aborted and the handler gives each job back and makes its
   * message visible for another worker. Resolves when the last poll is over
   * and nothing is in hand any more (deletions included) — or, when a handler
   * is stuck in a call that never returns, `giveBackAfterGraceMs` after the
   * grace period, once the consumer has made each stuck message visible
   * itself (the job's lease then runs out on its own; the next claim waits
   * for that).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const lane of this.lanes) lane.consumer.stop();
    const timer = setTimeout(() => this.abortInFlight(), graceMs);
    const deadline = Date.now() + graceMs + (this.options.giveBackAfterGraceMs ?? 5000);
    try {
      while (this.busy || this.lanes.some((lane) => lane.consumer.status.isPolling)) {
        // Nothing more joins a batch once the lanes are stopping: the acknowledged go now.
        if (this.deletions.pending > 0) void this.deletions.flush();
        if (Date.now() >= deadline) {
          const stuck = this.lanes.flatMap((lane) => (lane.current ? [lane.current] : []));
          this.options.logger.error(
            { messageIds: stuck.map((message) => message.MessageId) },
            'messages in hand did not finish after the shutdown grace period; giving them back and stopping anyway',
          );
          // Handed back now; anything a stuck handler does later is conditional on the job's lease.
          await Promise.all(stuck.map((message) => this.giveBack(message)));
          return;
        }
        await sleep(25);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every message in hand at once (a second signal). */
  abortInFlight(): void {
    if (!this.shutdown.signal.aborted) this.shutdown.abort(shutdownReason());
  }

  private createLane(index: number): Lane {
    const { options } = this;
    const log = options.concurrency && options.concurrency > 1 ? options.logger.child({ lane: index }) : options.logger;
    const lane: Lane = {
      current: undefined,
      consumer: Consumer.create({
        queueUrl: options.queueUrl,
        sqs: options.sqs,
        batchSize: 1,
        // Deleted through the shared batcher (handleMessage), not one DeleteMessage per message.
        shouldDeleteMessages: false,
        waitTimeSeconds: options.waitTimeSeconds ?? 10,
        visibilityTimeout: options.visibilityTimeoutSeconds,
        heartbeatInterval: options.heartbeatIntervalSeconds,
        messageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        handleMessage: (message) => this.handleMessage(message),
      }),
    };
    // From receipt until sqs-consumer is done with the message, deletion included.
    lane.consumer.on('message_received', (message) => {
      lane.current = message;
    });
    lane.consumer.on('response_processed', () => {
      lane.current = undefined;
    });
    lane.consumer.on('error', (error, message) => {
      log.error({ err: error, messageId: messageIdOf(message) }, 'SQS error');
    });
    lane.consumer.on('processing_error', (wrapped, message) => {
      // The handler has logged the details with the job's context; this line records the outcome.
      // sqs-consumer wraps what the handler threw in a StandardError whose cause is the original.
      const error = wrapped.cause instanceof Error ? wrapped.cause : wrapped;
      const messageId = message.MessageId;
      if (error instanceof RetryScheduledError) {
        log.info({ messageId, retryInSeconds: error.retryInSeconds, failureCode: error.failure.code }, 'message left for retry');
      } else {
        log.error({ err: error, messageId, detail: describe(error) }, 'message processing failed; it will be retried');
      }
    });
    lane.consumer.on('timeout_error', (error, message) => {
      log.error({ err: error, messageId: message.MessageId }, 'message handling timed out');
    });
    return lane;
  }

  private async handleMessage(message: Message): Promise<Message | undefined> {
    if (this.stopping) {
      await this.giveBack(message);
      return undefined;
    }
    if ((await this.options.handler(message, this.shutdown.signal)) !== 'ack') return undefined;
    this.deletions.delete(message);
    return message;
  }

  /** A message that arrived after stop(), or one a stuck handler holds: visible again at once, for a worker that is not shutting down. */
  private async giveBack(message: Message): Promise<void> {
    await this.options.actions.changeVisibility(
      message,
      0,
      this.options.logger.child({ messageId: message.MessageId }),
      'could not give back a message received while stopping',
    );
  }
}

/** One sqs-consumer and the message it handles (at most one: batch size 1). */
interface Lane {
  current: Message | undefined;
  readonly consumer: Consumer;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageIdOf(message: Message | Message[] | undefined): string | undefined {
  if (!message) return undefined;
  return Array.isArray(message) ? message.map((m) => m.MessageId).join(',') : message.MessageId;
}

function parseRedrivePolicy(value: string | undefined): { maxReceiveCount: number } | undefined {
  if (!value) return undefined;
  try {
    const policy = JSON.parse(value) as { maxReceiveCount?: unknown };
    const count = Number(policy.maxReceiveCount);
    return Number.isFinite(count) ? { maxReceiveCount: count } : undefined;
  } catch {
    return undefined;
  }
}
