import { tableEnvironment } from '@memberships/core/contract';
import type { Deployment } from './deployment';

export interface RuntimeResources {
  readonly exportQueueUrl: string;
  readonly exportDeadLetterQueueUrl: string;
  /** WEBHOOK_QUEUE_URL: the API sends re-sends and cancel events, the worker consumes. */
  readonly webhookQueueUrl: string;
  readonly databaseUrl: string;
}

/**
 * The environment variables both services read (see the common list in the
 * README), built from core's resourceNames(prefix): the names the tables and
 * bucket are created with are the names the code is told to use. The AWS_
 * ENDPOINT_URL_* variables stay unset so the SDK uses the regional endpoints
 * (reached through the VPC endpoints by private DNS).
 */
export function sharedEnvironment(deployment: Deployment, resources: RuntimeResources): Record<string, string> {
  const { names, environment } = deployment;
  return {
    AWS_REGION: deployment.region,
    ...tableEnvironment(names),
    EXPORT_QUEUE_URL: resources.exportQueueUrl,
    EXPORT_DLQ_URL: resources.exportDeadLetterQueueUrl,
    WEBHOOK_QUEUE_URL: resources.webhookQueueUrl,
    EXPORT_BUCKET: names.buckets.exportFiles,
    DATABASE_URL: resources.databaseUrl,
    LOG_LEVEL: environment.logLevel,
  };
}

/** Task definition `secrets` entry for one key of a JSON secret. */
export function secretKey(secretArn: string, jsonKey: string): string {
  return `${secretArn}:${jsonKey}::`;
}
