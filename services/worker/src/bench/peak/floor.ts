import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Upload } from '@aws-sdk/lib-storage';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import {
  contentDisposition,
  DEFAULT_EXPORT_OPTIONS,
  encodeMessage,
  exportContentType,
  exportFileName,
  encodeWebhookMessage,
  eventOccurredMessage,
  exportRequestedMessage,
  type EmailAttempt,
} from '@memberships/core/contract';
import { JobStore, UserStore } from '@memberships/core/dynamodb';
import { countSelect, exportCopyStatement } from '@memberships/core/postgres-client';
import { localCredentials, TEST_SES_FROM_ADDRESS, type LocalIdentity, type TestResources } from '@memberships/local-platform';
import MailComposer from 'nodemailer/lib/mail-composer';
import { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import pino from 'pino';
import { DeleteBatcher } from '../../delete-batcher';
import { exportFileKey } from '../../file-store';
import { mapLimit, type BenchUser } from './bench-platform';

/**
 * The floor: what one export costs in AWS and PostgreSQL calls alone, made
 * bare from this process at the same concurrency as the worker, through the
 * same IAM gate with the same roles' keys (the API's for the create and the
 * send, the worker's for the rest). Per export, in the platform's order:
 * TransactWriteItems (guard + job, JobStore.create as the export route does),
 * SendMessage; ReceiveMessage, UpdateItem (claim), GetItem (user), the
 * count and the COPY of the user's rows into memory in one read-only
 * transaction (core's statements), PutObject (a multipart upload above 8 MB, as the worker's lib-storage
 * Upload does), UpdateItem (email attempt),
 * SendEmail of a raw MIME message with the file attached (or a link above
 * the attachment limit), UpdateItem (complete), SendMessage (the completion
 * event, to the webhook queue; with no endpoint its fan-out is the worker's
 * own work, measured in its CPU-seconds), and the deletion of the message in
 * DeleteMessageBatch requests shared by the exports, as the worker's lanes
 * share theirs (delete-batcher.ts). No progress
 * writes, no lease renewals, no HTTP layer, no retries: a bound the platform
 * cannot beat, which `ratio` compares it with.
 */

export interface FloorResult {
  readonly exports: number;
  readonly seconds: number;
  readonly exportsPerSec: number;
}

/** The worker's default ATTACHMENT_LIMIT_BYTES: larger files are linked. */
const ATTACHMENT_LIMIT_BYTES = 5 * 1024 * 1024;
/** The worker's upload part size (file-store.ts). */
const PART_SIZE_BYTES = 8 * 1024 * 1024;
const OWNER = 'peak-bench-floor';
const LEASE_MS = 15 * 60_000;

function clientSettings(aws: AwsClientSettings, identity: LocalIdentity): AwsClientSettings {
  return { ...aws, credentials: localCredentials(identity) };
}

export async function runFloor(
  resources: TestResources,
  databaseUrl: string,
  users: readonly BenchUser[],
  concurrency: number,
): Promise<FloorResult> {
  const apiAws = clientSettings(resources.aws, 'api');
  const workerAws = clientSettings(resources.aws, 'worker');
  const tables = { jobsTable: resources.names.tables.exportJobs, guardsTable: resources.names.tables.exportGuards };
  const apiDynamo = new DynamoDBClient(clientOptions(apiAws, 'dynamodb'));
  const workerDynamo = new DynamoDBClient(clientOptions(workerAws, 'dynamodb'));
  const apiJobs = new JobStore({ client: apiDynamo, ...tables });
  const workerJobs = new JobStore({ client: workerDynamo, ...tables });
  const workerUsers = new UserStore({ client: workerDynamo, table: resources.names.tables.users });
  const apiSqs = new SQSClient(clientOptions(apiAws, 'sqs'));
  const workerSqs = new SQSClient(clientOptions(workerAws, 'sqs'));
  const s3 = new S3Client(clientOptions(workerAws, 's3'));
  const ses = new SESv2Client(clientOptions(workerAws, 'ses'));
  const pool = new Pool({ connectionString: databaseUrl, max: concurrency, application_name: 'peak-bench-floor' });
  const queueUrl = resources.queueUrls.exportQueueUrl;
  // A delete SQS refused would be logged on stderr, beside the bench's progress.
  const deletions = new DeleteBatcher({ sqs: workerSqs, queueUrl, logger: pino({ level: 'warn' }, process.stderr) });

  const exportOne = async (user: BenchUser): Promise<void> => {
    // API side.
    const created = await apiJobs.create({ userId: user.id, trigger: 'api' });
    await apiSqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeMessage(exportRequestedMessage(created.job)) }));

    // Worker side: whichever message the receive gets (another lane's, maybe), as a worker would.
    let message: { id: string | undefined; body: string; receipt: string } | undefined;
    while (!message) {
      const { Messages } = await workerSqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
      );
      const first = Messages?.[0];
      if (first?.Body && first.ReceiptHandle) message = { id: first.MessageId, body: first.Body, receipt: first.ReceiptHandle };
    }
    const { jobId, userId } = JSON.parse(message.body) as { jobId: string; userId: string };
    const claim = await workerJobs.claim(jobId, OWNER, LEASE_MS, randomUUID());
    if (!claim.claimed) throw new Error(`floor: could not claim ${jobId} (${claim.reason})`);
    const owner = await workerUsers.get(userId);
    if (!owner) throw new Error(`floor: no user ${userId}`);

    const client = await pool.connect();
    let content: Buffer;
    let rows: number;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      rows = Number((await client.query<{ count: string }>(countSelect(userId, DEFAULT_EXPORT_OPTIONS))).rows[0]?.count ?? 0);
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(exportCopyStatement(userId, DEFAULT_EXPORT_OPTIONS)))) chunks.push(chunk as Buffer);
      content = Buffer.concat(chunks);
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    const key = exportFileKey(userId, jobId, DEFAULT_EXPORT_OPTIONS);
    const contentType = exportContentType(DEFAULT_EXPORT_OPTIONS);
    const fileName = exportFileName(claim.job);
    // As file-store.ts uploads: lib-storage in 8 MB parts, 3 at a time (one PutObject for a file below a part).
    await new Upload({
      client: s3,
      partSize: PART_SIZE_BYTES,
      queueSize: 3,
      params: {
        Bucket: resources.names.buckets.exportFiles,
        Key: key,
        Body: content,
        ContentType: contentType,
        ContentDisposition: contentDisposition(fileName),
        ServerSideEncryption: 'AES256',
      },
    }).done();
    const file = { key, rows, bytes: content.length, sha256: '', contentType };
    const attached = content.length <= ATTACHMENT_LIMIT_BYTES;
    const sending: EmailAttempt = {
      state: 'sending',
      sends: 1,
      method: attached ? 'attachment' : 'link',
      to: owner.email,
      file,
      at: new Date().toISOString(),
    };
    await workerJobs.recordEmailAttempt(jobId, OWNER, sending);
    const mime = await new MailComposer({
      from: TEST_SES_FROM_ADDRESS,
      to: owner.email,
      subject: `Your memberships export (${rows} rows)`,
      text: `Export job: ${jobId}\n${attached ? 'Attached.' : 'https://127.0.0.1/download'}`,
      html: `<p>Export job: ${jobId}</p>`,
      ...(attached ? { attachments: [{ filename: fileName, content, contentType }] } : {}),
    })
      .compile()
      .build();
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: TEST_SES_FROM_ADDRESS,
        Destination: { ToAddresses: [owner.email] },
        EmailTags: [{ Name: 'kind', Value: 'export-ready' }],
        Content: { Raw: { Data: mime } },
      }),
    );
    const emailedAt = new Date().toISOString();
    await workerJobs.complete(
      jobId,
      OWNER,
      file,
      { method: sending.method, to: owner.email, emailedAt, messageId: sent.MessageId },
      { ...sending, state: 'sent', messageId: sent.MessageId, at: emailedAt },
    );
    await workerSqs.send(
      new SendMessageCommand({
        QueueUrl: resources.queueUrls.webhookQueueUrl,
        MessageBody: encodeWebhookMessage(eventOccurredMessage(jobId, owner.id, 'export.succeeded', emailedAt)),
      }),
    );
    deletions.delete({ MessageId: message.id, ReceiptHandle: message.receipt });
  };

  try {
    const started = performance.now();
    await mapLimit(users, concurrency, exportOne);
    await deletions.flush();
    const seconds = (performance.now() - started) / 1000;
    return { exports: users.length, seconds, exportsPerSec: users.length / seconds };
  } finally {
    for (const client of [apiDynamo, workerDynamo, apiSqs, workerSqs, s3, ses]) client.destroy();
    await pool.end();
  }
}
