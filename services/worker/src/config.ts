import { ConfigError, queues } from '@memberships/core/contract';
import { EnvReader, type AwsClientSettings, type AwsTimeouts } from '@memberships/core/config';
import { checkDatabaseRoleNames, DEFAULT_DATABASE_ROLES } from '@memberships/core/postgres';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progress-reporter';

/**
 * The worker's configuration: read and validated once, at start-up. This is
 * the only module that reads `process.env`; everything else receives the
 * frozen object (or the part of it it needs).
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
  readonly downloadLinkTtlSeconds: number;
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
}

/** Added to SHUTDOWN_GRACE_SECONDS: time for giving the job and message back once the grace is over. */
export const SHUTDOWN_MARGIN_SECONDS = 5;

/** SES v2 accepts messages up to 40 MB after encoding; base64 grows an attachment by a third. */
const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;
/** A SigV4 presigned URL lives at most 7 days. */
const MAX_LINK_TTL_SECONDS = 7 * 24 * 3600;
const SQS_MAX_VISIBILITY_SECONDS = 12 * 3600;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const read = new EnvReader(env);
  const visibilityTimeoutSeconds = read.integer('VISIBILITY_TIMEOUT_SECONDS', queues.exportRequests.visibilityTimeoutSeconds, {
    min: 2,
    max: SQS_MAX_VISIBILITY_SECONDS,
  });
  // Renew several times per visibility period, so a single slow or failed renewal does not lose the message.
  const heartbeatIntervalSeconds = read.integer('HEARTBEAT_INTERVAL_SECONDS', Math.max(1, Math.floor(visibilityTimeoutSeconds / 6)), {
    min: 1,
    max: Math.max(1, Math.floor(visibilityTimeoutSeconds / 2)),
  });
  const retryBaseDelaySeconds = read.integer('RETRY_BASE_DELAY_SECONDS', 10, { min: 0, max: SQS_MAX_VISIBILITY_SECONDS });
  const logLevel = read.string('LOG_LEVEL', 'info');
  const receiveWaitSeconds = read.integer('RECEIVE_WAIT_SECONDS', 10, { min: 0, max: 20 });
  // A long poll is one request: its deadline must outlast the wait.
  const awsRequestTimeoutSeconds = read.integer('AWS_REQUEST_TIMEOUT_SECONDS', 30, { min: receiveWaitSeconds + 5, max: 900 });
  const statementTimeoutSeconds = read.integer('DATABASE_STATEMENT_TIMEOUT_SECONDS', 1800, { min: 1, max: 86_400 });

  const config: WorkerConfig = {
    aws: read.awsSettings(),
    awsTimeouts: {
      connectionTimeoutMs: read.integer('AWS_CONNECT_TIMEOUT_SECONDS', 3, { min: 1, max: 60 }) * 1000,
      requestTimeoutMs: awsRequestTimeoutSeconds * 1000,
    },
    usersTable: read.string('USERS_TABLE'),
    jobsTable: read.string('JOBS_TABLE'),
    guardsTable: read.string('GUARDS_TABLE'),
    schedulesTable: read.string('SCHEDULES_TABLE'),
    exportQueueUrl: read.url('EXPORT_QUEUE_URL'),
    exportDlqUrl: read.url('EXPORT_DLQ_URL'),
    exportBucket: read.string('EXPORT_BUCKET'),
    exportKmsKeyId: read.optionalString('EXPORT_KMS_KEY_ID'),
    databaseUrl: read.url('DATABASE_URL'),
    databaseSecretArn: read.optionalString('DATABASE_SECRET_ARN'),
    database: {
      connectTimeoutMs: read.integer('DATABASE_CONNECT_TIMEOUT_SECONDS', 5, { min: 1, max: 300 }) * 1000,
      statementTimeoutMs: statementTimeoutSeconds * 1000,
      // The COPY is one query, so the client-side limit must outlast the statement limit: it is only the
      // backstop for a server that stopped answering (a stalled export is abandoned sooner, see below).
      queryTimeoutMs: (statementTimeoutSeconds + 30) * 1000,
      idleInTransactionTimeoutMs: read.integer('DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_SECONDS', 60, { min: 1, max: 86_400 }) * 1000,
    },
    logLevel,
    sesFromAddress: read.string('SES_FROM_ADDRESS'),
    sesConfigurationSet: read.optionalString('SES_CONFIGURATION_SET'),
    attachmentLimitBytes: read.integer('ATTACHMENT_LIMIT_BYTES', 5 * 1024 * 1024, { min: 0, max: MAX_ATTACHMENT_BYTES }),
    downloadLinkTtlSeconds: read.integer('DOWNLOAD_LINK_TTL_SECONDS', 86_400, { min: 60, max: MAX_LINK_TTL_SECONDS }),
    visibilityTimeoutSeconds,
    maxAttempts: read.integer('MAX_ATTEMPTS', queues.exportRequests.maxAttempts, { min: 1, max: 1000 }),
    heartbeatIntervalSeconds,
    retryBaseDelaySeconds,
    retryMaxDelaySeconds: read.integer('RETRY_MAX_DELAY_SECONDS', 900, {
      min: retryBaseDelaySeconds,
      max: SQS_MAX_VISIBILITY_SECONDS,
    }),
    receiveWaitSeconds,
    shutdownGraceSeconds: read.integer('SHUTDOWN_GRACE_SECONDS', 15, { min: 0, max: 3600 }),
    progressIntervalMs: read.integer('PROGRESS_INTERVAL_MS', DEFAULT_PROGRESS_INTERVAL_MS, { min: 100, max: 60_000 }),
    exportStallTimeoutSeconds: read.integer('EXPORT_STALL_TIMEOUT_SECONDS', 60, { min: 1, max: 3600 }),
    finishRetrySeconds: read.integer('FINISH_RETRY_SECONDS', 120, { min: 0, max: 3600 }),
    emailMaxSends: read.integer('EMAIL_MAX_SENDS', 1, { min: 1, max: 2 }),
  };
  // EnvReader has no enum reader; checked here so a typo cannot silence the logs.
  const levelProblem = LOG_LEVELS.includes(logLevel) ? undefined : `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`;
  try {
    read.done();
  } catch (error) {
    if (levelProblem && error instanceof ConfigError) throw new ConfigError(`${error.message}\n  - ${levelProblem}`);
    throw error;
  }
  if (levelProblem) throw new ConfigError(`Invalid configuration:\n  - ${levelProblem}`);
  return Object.freeze(config);
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

export function loadMigrateConfig(env: NodeJS.ProcessEnv = process.env): MigrateConfig {
  const read = new EnvReader(env);
  const config: MigrateConfig = {
    aws: read.awsSettings(),
    awsTimeouts: {
      connectionTimeoutMs: read.integer('AWS_CONNECT_TIMEOUT_SECONDS', 3, { min: 1, max: 60 }) * 1000,
      requestTimeoutMs: read.integer('AWS_REQUEST_TIMEOUT_SECONDS', 30, { min: 1, max: 900 }) * 1000,
    },
    databaseUrl: read.url('DATABASE_URL'),
    masterSecretArn: read.optionalString('DATABASE_MASTER_SECRET_ARN'),
    connectTimeoutMs: read.integer('DATABASE_CONNECT_TIMEOUT_SECONDS', 10, { min: 1, max: 300 }) * 1000,
    roles: {
      api: { role: read.string('DATABASE_API_ROLE', DEFAULT_DATABASE_ROLES.api), secretId: read.string('DATABASE_API_SECRET_ARN') },
      worker: {
        role: read.string('DATABASE_WORKER_ROLE', DEFAULT_DATABASE_ROLES.worker),
        secretId: read.string('DATABASE_WORKER_SECRET_ARN'),
      },
    },
    logLevel: read.string('LOG_LEVEL', 'info'),
  };
  read.done();
  try {
    checkDatabaseRoleNames({ api: config.roles.api.role, worker: config.roles.worker.role });
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  - ${(error as Error).message}`);
  }
  if (!LOG_LEVELS.includes(config.logLevel))
    throw new ConfigError(`Invalid configuration:\n  - LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${config.logLevel}"`);
  return Object.freeze(config);
}
