import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DrainQueueOptions {
  /** Long-poll wait for the first receive, in seconds. Default 0: what a sender has finished sending is already there. */
  readonly waitSeconds?: number;
}

/**
 * Receives (and deletes) every message now in the queue, with their
 * attributes, until a receive comes back empty. A long visibility timeout,
 * so no message is seen twice while the drain runs.
 */
export async function drainQueue(client: SQSClient, queueUrl: string, { waitSeconds = 0 }: DrainQueueOptions = {}): Promise<Message[]> {
  const received: Message[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return received;
    received.push(...Messages);
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
  }
}

/** The bodies of drained messages, parsed as JSON. */
export function jsonBodies(messages: readonly Message[]): Array<Record<string, unknown>> {
  return messages.map((message) => JSON.parse(message.Body ?? 'null') as Record<string, unknown>);
}
