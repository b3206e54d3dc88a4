import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { encodeMessage, type ExportMessage } from '@memberships/core/contract';
import fp from 'fastify-plugin';

export interface ExportQueue {
  /** Sends the message to the export queue; resolves with the SQS message id. */
  enqueue(message: ExportMessage): Promise<string | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    exportQueue: ExportQueue;
  }
}

/** The producer side of the `export.requested` contract (see core messages.ts). */
export default fp(
  async (app) => {
    const queueUrl = app.config.exportQueueUrl;
    app.decorate<ExportQueue>('exportQueue', {
      async enqueue(message) {
        const { MessageId } = await app.aws.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeMessage(message) }));
        return MessageId;
      },
    });
  },
  { name: 'export-queue', dependencies: ['app-context', 'aws-clients'] },
);
