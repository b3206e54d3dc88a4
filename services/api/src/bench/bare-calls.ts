import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import { encodeMessage, exportRequestedMessage } from '@memberships/core/contract';
import { JobStore } from '@memberships/core/dynamodb';
import { optionsFromBody } from '../routes/exports/create-problems';

/**
 * What each benchmarked route asks of DynamoDB and SQS, made from this
 * process without the API: core's JobStore (the API's own store, so the
 * same commands with the same marshalling) and an SQS client configured as
 * the API configures its own (core's clientOptions, the API role's keys, the
 * same endpoints: the IAM gate in front of the emulators).
 *
 * - GET /v1/exports/{id}: JobStore.getForUser, one consistent GetItem.
 * - GET /v1/exports: JobStore.listForUser, one Query of the byUser index.
 * - POST /v1/exports (no body, a user without an export in progress):
 *   JobStore.create, one TransactWriteItems (the job and the user's
 *   active-export guard), then one SendMessage of the export.requested message.
 */
export interface BareCalls {
  getJob(jobId: string, userId: string): Promise<boolean>;
  listJobs(userId: string, limit: number): Promise<boolean>;
  /** Creates a job for `userId` (who must have none queued or running) and sends its message. */
  createJob(userId: string): Promise<boolean>;
  close(): void;
}

export interface BareCallsOptions {
  /** Endpoints and region; the credentials are `credentials`. */
  readonly aws: AwsClientSettings;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly jobsTable: string;
  readonly guardsTable: string;
  readonly exportQueueUrl: string;
}

export function bareCalls(options: BareCallsOptions): BareCalls {
  const settings: AwsClientSettings = { ...options.aws, credentials: { ...options.credentials } };
  const dynamodb = new DynamoDBClient(clientOptions(settings, 'dynamodb'));
  const sqs = new SQSClient(clientOptions(settings, 'sqs'));
  const jobs = new JobStore({ client: dynamodb, jobsTable: options.jobsTable, guardsTable: options.guardsTable });
  // What the route reads from an empty body: the default export's options.
  const defaults = optionsFromBody({});
  return {
    async getJob(jobId, userId) {
      return (await jobs.getForUser(jobId, userId)) !== undefined;
    },
    async listJobs(userId, limit) {
      return (await jobs.listForUser(userId, { limit })).jobs.length > 0;
    },
    async createJob(userId) {
      const result = await jobs.create({ userId, trigger: 'api', options: defaults });
      if (!result.created) return false;
      await sqs.send(
        new SendMessageCommand({ QueueUrl: options.exportQueueUrl, MessageBody: encodeMessage(exportRequestedMessage(result.job)) }),
      );
      return true;
    },
    close() {
      dynamodb.destroy();
      sqs.destroy();
    },
  };
}
