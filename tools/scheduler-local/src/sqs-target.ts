import { GetQueueUrlCommand, SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { SQS_QUEUE_ARN_PATTERN } from './validation';

export interface SentMessage {
  readonly queueUrl: string;
  readonly messageId: string;
}

/**
 * Sends to SQS queues named by ARN, the way Scheduler's SQS target does:
 * the queue is found by the name in its ARN (GetQueueUrl), then SendMessage.
 * Queue URLs are cached; a failed send forgets the URL, so a queue that was
 * deleted and created again is found again.
 */
export class SqsTargets {
  private readonly queueUrls = new Map<string, string>();

  constructor(private readonly client: SQSClient) {}

  async send(
    queueArn: string,
    body: string,
    options: { messageGroupId?: string; attributes?: Record<string, string>; sourceArn?: string } = {},
  ): Promise<SentMessage> {
    const queueUrl = await this.queueUrl(queueArn);
    try {
      const command = new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        ...(options.messageGroupId !== undefined ? { MessageGroupId: options.messageGroupId } : {}),
        ...(options.attributes ? { MessageAttributes: stringAttributes(options.attributes) } : {}),
      });
      if (options.sourceArn) actingFor(command, options.sourceArn);
      const { MessageId } = await this.client.send(command);
      if (!MessageId) throw new Error(`SendMessage to ${queueUrl} returned no MessageId`);
      return { queueUrl, messageId: MessageId };
    } catch (error) {
      this.queueUrls.delete(queueArn);
      throw error;
    }
  }

  private async queueUrl(queueArn: string): Promise<string> {
    const cached = this.queueUrls.get(queueArn);
    if (cached) return cached;
    const match = SQS_QUEUE_ARN_PATTERN.exec(queueArn);
    const queueName = match?.[4];
    if (!queueName) throw new Error(`${queueArn} is not an SQS queue ARN`);
    const { QueueUrl } = await this.client.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (!QueueUrl) throw new Error(`GetQueueUrl ${queueName} returned no QueueUrl`);
    this.queueUrls.set(queueArn, QueueUrl);
    return QueueUrl;
  }
}

/**
 * Scheduler sends with the schedule's execution role, which it assumes
 * presenting the schedule group's ARN as `aws:SourceArn`. The local IAM gate
 * in front of the SQS emulator reads it from this header to evaluate the
 * role's trust policy the way AWS does.
 */
export const SOURCE_ARN_HEADER = 'x-local-source-arn';

function actingFor(command: SendMessageCommand, sourceArn: string): void {
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers[SOURCE_ARN_HEADER] = sourceArn;
      return next(args);
    },
    { step: 'build', name: 'schedulerSourceArn' },
  );
}

function stringAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]));
}
