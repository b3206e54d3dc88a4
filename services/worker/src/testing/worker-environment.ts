import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import {
  encodeMessage,
  exportRequestedMessage,
  scheduleTargetInput,
  type ExportJob,
  type ExportSchedule,
  type ResourceNames,
} from '@memberships/core/contract';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import { JobStore, ScheduleStore } from '@memberships/core/dynamodb';
import {
  createTestDatabase,
  createUser,
  isAddressedTo,
  listEmails,
  provisionTestResources,
  serviceEnv,
  type CreatedUser,
  type ProvisionedQueues,
  type SesEmail,
  type TestDatabase,
  TEST_SES_FROM_ADDRESS,
  waitFor,
} from '@memberships/local-platform';
import { loadConfig, type WorkerConfig } from '../config';
import { DEAD_LETTER_ATTRIBUTES } from '../message-actions';

export interface WorkerTestEnvironmentOptions {
  /** Export queue overrides (e.g. a short visibility timeout). */
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
}

/**
 * Everything a worker test needs, on the real emulators and a real
 * PostgreSQL database of its own: tables, queues and bucket under a random
 * prefix, a fresh migrated database, SDK clients, and the worker's
 * environment. Jobs are created and requested the way the API does it
 * (JobStore.create, then the v1 message on the queue); schedule ticks are
 * sent the way EventBridge Scheduler sends them (sendTick).
 */
export class WorkerTestEnvironment {
  // Set by provision(): in the suite's beforeAll (forSuite), or before create() resolves.
  readonly aws!: AwsClientSettings;
  readonly names!: ResourceNames;
  readonly queues!: ProvisionedQueues;
  /** LINK_SIGNING_SECRET_ARN: this environment's link signing key secret (rotate it with rotateLinkSigningKey). */
  readonly linkSigningSecretArn!: string;
  readonly database!: TestDatabase;
  readonly sqs!: SQSClient;
  readonly s3!: S3Client;
  readonly dynamodb!: DynamoDBClient;
  readonly jobs!: JobStore;
  readonly schedules!: ScheduleStore;
  readonly visibilityTimeoutSeconds: number;

  private constructor(private readonly options: WorkerTestEnvironmentOptions) {
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 60;
  }

  /**
   * One environment for the tests of the enclosing describe block (or file):
   * provisioned in its beforeAll, closed in its afterAll. Call it in the
   * block's body; use it in its hooks and tests.
   */
  static forSuite(options: WorkerTestEnvironmentOptions = {}): WorkerTestEnvironment {
    const env = new WorkerTestEnvironment(options);
    beforeAll(() => env.provision());
    afterAll(() => env.close());
    return env;
  }

  static async create(options: WorkerTestEnvironmentOptions = {}): Promise<WorkerTestEnvironment> {
    const env = new WorkerTestEnvironment(options);
    await env.provision();
    return env;
  }

  private async provision(): Promise<void> {
    const { visibilityTimeoutSeconds, maxReceiveCount } = this.options;
    const [resources, database] = await Promise.all([
      provisionTestResources({
        exportQueue: {
          ...(visibilityTimeoutSeconds ? { visibilityTimeoutSeconds } : {}),
          ...(maxReceiveCount ? { maxReceiveCount } : {}),
        },
      }),
      createTestDatabase(),
    ]);
    const { aws, names } = resources;
    const dynamodb = new DynamoDBClient(clientOptions(aws, 'dynamodb'));
    Object.assign(this, {
      aws,
      names,
      queues: resources.queueUrls,
      linkSigningSecretArn: resources.linkSigningSecretArn,
      database,
      sqs: new SQSClient(clientOptions(aws, 'sqs')),
      s3: new S3Client(clientOptions(aws, 's3')),
      dynamodb,
      jobs: new JobStore({ client: dynamodb, jobsTable: names.tables.exportJobs, guardsTable: names.tables.exportGuards }),
      schedules: new ScheduleStore({ client: dynamodb, table: names.tables.exportSchedules }),
    });
  }

  /** The worker's environment variables (the same set a deployment sets), plus `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return serviceEnv({
      identity: 'worker',
      aws: this.aws,
      names: this.names,
      queueUrls: this.queues,
      // As in production: its least-privilege role, the password read from Secrets Manager.
      databaseUrl: this.database.roles.worker.url,
      databaseSecretArn: this.database.roles.worker.secretArn,
      linkSigningSecretArn: this.linkSigningSecretArn,
      logLevel: 'debug',
      extra: {
        SES_FROM_ADDRESS: TEST_SES_FROM_ADDRESS,
        VISIBILITY_TIMEOUT_SECONDS: String(this.visibilityTimeoutSeconds),
        // No API runs beside an in-process worker: links point at a port nothing listens on (tests with an API pass its URL).
        PUBLIC_API_URL: 'http://127.0.0.1:9',
        ...extra,
      },
    });
  }

  config(extra: Record<string, string> = {}): WorkerConfig {
    return loadConfig(this.env(extra));
  }

  createUser(): Promise<CreatedUser> {
    return createUser({ aws: this.aws, table: this.names.tables.users });
  }

  /** What the API does for POST /v1/exports: create the job, then put the v1 message on the queue. */
  async requestExport(userId: string): Promise<{ job: ExportJob; body: string }> {
    const { job } = await this.jobs.create({ userId, trigger: 'api' });
    const body = encodeMessage(exportRequestedMessage(job));
    await this.send(body);
    return { job, body };
  }

  /**
   * What EventBridge Scheduler sends for one tick of `schedule`: the target
   * input template with the scheduled time and execution id filled in.
   */
  async sendTick(
    schedule: Pick<ExportSchedule, 'id' | 'userId'>,
    scheduledTime: string,
    executionId = `exec-${Math.random().toString(16).slice(2)}`,
  ): Promise<string> {
    const body = scheduleTargetInput(schedule)
      .replace('<aws.scheduler.scheduled-time>', scheduledTime)
      .replace('<aws.scheduler.execution-id>', executionId);
    await this.send(body);
    return body;
  }

  /** Messages on the export queue and its dead-letter queue, visible or in flight (approximate, as SQS reports them). */
  async queueDepths(): Promise<{ exportQueue: number; deadLetterQueue: number }> {
    const depth = async (queueUrl: string) => {
      const { Attributes = {} } = await this.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    };
    const [exportQueue, deadLetterQueue] = await Promise.all([depth(this.queues.exportQueueUrl), depth(this.queues.exportDlqUrl)]);
    return { exportQueue, deadLetterQueue };
  }

  async send(body: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queues.exportQueueUrl, MessageBody: body }));
  }

  /** Waits until the job satisfies `done` (e.g. is final), and returns it. */
  waitForJob(jobId: string, done: (job: ExportJob) => boolean, timeoutMs = 30_000): Promise<ExportJob> {
    return waitFor(
      `job ${jobId}`,
      async () => {
        const job = await this.jobs.get(jobId);
        return job && done(job) ? job : undefined;
      },
      { timeoutMs, intervalMs: 25 },
    );
  }

  /** Receives (and deletes) what is in the dead-letter queue, with its message attributes. */
  async drainDeadLetters(expected: number, timeoutMs = 20_000): Promise<Message[]> {
    const received: Message[] = [];
    await waitFor(
      `${expected} dead-letter message(s)`,
      async () => {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queues.exportDlqUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        for (const message of Messages) {
          received.push(message);
          await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queues.exportDlqUrl, ReceiptHandle: message.ReceiptHandle }));
        }
        return received.length >= expected ? received : undefined;
      },
      { timeoutMs, intervalMs: 0 },
    );
    return received;
  }

  /** drainDeadLetters, keyed by the reason code the worker gave each message. */
  async drainDeadLettersByReason(expected: number, timeoutMs?: number): Promise<Record<string, Message>> {
    const dead = await this.drainDeadLetters(expected, timeoutMs);
    return Object.fromEntries(
      dead.map((message) => [message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue, message]),
    );
  }

  /** Emails the SES emulator accepted for `address` (about job `jobId`, when given: its id is in the text). */
  async emailsTo(address: string, jobId?: string): Promise<SesEmail[]> {
    const emails = await listEmails(this.aws.endpoints.ses!);
    return emails.filter((email) => isAddressedTo(email, address) && (jobId === undefined || (email.body.text ?? '').includes(jobId)));
  }

  waitForEmails(address: string, count: number, jobId?: string, timeoutMs = 30_000): Promise<SesEmail[]> {
    return waitFor(
      `${count} email(s) to ${address}`,
      async () => {
        const emails = await this.emailsTo(address, jobId);
        return emails.length >= count ? emails : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async getObject(key: string): Promise<{ body: Buffer; contentType?: string; contentDisposition?: string }> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.names.buckets.exportFiles, Key: key }));
    return {
      body: Buffer.from(await object.Body!.transformToByteArray()),
      ...(object.ContentType ? { contentType: object.ContentType } : {}),
      ...(object.ContentDisposition ? { contentDisposition: object.ContentDisposition } : {}),
    };
  }

  /** Safe to call when provisioning failed. */
  async close(): Promise<void> {
    if (!this.database) return;
    this.sqs.destroy();
    this.s3.destroy();
    this.dynamodb.destroy();
    await this.database.drop();
  }
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
