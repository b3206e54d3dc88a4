import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from '@memberships/core';
import fp from 'fastify-plugin';

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** EventBridge Scheduler (the local stand-in in development and tests). */
  readonly scheduler: SchedulerClient;
}

declare module 'fastify' {
  interface FastifyInstance {
    aws: AwsClients;
  }
}

/**
 * Bounded network waits: a request should fail (and be retried by the SDK, then
 * by the client) rather than hang on a dead connection until the load balancer
 * gives up.
 */
const requestHandler = { connectionTimeout: 3_000, requestTimeout: 10_000 } as const;

/**
 * One client per AWS service for the whole process, configured only from
 * `config.aws` (a custom endpoint locally, the regional one in AWS) and
 * destroyed when the app closes.
 */
export default fp(
  async (app) => {
    const settings = app.config.aws;
    const clients: AwsClients = {
      dynamodb: new DynamoDBClient({ ...clientOptions(settings, 'dynamodb'), requestHandler }),
      sqs: new SQSClient({ ...clientOptions(settings, 'sqs'), requestHandler }),
      s3: new S3Client({ ...clientOptions(settings, 's3'), requestHandler }),
      scheduler: new SchedulerClient({ ...clientOptions(settings, 'scheduler'), requestHandler }),
    };
    app.decorate('aws', clients);
    app.addHook('onClose', async () => {
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      clients.s3.destroy();
      clients.scheduler.destroy();
    });
  },
  { name: 'aws-clients', dependencies: ['app-context'] },
);
