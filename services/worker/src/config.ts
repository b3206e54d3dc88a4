import {
  buckets,
  checkDatabaseRoleNames,
  DEFAULT_DATABASE_ROLES,
  DEFAULT_WEBHOOK_RETRY_WINDOW_SECONDS,
  queues,
} from '@memberships/core/contract';
import {
  awsKeysSetTogether,
  awsSettings,
  awsTimeouts,
  awsVariables,
  integer,
  logLevelVariable,
  readConfig,
  string,
  url,
  type AwsClientSettings,
  type AwsTimeouts,
  type CheckedValues,
  webhookAddressVariables,
} from '@memberships/core/config';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progress-reporter';

/**
 * The worker's configuration: read and validated once, at start-up. This is
 * the only module that reads `process.env`; everything else receives the
 * frozen object (or the part of it it needs). The variables are described
 * once (`workerVariables`, `migrateVariables`): readConfig() reports every
 * problem at once, and the README's tables are checked against them
 * (config-readme.unit.test.ts).
 */
export interface WorkerConfig {
  readonly aws: AwsClientSettings;
  /** Connection and per-request deadlines of every AWS SDK call (an S3 upload part is one request). */
  readonly awsTimeouts: AwsTimeouts;
  readonly usersTable: string;
  readonly jobsTable: string;
  readonly guardsTable: string;
  /** Export schedules (monthly subscriptions), read when a schedule tick arrives. */
  readonly schedulesTable: string;
  readonly exportQueueUrl: string;
  readonly exportDlqUrl: string;
  readonly exportBucket: string;
  /** SSE-KMS key for export files; unset = SSE-S3 (AES256). */
  readonly exportKmsKeyId: string | undefined;
  /** Who and where (user = the worker's role); its password, if any, is used only without databaseSecretArn. */
  readonly databaseUrl: string;
  /** DATABASE_SECRET_ARN: the worker role's secret (`{"username","password"}`), re-read after a rotation. */
  readonly databaseSecretArn: string | undefined;
  /** Deadlines of PostgreSQL: connecting, one statement (server side), one query (client side), idle in a transaction. */
  readonly database: {
    readonly connectTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly queryTimeoutMs: number;
    readonly idleInTransactionTimeoutMs: number;
  };
  readonly logLevel: string;
  readonly sesFromAddress: string;
  readonly sesConfigurationSet: string | undefined;
  /** Files up to this size are attached to the email; larger ones are sent as a download link. */
  readonly attachmentLimitBytes: number;
  /** Days an export file is kept (FILE_RETENTION_DAYS): how long an emailed download link works. */
  readonly fileRetentionDays: number;
  /** LINK_SIGNING_SECRET_ARN: the secret whose AWSCURRENT key signs the emailed links. */
  readonly linkSigningSecretArn: string;
  /** PUBLIC_API_URL: where people's browsers reach the API; the emailed links point there. No trailing slash. */
  readonly publicApiUrl: string;
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which a passing failure becomes final (the job is marked failed). */
  readonly maxAttempts: number;
  /** How often the message's visibility is extended and the job's lease and progress are renewed. */
  readonly heartbeatIntervalSeconds: number;
  /** First retry delay after a passing failure; doubles on every attempt up to `retryMaxDelaySeconds`. */
  readonly retryBaseDelaySeconds: number;
  readonly retryMaxDelaySeconds: number;
  /** SQS long-poll wait per receive; a shutdown waits for the poll in progress, so this bounds its delay. */
  readonly receiveWaitSeconds: number;
  /** On SIGTERM, how long the job in hand may run on before it is released for another worker. */
  readonly shutdownGraceSeconds: number;
  /** Least time between two progress writes (rows exported) while an export runs; the heartbeat writes progress too. */
  readonly progressIntervalMs: number;
  /** An export that makes no progress (rows, or the upload) for this long is abandoned and retried. */
  readonly exportStallTimeoutSeconds: number;
  /**
   * After SES accepted the email, how long the worker keeps retrying to
   * record it (the job's completion) through a DynamoDB outage before it
   * gives the attempt up. Re-sending is what it avoids.
   */
  readonly finishRetrySeconds: number;
  /**
   * SendEmail calls per job that may have delivered: 1 = a send whose answer
   * was lost is not repeated (the job succeeds with delivery unconfirmed);
   * 2 = it is repeated once (a possible duplicate rather than a possible miss).
   */
  readonly emailMaxSends: number;
  /**
   * WORKER_CONCURRENCY: exports one worker process handles at once. Memory
   * is bounded by about this × the per-export bound (docs/scale.md), and the
   * PostgreSQL pool holds one connection per export plus one spare.
   */
  readonly concurrency: number;
  /**
   * Large uncompressed CSV and JSON Lines exports are COPYed in this many id
   * ranges at once (EXPORT_PARALLEL_RANGES; 1 = one stream), when they have
   * at least `minRows` rows (EXPORT_PARALLEL_MIN_ROWS). One such export runs
   * at a time per process; it takes ranges − 1 connections more.
   */
  readonly parallelRanges: { readonly ranges: number; readonly minRows: number };
  /** Completion events and webhooks (README "Completion events and webhooks"). */
  readonly webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /** WEBHOOKS_TABLE: endpoints and deliveries. */
  readonly table: string;
  /** WEBHOOK_QUEUE_URL: event.occurred and webhook.delivery messages; this worker consumes it and sends to it. */
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** EVENT_BUS_NAME: every event is put on this EventBridge bus too. */
  readonly eventBusName: string;
  /** WEBHOOK_CONCURRENCY: webhook lanes, apart from the export lanes. */
  readonly concurrency: number;
  /** One attempt's deadline: connect, headers and (at most 4 KB of) the body. */
  readonly timeoutMs: number;
  /** Attempts go on until the delivery is this old; an endpoint failing this long is disabled. */
  readonly retryWindowSeconds: number;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  /** Local platform only: http:// and loopback receivers (address-policy.ts). */
  readonly allowLoopbackHttp: boolean;
  /** `host:port` of the DNS servers that resolve receivers' names; empty: the system's. */
  readonly dnsServers: readonly string[];
}

/**
 * Exports per worker process at once, by default. Most exports are small, and
 * a small export is round trips (claim, count, COPY, upload, email,
 * complete): one at a time, a task waits nearly all the time. `npm run
 * bench:peak` measured 3.98× the one lane with 8 lanes under its model of
 * AWS's round trips, 4.60–5.64× with 32 on a 2-core machine shared with the
 * stand-ins (docs/scale.md). 8 is the default for a task nobody sized: it
 * needs 512 MiB (`workerMemoryNeedMiB` in infra/terraform); each environment
 * sets its own (16 in production).
 */
export const DEFAULT_WORKER_CONCURRENCY = 8;

/**
 * Id ranges of a large export, and the size from which it is cut into them:
 * `npm run bench` (README) measures the rate per range count; below the
 * threshold the extra connections and the snapshot export cost more than
 * they save.
 */
export const DEFAULT_PARALLEL_RANGES = 2;
export const DEFAULT_PARALLEL_MIN_ROWS = 200_000;

/** Added to SHUTDOWN_GRACE_SECONDS: time for giving the job and message back once the grace is over. */
export const SHUTDOWN_MARGIN_SECONDS = 5;

/** SES v2 accepts messages up to 40 MB after encoding; base64 grows an attachment by a third. */
const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
const SQS_MAX_VISIBILITY_SECONDS = 12 * 3600;

/** Every variable the worker reads, in the order the problems are reported; the README's table is checked against it. */
export const workerVariables = {
  ...awsVariables,
  VISIBILITY_TIMEOUT_SECONDS: integer({
    default: queues.exportRequests.visibilityTimeoutSeconds,
    min: 2,
    max: SQS_MAX_VISIBILITY_SECONDS,
    doc: 'visibility of a received message; extended while it is handled',
  }),
  // Renew several times per visibility period, so a single slow or failed renewal does not lose the message.
  HEARTBEAT_INTERVAL_SECONDS: integer({
    default: (values) => Math.max(1, Math.floor(Number(values.VISIBILITY_TIMEOUT_SECONDS) / 6)),
    defaultDoc: 'visibility / 6, at least 1',
    min: 1,
    max: (values) => Math.max(1, Math.floor(Number(values.VISIBILITY_TIMEOUT_SECONDS) / 2)),
    doc: 'how often message visibility, job lease and progress are renewed',
  }),
  RETRY_BASE_DELAY_SECONDS: integer({
    default: 10,
    min: 0,
    max: SQS_MAX_VISIBILITY_SECONDS,
    doc: 'first retry delay after a passing failure; doubles per attempt',
  }),
  RETRY_MAX_DELAY_SECONDS: integer({
    default: 900,
    min: (values) => Number(values.RETRY_BASE_DELAY_SECONDS),
    max: SQS_MAX_VISIBILITY_SECONDS,
    doc: 'cap of the retry delay',
  }),
  LOG_LEVEL: logLevelVariable,
  RECEIVE_WAIT_SECONDS: integer({ default: 10, min: 0, max: 20, doc: 'SQS long-poll wait; a shutdown waits for the poll in progress' }),
  AWS_CONNECT_TIMEOUT_SECONDS: integer({ default: 3, min: 1, max: 60, doc: 'deadline to connect to an AWS endpoint' }),
  // A long poll is one request: its deadline must outlast the wait.
  AWS_REQUEST_TIMEOUT_SECONDS: integer({
    default: 30,
    min: (values) => Number(values.RECEIVE_WAIT_SECONDS) + 5,
    max: 900,
    doc: 'deadline of one AWS request and its answer (one S3 upload part, one long poll)',
  }),
  USERS_TABLE: string({ doc: 'users table' }),
  JOBS_TABLE: string({ doc: 'export jobs table' }),
  GUARDS_TABLE: string({ doc: 'export guards table' }),
  SCHEDULES_TABLE: string({ doc: 'export schedules table, read when a schedule tick arrives' }),
  EXPORT_QUEUE_URL: url({ doc: 'queue the worker consumes' }),
  EXPORT_DLQ_URL: url({ doc: 'dead-letter queue of unreadable and permanently failing messages' }),
  EXPORT_BUCKET: string({ doc: 'private bucket of the export files' }),
  EXPORT_KMS_KEY_ID: string({ optional: true, doc: 'SSE-KMS key of the files; unset: SSE-S3 (AES256)' }),
  DATABASE_URL: url({ doc: "PostgreSQL, user = the worker's role" }),
  DATABASE_SECRET_ARN: string({ optional: true, doc: "the role's secret; unset: the URL's password" }),
  DATABASE_CONNECT_TIMEOUT_SECONDS: integer({ default: 5, min: 1, max: 300, doc: 'deadline to connect to PostgreSQL' }),
  DATABASE_STATEMENT_TIMEOUT_SECONDS: integer({ default: 1800, min: 1, max: 86_400, doc: 'PostgreSQL statement_timeout' }),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS: integer({
    default: 60,
    min: 1,
    max: 86_400,
    doc: 'PostgreSQL idle_in_transaction_session_timeout',
  }),
  SES_FROM_ADDRESS: string({ doc: 'verified SES identity' }),
  SES_CONFIGURATION_SET: string({ optional: true, doc: 'SES configuration set for sending events' }),
  ATTACHMENT_LIMIT_BYTES: integer({
    default: 5 * 1024 * 1024,
    min: 0,
    max: MAX_ATTACHMENT_BYTES,
    doc: 'files up to this size are attached, larger ones linked',
  }),
  FILE_RETENTION_DAYS: integer({
    default: buckets.exportFiles.expireAfterDays,
    min: 1,
    max: 365,
    doc: "days an export file is kept (the bucket's lifecycle rule): the emailed link's lifetime",
  }),
  LINK_SIGNING_SECRET_ARN: string({ doc: 'Secrets Manager secret of the link signing key (`{"key": "..."}`)' }),
  PUBLIC_API_URL: url({ doc: 'the API as browsers reach it, e.g. `https://api.example.com`: the emailed links point there' }),
  MAX_ATTEMPTS: integer({
    default: queues.exportRequests.maxAttempts,
    min: 1,
    max: 1000,
    doc: 'the receive on which a passing failure becomes final',
  }),
  SHUTDOWN_GRACE_SECONDS: integer({ default: 15, min: 0, max: 3600, doc: 'on SIGTERM, how long the job in hand may finish' }),
  PROGRESS_INTERVAL_MS: integer({
    default: DEFAULT_PROGRESS_INTERVAL_MS,
    min: 100,
    max: 60_000,
    doc: 'least time between two progress writes while an export runs',
  }),
  EXPORT_STALL_TIMEOUT_SECONDS: integer({ default: 60, min: 1, max: 3600, doc: 'an export without progress this long is abandoned' }),
  FINISH_RETRY_SECONDS: integer({ default: 120, min: 0, max: 3600, doc: 'how long recording a sent export is retried' }),
  EMAIL_MAX_SENDS: integer({ default: 1, min: 1, max: 2, doc: 'SendEmail calls per job that may have delivered' }),
  WORKER_CONCURRENCY: integer({
    default: DEFAULT_WORKER_CONCURRENCY,
    min: 1,
    max: 64,
    doc: 'exports one worker process handles at once (a PostgreSQL connection each)',
  }),
  EXPORT_PARALLEL_RANGES: integer({
    default: DEFAULT_PARALLEL_RANGES,
    min: 1,
    max: 8,
    doc: 'id ranges a large CSV/JSONL export is COPYed in at once (1: one stream)',
  }),
  EXPORT_PARALLEL_MIN_ROWS: integer({
    default: DEFAULT_PARALLEL_MIN_ROWS,
    min: 1,
    max: 1_000_000_000,
    doc: 'rows from which an export is COPYed in parallel ranges',
  }),
  WEBHOOKS_TABLE: string({ doc: 'webhook endpoints and deliveries table' }),
  WEBHOOK_QUEUE_URL: url({ doc: 'queue of completion events and webhook deliveries (consumed and sent to)' }),
  WEBHOOK_DLQ_URL: url({ doc: 'dead-letter queue of unreadable webhook queue messages' }),
  EVENT_BUS_NAME: string({ doc: 'EventBridge bus every completion event is put on' }),
  WEBHOOK_CONCURRENCY: integer({ default: 4, min: 1, max: 64, doc: 'webhook messages one worker process handles at once' }),
  WEBHOOK_TIMEOUT_MS: integer({ default: 5000, min: 100, max: 30_000, doc: 'deadline of one webhook attempt' }),
  WEBHOOK_RETRY_WINDOW_SECONDS: integer({
    default: DEFAULT_WEBHOOK_RETRY_WINDOW_SECONDS,
    min: 1,
    // The webhook queue keeps a message 4 days; a retry must be received before then.
    max: queues.webhookEvents.messageRetentionSeconds - 3600,
    doc: 'how long a delivery is retried, and an endpoint may fail before it is disabled',
  }),
  WEBHOOK_RETRY_BASE_SECONDS: integer({ default: 30, min: 0, max: SQS_MAX_VISIBILITY_SECONDS, doc: 'first webhook retry delay' }),
  WEBHOOK_RETRY_MAX_SECONDS: integer({
    default: 3600,
    min: (values) => Number(values.WEBHOOK_RETRY_BASE_SECONDS),
    max: SQS_MAX_VISIBILITY_SECONDS,
    doc: 'cap of the webhook retry delay',
  }),
  ...webhookAddressVariables,
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const values = readConfig(workerVariables, env, [awsKeysSetTogether]);
  return Object.freeze({
    aws: awsSettings(values),
    awsTimeouts: awsTimeouts(values),
    usersTable: values.USERS_TABLE,
    jobsTable: values.JOBS_TABLE,
    guardsTable: values.GUARDS_TABLE,
    schedulesTable: values.SCHEDULES_TABLE,
    exportQueueUrl: values.EXPORT_QUEUE_URL,
    exportDlqUrl: values.EXPORT_DLQ_URL,
    exportBucket: values.EXPORT_BUCKET,
    exportKmsKeyId: values.EXPORT_KMS_KEY_ID,
    databaseUrl: values.DATABASE_URL,
    databaseSecretArn: values.DATABASE_SECRET_ARN,
    database: {
      connectTimeoutMs: values.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
      statementTimeoutMs: values.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000,
      // The COPY is one query, so the client-side limit must outlast the statement limit: it is only the
      // backstop for a server that stopped answering (a stalled export is abandoned sooner, see below).
      queryTimeoutMs: (values.DATABASE_STATEMENT_TIMEOUT_SECONDS + 30) * 1000,
      idleInTransactionTimeoutMs: values.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS * 1000,
    },
    logLevel: values.LOG_LEVEL,
    sesFromAddress: values.SES_FROM_ADDRESS,
    sesConfigurationSet: values.SES_CONFIGURATION_SET,
    attachmentLimitBytes: values.ATTACHMENT_LIMIT_BYTES,
    fileRetentionDays: values.FILE_RETENTION_DAYS,
    linkSigningSecretArn: values.LINK_SIGNING_SECRET_ARN,
    publicApiUrl: values.PUBLIC_API_URL.replace(/\/+$/, ''),
    visibilityTimeoutSeconds: values.VISIBILITY_TIMEOUT_SECONDS,
    maxAttempts: values.MAX_ATTEMPTS,
    heartbeatIntervalSeconds: values.HEARTBEAT_INTERVAL_SECONDS,
    retryBaseDelaySeconds: values.RETRY_BASE_DELAY_SECONDS,
    retryMaxDelaySeconds: values.RETRY_MAX_DELAY_SECONDS,
    receiveWaitSeconds: values.RECEIVE_WAIT_SECONDS,
    shutdownGraceSeconds: values.SHUTDOWN_GRACE_SECONDS,
    progressIntervalMs: values.PROGRESS_INTERVAL_MS,
    exportStallTimeoutSeconds: values.EXPORT_STALL_TIMEOUT_SECONDS,
    finishRetrySeconds: values.FINISH_RETRY_SECONDS,
    emailMaxSends: values.EMAIL_MAX_SENDS,
    concurrency: values.WORKER_CONCURRENCY,
    parallelRanges: { ranges: values.EXPORT_PARALLEL_RANGES, minRows: values.EXPORT_PARALLEL_MIN_ROWS },
    webhooks: Object.freeze({
      table: values.WEBHOOKS_TABLE,
      queueUrl: values.WEBHOOK_QUEUE_URL,
      dlqUrl: values.WEBHOOK_DLQ_URL,
      eventBusName: values.EVENT_BUS_NAME,
      concurrency: values.WEBHOOK_CONCURRENCY,
      timeoutMs: values.WEBHOOK_TIMEOUT_MS,
      retryWindowSeconds: values.WEBHOOK_RETRY_WINDOW_SECONDS,
      retryBaseSeconds: values.WEBHOOK_RETRY_BASE_SECONDS,
      retryMaxSeconds: values.WEBHOOK_RETRY_MAX_SECONDS,
      allowLoopbackHttp: values.WEBHOOK_ALLOW_LOOPBACK_HTTP === 'true',
      dnsServers: values.WEBHOOK_DNS_SERVERS,
    }),
  });
}

/**
 * How long a claim on a job lasts. Shorter than the visibility timeout by one
 * heartbeat interval: the lease and the message visibility are renewed on the
 * same cadence, so when a dead worker's message becomes visible again its
 * lease has already run out and the next worker can claim the job.
 */
export function leaseMsFor(config: Pick<WorkerConfig, 'visibilityTimeoutSeconds' | 'heartbeatIntervalSeconds'>): number {
  return (config.visibilityTimeoutSeconds - config.heartbeatIntervalSeconds) * 1000;
}

/** The `migrate` task's configuration (services/worker/src/migrate.ts). */
export interface MigrateConfig {
  readonly aws: AwsClientSettings;
  readonly awsTimeouts: AwsTimeouts;
  /** DATABASE_URL: the database as its master user (the user name may come from the master secret). */
  readonly databaseUrl: string;
  /** DATABASE_MASTER_SECRET_ARN: the RDS-managed master secret; unset: the URL's password (local platform). */
  readonly masterSecretArn: string | undefined;
  readonly connectTimeoutMs: number;
  /** Role names (DATABASE_API_ROLE, DATABASE_WORKER_ROLE) and their secrets (DATABASE_API_SECRET_ARN, DATABASE_WORKER_SECRET_ARN). */
  readonly roles: {
    readonly api: { readonly role: string; readonly secretId: string };
    readonly worker: { readonly role: string; readonly secretId: string };
  };
  readonly logLevel: string;
}

/** The migrate task's variables; the README's migrate table is checked against them. */
export const migrateVariables = {
  ...awsVariables,
  AWS_CONNECT_TIMEOUT_SECONDS: workerVariables.AWS_CONNECT_TIMEOUT_SECONDS,
  AWS_REQUEST_TIMEOUT_SECONDS: integer({ default: 30, min: 1, max: 900, doc: 'deadline of one AWS request and its answer' }),
  DATABASE_URL: url({ doc: 'the database, as its master user (the user name may come from the master secret)' }),
  DATABASE_MASTER_SECRET_ARN: string({ optional: true, doc: "the RDS-managed master secret; unset: the URL's credentials" }),
  DATABASE_CONNECT_TIMEOUT_SECONDS: integer({ default: 10, min: 1, max: 300, doc: 'connection deadline' }),
  DATABASE_API_ROLE: string({ default: DEFAULT_DATABASE_ROLES.api, doc: "the API's role name" }),
  DATABASE_API_SECRET_ARN: string({ doc: "the API role's secret" }),
  DATABASE_WORKER_ROLE: string({ default: DEFAULT_DATABASE_ROLES.worker, doc: "the worker's role name" }),
  DATABASE_WORKER_SECRET_ARN: string({ doc: "the worker role's secret" }),
  LOG_LEVEL: logLevelVariable,
};

/** The role names go into SQL: plain identifiers only, and two different ones. */
function usableRoleNames(values: CheckedValues<typeof migrateVariables>): string | undefined {
  try {
    checkDatabaseRoleNames({ api: values.DATABASE_API_ROLE ?? '', worker: values.DATABASE_WORKER_ROLE ?? '' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const values = readConfig(migrateVariables, env, [awsKeysSetTogether, usableRoleNames]);
  return Object.freeze({
    aws: awsSettings(values),
    awsTimeouts: awsTimeouts(values),
    databaseUrl: values.DATABASE_URL,
    masterSecretArn: values.DATABASE_MASTER_SECRET_ARN,
    connectTimeoutMs: values.DATABASE_CONNECT_TIMEOUT_SECONDS * 1000,
    roles: {
      api: { role: values.DATABASE_API_ROLE, secretId: values.DATABASE_API_SECRET_ARN },
      worker: { role: values.DATABASE_WORKER_ROLE, secretId: values.DATABASE_WORKER_SECRET_ARN },
    },
    logLevel: values.LOG_LEVEL,
  });
}
