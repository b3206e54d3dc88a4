import { ConfigError } from '@memberships/core/contract';
import { leaseMsFor, loadConfig, loadMigrateConfig } from './config';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progress-reporter';

const REQUIRED = {
  AWS_REGION: 'eu-west-1',
  USERS_TABLE: 'p-users',
  JOBS_TABLE: 'p-export-jobs',
  GUARDS_TABLE: 'p-export-guards',
  SCHEDULES_TABLE: 'p-export-schedules',
  EXPORT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-export-requests',
  EXPORT_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-export-requests-dlq',
  EXPORT_BUCKET: 'p-export-files',
  DATABASE_URL: 'postgres://worker@db.internal:5432/memberships',
  SES_FROM_ADDRESS: 'exports@example.com',
  LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p/link-signing-key-AbCdEf',
  PUBLIC_API_URL: 'https://api.example.com/',
  WEBHOOKS_TABLE: 'p-webhooks',
  WEBHOOK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-webhook-events',
  WEBHOOK_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-webhook-events-dlq',
  EVENT_BUS_NAME: 'p-events',
};

describe('loadConfig', () => {
  it('reads the webhook settings, with their defaults', () => {
    expect(loadConfig(REQUIRED).webhooks).toEqual({
      table: 'p-webhooks',
      queueUrl: REQUIRED.WEBHOOK_QUEUE_URL,
      dlqUrl: REQUIRED.WEBHOOK_DLQ_URL,
      eventBusName: 'p-events',
      concurrency: 4,
      timeoutMs: 5000,
      retryWindowSeconds: 86_400,
      retryBaseSeconds: 30,
      retryMaxSeconds: 3600,
      allowLoopbackHttp: false,
      dnsServers: [],
    });
    const local = loadConfig({
      ...REQUIRED,
      WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
      WEBHOOK_DNS_SERVERS: '127.0.0.1:5353, [::1]:53,10.0.0.2',
      WEBHOOK_RETRY_WINDOW_SECONDS: '20',
      WEBHOOK_RETRY_BASE_SECONDS: '1',
      WEBHOOK_RETRY_MAX_SECONDS: '4',
    }).webhooks;
    expect(local).toMatchObject({
      allowLoopbackHttp: true,
      dnsServers: ['127.0.0.1:5353', '[::1]:53', '10.0.0.2'],
      retryWindowSeconds: 20,
      retryBaseSeconds: 1,
      retryMaxSeconds: 4,
    });
  });

  it.each([
    ['WEBHOOK_DNS_SERVERS', 'dns.example.com:53'],
    ['WEBHOOK_DNS_SERVERS', '127.0.0.1:99999'],
    ['WEBHOOK_ALLOW_LOOPBACK_HTTP', 'yes'],
    ['WEBHOOK_RETRY_MAX_SECONDS', '10'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ ...REQUIRED, WEBHOOK_RETRY_BASE_SECONDS: '30', [name]: value })).toThrow(new RegExp(name));
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(REQUIRED);
    expect(config).toMatchObject({
      logLevel: 'info',
      attachmentLimitBytes: 5 * 1024 * 1024,
      fileRetentionDays: 7,
      // No trailing slash: the links append their paths.
      publicApiUrl: 'https://api.example.com',
      visibilityTimeoutSeconds: 60,
      maxAttempts: 5,
      heartbeatIntervalSeconds: 10,
      receiveWaitSeconds: 10,
      shutdownGraceSeconds: 15,
      sesConfigurationSet: undefined,
      exportKmsKeyId: undefined,
    });
    expect(config.aws.endpoints).toEqual({ dynamodb: undefined, sqs: undefined, s3: undefined, ses: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads endpoint overrides and worker options', () => {
    const config = loadConfig({
      ...REQUIRED,
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:8005',
      VISIBILITY_TIMEOUT_SECONDS: '3',
      HEARTBEAT_INTERVAL_SECONDS: '1',
      ATTACHMENT_LIMIT_BYTES: '1024',
      LOG_LEVEL: 'debug',
    });
    expect(config.aws.endpoints.sqs).toBe('http://127.0.0.1:4566');
    expect(config.aws.endpoints.ses).toBe('http://127.0.0.1:8005');
    expect(config.attachmentLimitBytes).toBe(1024);
    // The lease ends one heartbeat before the message would reappear.
    expect(leaseMsFor(config)).toBe(2000);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ ...REQUIRED, DATABASE_URL: '', SES_FROM_ADDRESS: '', MAX_ATTEMPTS: 'many', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL is required');
    expect(message).toContain('SES_FROM_ADDRESS is required');
    expect(message).toContain('MAX_ATTEMPTS must be an integer');
    expect(message).toContain('LOG_LEVEL must be one of');
  });

  it('needs the schedules table, since a schedule tick can arrive on the same queue', () => {
    const { SCHEDULES_TABLE: _omitted, ...withoutSchedules } = REQUIRED;
    expect(() => loadConfig(withoutSchedules)).toThrow(/SCHEDULES_TABLE is required/);
    expect(loadConfig(REQUIRED).schedulesTable).toBe('p-export-schedules');
  });

  it('gives every dependency a deadline by default', () => {
    const config = loadConfig(REQUIRED);
    expect(config.awsTimeouts).toEqual({ connectionTimeoutMs: 3000, requestTimeoutMs: 30_000 });
    expect(config.database).toEqual({
      connectTimeoutMs: 5000,
      statementTimeoutMs: 1_800_000,
      queryTimeoutMs: 1_830_000,
      idleInTransactionTimeoutMs: 60_000,
    });
    expect(config).toMatchObject({ exportStallTimeoutSeconds: 60, finishRetrySeconds: 120, emailMaxSends: 1 });
  });

  it('refuses an AWS request deadline shorter than a long poll', () => {
    expect(() => loadConfig({ ...REQUIRED, RECEIVE_WAIT_SECONDS: '20', AWS_REQUEST_TIMEOUT_SECONDS: '10' })).toThrow(
      /AWS_REQUEST_TIMEOUT_SECONDS must be an integer between 25 and 900/,
    );
  });

  it('refuses a heartbeat that would not keep the message hidden', () => {
    expect(() => loadConfig({ ...REQUIRED, VISIBILITY_TIMEOUT_SECONDS: '10', HEARTBEAT_INTERVAL_SECONDS: '8' })).toThrow(
      /HEARTBEAT_INTERVAL_SECONDS must be an integer between 1 and 5/,
    );
  });
});

describe('PROGRESS_INTERVAL_MS', () => {
  it('defaults to one progress write a second, and can be set', () => {
    expect(DEFAULT_PROGRESS_INTERVAL_MS).toBe(1000);
    expect(loadConfig(REQUIRED).progressIntervalMs).toBe(1000);
    expect(loadConfig({ ...REQUIRED, PROGRESS_INTERVAL_MS: '250' }).progressIntervalMs).toBe(250);
  });

  it('refuses an interval that would hammer the job table, or one that is not a number', () => {
    expect(() => loadConfig({ ...REQUIRED, PROGRESS_INTERVAL_MS: '10' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...REQUIRED, PROGRESS_INTERVAL_MS: 'fast' })).toThrow(/PROGRESS_INTERVAL_MS/);
  });
});

describe('DATABASE_SECRET_ARN', () => {
  it('is optional: without it the password of DATABASE_URL (or PGPASSWORD) is used, as before', () => {
    expect(loadConfig(REQUIRED).databaseSecretArn).toBeUndefined();
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p-database-worker-AbC123';
    expect(loadConfig({ ...REQUIRED, DATABASE_SECRET_ARN: arn }).databaseSecretArn).toBe(arn);
  });
});

describe('loadMigrateConfig', () => {
  const MIGRATE = {
    AWS_REGION: 'eu-west-1',
    DATABASE_URL: 'postgres://memberships@db.internal:5432/memberships?sslmode=verify-full',
    DATABASE_MASTER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1-AbC123',
    DATABASE_API_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p-database-api-AbC123',
    DATABASE_WORKER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p-database-worker-AbC123',
  };

  it('defaults the role names to the ones the task definitions use, and reads the secrets', () => {
    const config = loadMigrateConfig(MIGRATE);
    expect(config).toMatchObject({
      databaseUrl: MIGRATE.DATABASE_URL,
      masterSecretArn: MIGRATE.DATABASE_MASTER_SECRET_ARN,
      roles: {
        api: { role: 'memberships_api', secretId: MIGRATE.DATABASE_API_SECRET_ARN },
        worker: { role: 'memberships_worker', secretId: MIGRATE.DATABASE_WORKER_SECRET_ARN },
      },
      logLevel: 'info',
      connectTimeoutMs: 10_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every missing variable at once', () => {
    expect(() => loadMigrateConfig({ AWS_REGION: 'eu-west-1' })).toThrow(
      /DATABASE_URL is required[\s\S]*DATABASE_API_SECRET_ARN is required[\s\S]*DATABASE_WORKER_SECRET_ARN is required/,
    );
  });

  it('reports a role-name problem together with the missing variables', () => {
    expect(() => loadMigrateConfig({ AWS_REGION: 'eu-west-1', DATABASE_API_ROLE: 'same', DATABASE_WORKER_ROLE: 'same' })).toThrow(
      /DATABASE_URL is required[\s\S]*DATABASE_WORKER_SECRET_ARN is required[\s\S]*must differ/,
    );
  });

  it('refuses role names that are not plain identifiers, or the same role twice', () => {
    expect(() => loadMigrateConfig({ ...MIGRATE, DATABASE_API_ROLE: 'api"; DROP TABLE memberships; --' })).toThrow(ConfigError);
    expect(() => loadMigrateConfig({ ...MIGRATE, DATABASE_API_ROLE: 'same', DATABASE_WORKER_ROLE: 'same' })).toThrow(/must differ/);
    expect(() => loadMigrateConfig({ ...MIGRATE, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});
