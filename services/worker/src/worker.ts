import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from '@memberships/core/config';
import { JobStore, LinkKeySource, ScheduleStore, UserStore } from '@memberships/core/dynamodb';
import { CredentialPool, postgresTimeouts, serviceRotatingPassword } from '@memberships/core/postgres-client';
import { EndpointAddressPolicy, WebhookStore } from '@memberships/core/webhooks';
import type { Logger } from 'pino';
import { leaseMsFor, SHUTDOWN_MARGIN_SECONDS, type WorkerConfig } from './config';
import { CompletionEvents } from './completion-events';
import { ExportConsumer, type MessageHandler } from './consumer';
import { EmailLinks } from './email-links';
import { EndpointDisabledNotifier } from './endpoint-disabled-notice';
import { EventFanout } from './event-fanout';
import { ExpirySweep } from './expiry-sweep';
import { ExpirySweepCursor } from './expiry-sweep-cursor';
import { ExportHandler } from './export-handler';
import { FailureHandler } from './failure-handler';
import { FailureNotifier } from './failure-notice';
import { ExportFileStore } from './file-store';
import { beatOnConsumerCalls, HeartbeatFile, heartbeatMaxGapMs } from './health-check-heartbeat';
import { jobCompletion } from './job-completion';
import { ExportMailer } from './mailer';
import { MessageActions } from './message-actions';
import { messageRouter } from './message-router';
import type { RetrySettings } from './retry-policy';
import { ScheduleTickHandler } from './schedule-tick';
import { WebhookDeliveryHandler } from './webhook-delivery';
import { createWebhookLanes } from './webhook-lanes';
import { webhookRouter } from './webhook-router';
import { WebhookSender } from './webhook-sender';

export interface Worker {
  readonly workerId: string;
  /** What the consumer calls for each message (message-router.ts). */
  readonly handler: MessageHandler;
  readonly consumer: ExportConsumer;
  /** The webhook lanes: completion events' fan-out and webhook attempts (webhook-lanes.ts). */
  readonly webhookLanes: ExportConsumer;
  /** Checks the queues, then starts polling both. */
  start(): Promise<void>;
  /** Stops polling, finishes or gives back the jobs and deliveries in hand (see ExportConsumer.stop), closes connections. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerOptions {
  /** Heartbeat file for the container health check (health-check.ts); unset: none is written. */
  readonly heartbeatFile?: string;
}

/**
 * Wires the worker from its configuration: AWS SDK clients (endpoints from
 * config, so the same code runs against AWS and the local emulators), the
 * PostgreSQL pool, the stores, and the message path: consumer → router →
 * (schedule tick →) export pipeline, with the retry policy's settings and the
 * message actions shared by the failure path and the consumer's give-back.
 * Beside it, the webhook lanes on their own queue: consumer → webhook router
 * → event fan-out (EventBridge, deliveries), one webhook attempt, or the
 * hourly expiry sweep (export.expired).
 */
export function createWorker(config: WorkerConfig, logger: Logger, options: WorkerOptions = {}): Worker {
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const log = logger.child({ workerId });
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, 'dynamodb', config.awsTimeouts));
  const sqs = new SQSClient(clientOptions(config.aws, 'sqs', config.awsTimeouts));
  if (options.heartbeatFile) {
    const heartbeat = new HeartbeatFile(options.heartbeatFile, heartbeatMaxGapMs(config));
    beatOnConsumerCalls(sqs, heartbeat, (error) => log.warn({ err: error }, 'could not write the heartbeat file'));
  }
  const s3 = new S3Client(clientOptions(config.aws, 's3', config.awsTimeouts));
  // The link signing key, read at the first link email and every 5 minutes after (a rotation needs no restart).
  const secretsManager = new SecretsManagerClient(clientOptions(config.aws, 'secretsManager', config.awsTimeouts));
  // SendEmail is not idempotent: the SDK's own retry of a request whose answer was lost sends a second
  // email. One try per attempt; retry-policy.ts decides about a retry knowing what was recorded on the job.
  const ses = new SESv2Client({ ...clientOptions(config.aws, 'ses', config.awsTimeouts), maxAttempts: 1 });
  // One connection per export in hand (the COPY's), the extra ranges of the one parallel export a process
  // runs at a time, and one spare.
  // With DATABASE_SECRET_ARN the password comes from the role's secret, read at the first connection
  // (not at start-up: the secret may still be empty) and re-read when a rotation made it stale.
  const rotatingPassword = serviceRotatingPassword({
    url: config.databaseUrl,
    secretArn: config.databaseSecretArn,
    aws: config.aws,
    awsTimeouts: config.awsTimeouts,
  });
  const pool = new CredentialPool({
    rotatingPassword,
    connectionString: config.databaseUrl,
    max: config.concurrency + (config.parallelRanges.ranges - 1) + 1,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'memberships-worker',
    ...postgresTimeouts(config.database),
  });
  // An idle connection that breaks (database restart, failover) must not take the process down.
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection failed; it is replaced on next use'));

  const jobs = new JobStore({ client: dynamodb, jobsTable: config.jobsTable, guardsTable: config.guardsTable });
  const actions = new MessageActions({ sqs, queueUrl: config.exportQueueUrl, deadLetterQueueUrl: config.exportDlqUrl });
  const retrySettings: RetrySettings = {
    maxAttempts: config.maxAttempts,
    retryBaseDelaySeconds: config.retryBaseDelaySeconds,
    retryMaxDelaySeconds: config.retryMaxDelaySeconds,
    maxEmailSends: config.emailMaxSends,
  };
  const events = new CompletionEvents({ sqs, queueUrl: config.webhooks.queueUrl });
  const complete = jobCompletion({
    jobs,
    workerId,
    finishRetryMs: config.finishRetrySeconds * 1000,
    fileRetentionDays: config.fileRetentionDays,
  });
  const users = new UserStore({ client: dynamodb, table: config.usersTable });
  const mailer = new ExportMailer(ses, { from: config.sesFromAddress, configurationSet: config.sesConfigurationSet, log });
  const notices = new FailureNotifier({ jobs, users, mailer, workerId });
  const failures = new FailureHandler({ settings: retrySettings, jobs, actions, workerId, complete, notices, events });
  const links = new EmailLinks({
    keys: new LinkKeySource({ client: secretsManager, secretId: config.linkSigningSecretArn }),
    publicApiUrl: config.publicApiUrl,
    fileRetentionDays: config.fileRetentionDays,
  });
  const pipeline = new ExportHandler({
    settings: {
      leaseMs: leaseMsFor(config),
      heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
      attachmentLimitBytes: config.attachmentLimitBytes,
      fileRetentionDays: config.fileRetentionDays,
      exportStallTimeoutMs: config.exportStallTimeoutSeconds * 1000,
      progressIntervalMs: config.progressIntervalMs,
      maxEmailSends: retrySettings.maxEmailSends,
      parallelRanges: config.parallelRanges,
    },
    jobs,
    users,
    pool,
    files: new ExportFileStore(s3, { bucket: config.exportBucket, kmsKeyId: config.exportKmsKeyId }),
    mailer,
    links,
    failures,
    complete,
    events,
    workerId,
  });
  const ticks = new ScheduleTickHandler({
    jobs,
    schedules: new ScheduleStore({ client: dynamodb, table: config.schedulesTable }),
    failures,
    runExport: pipeline.exportJob,
  });
  const handler = messageRouter({ runExport: pipeline.exportJob, ticks, failures, logger: log });
  const consumer = new ExportConsumer({
    queueUrl: config.exportQueueUrl,
    sqs,
    handler,
    actions,
    logger: log,
    visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
    waitTimeSeconds: config.receiveWaitSeconds,
    maxAttempts: config.maxAttempts,
    concurrency: config.concurrency,
    giveBackAfterGraceMs: SHUTDOWN_MARGIN_SECONDS * 1000,
  });

  const eventBridge = new EventBridgeClient(clientOptions(config.aws, 'events', config.awsTimeouts));
  const webhooks = new WebhookStore({ client: dynamodb, table: config.webhooks.table });
  const webhookActions = new MessageActions({ sqs, queueUrl: config.webhooks.queueUrl, deadLetterQueueUrl: config.webhooks.dlqUrl });
  const policy = new EndpointAddressPolicy({
    allowLoopbackHttp: config.webhooks.allowLoopbackHttp,
    dnsServers: config.webhooks.dnsServers,
  });
  const webhookLanes = createWebhookLanes({
    sqs,
    queueUrl: config.webhooks.queueUrl,
    handler: webhookRouter({
      fanout: new EventFanout({
        jobs,
        webhooks,
        links,
        eventBridge,
        eventBusName: config.webhooks.eventBusName,
        sqs,
        queueUrl: config.webhooks.queueUrl,
        fileRetentionDays: config.fileRetentionDays,
      }),
      deliveries: new WebhookDeliveryHandler({
        webhooks,
        sender: new WebhookSender({ policy, timeoutMs: config.webhooks.timeoutMs }),
        actions: webhookActions,
        notices: new EndpointDisabledNotifier({ users, mailer }),
        retry: {
          windowSeconds: config.webhooks.retryWindowSeconds,
          baseSeconds: config.webhooks.retryBaseSeconds,
          maxSeconds: config.webhooks.retryMaxSeconds,
        },
      }),
      expirySweep: new ExpirySweep({
        jobs,
        cursor: new ExpirySweepCursor({ client: dynamodb, table: config.webhooks.table }),
        sqs,
        queueUrl: config.webhooks.queueUrl,
        fileRetentionDays: config.fileRetentionDays,
      }),
      actions: webhookActions,
      logger: log,
    }),
    actions: webhookActions,
    logger: log,
    concurrency: config.webhooks.concurrency,
    waitTimeSeconds: config.receiveWaitSeconds,
    giveBackAfterGraceMs: SHUTDOWN_MARGIN_SECONDS * 1000,
  });

  let stopped: Promise<void> | undefined;
  return {
    workerId,
    handler,
    consumer,
    webhookLanes,
    async start() {
      await Promise.all([consumer.verifyQueue(), webhookLanes.verifyQueue()]);
      consumer.start();
      webhookLanes.start();
      log.info(
        {
          queueUrl: config.exportQueueUrl,
          concurrency: consumer.concurrency,
          webhookQueueUrl: config.webhooks.queueUrl,
          webhookConcurrency: webhookLanes.concurrency,
          node: process.version,
        },
        'worker started',
      );
    },
    stop(graceMs = config.shutdownGraceSeconds * 1000) {
      stopped ??= (async () => {
        // Both at once: an attempt in hand ends within WEBHOOK_TIMEOUT_MS, well inside the grace.
        await Promise.all([consumer.stop(graceMs), webhookLanes.stop(graceMs)]);
        // pool.end() waits for every checked-out connection; one stuck in a hung query must not hold the exit.
        await Promise.race([pool.end().catch(() => undefined), sleep(SHUTDOWN_MARGIN_SECONDS * 1000)]);
        for (const client of [dynamodb, sqs, s3, ses, secretsManager, eventBridge]) client.destroy();
        rotatingPassword?.close();
        log.info('worker stopped');
      })();
      return stopped;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
