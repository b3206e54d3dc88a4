import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from '@memberships/core/config';
import fp from 'fastify-plugin';

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** EventBridge Scheduler (the local stand-in in development and tests). */
  readonly scheduler: SchedulerClient;
  /** The link signing key (plugins/link-keys.ts); the database login has its own client (plugins/database.ts). */
  readonly secretsManager: SecretsManagerClient;
}

declare module 'fastify' {
  interface FastifyInstance {
    aws: AwsClients;
  }
}

/**
 * One client per AWS service for the whole process, configured only from
 * `config.aws` (a custom endpoint locally, the regional one in AWS) and
 * destroyed when the app closes.
 */
export default fp(
  async (app) => {
    const { aws: settings, awsTimeouts } = app.config;
    // Bounded network waits (core's clientOptions): a request fails, and is retried by the SDK and
    // then by the client, rather than hanging on a dead connection until the load balancer gives up.
    const clients: AwsClients = {
      dynamodb: new DynamoDBClient(clientOptions(settings, 'dynamodb', awsTimeouts)),
      sqs: new SQSClient(clientOptions(settings, 'sqs', awsTimeouts)),
      s3: new S3Client(clientOptions(settings, 's3', awsTimeouts)),
      scheduler: new SchedulerClient(clientOptions(settings, 'scheduler', awsTimeouts)),
      secretsManager: new SecretsManagerClient(clientOptions(settings, 'secretsManager', awsTimeouts)),
    };
    app.decorate('aws', clients);
    app.addHook('onClose', async () => {
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      clients.s3.destroy();
      clients.scheduler.destroy();
      clients.secretsManager.destroy();
    });
  },
  { name: 'aws-clients', dependencies: ['app-context'] },
);
