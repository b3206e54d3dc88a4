import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@memberships/core/contract';
import { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, loadConfig, verificationKeys } from './config';
import { generateSigningKeys } from './testing/keys';

const keys = generateSigningKeys();

function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    AWS_REGION: 'eu-west-1',
    USERS_TABLE: 'p-users',
    JOBS_TABLE: 'p-export-jobs',
    GUARDS_TABLE: 'p-export-guards',
    EXPORT_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-export-requests',
    EXPORT_BUCKET: 'p-export-files',
    WEBHOOKS_TABLE: 'p-webhooks',
    WEBHOOK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-webhook-events',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/p-export-scheduler',
    EXPORT_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:p-export-requests',
    EXPORT_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:p-export-requests-dlq',
    DATABASE_URL: 'postgres://api:secret@db.internal:5432/memberships',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:p/link-signing-key-AbCdEf',
    ...overrides,
  };
}

describe('loadConfig: export schedules', () => {
  it('reads the Scheduler settings and the schedule limits when set', () => {
    const config = loadConfig(
      env({
        SCHEDULES_TABLE: 'schedules',
        SCHEDULER_GROUP_NAME: 'exports-group',
        AWS_ENDPOINT_URL_SCHEDULER: 'http://127.0.0.1:8010',
        SCHEDULE_FLEXIBLE_WINDOW_MINUTES: '15',
        SCHEDULES_PER_USER: '3',
      }),
    );
    expect(config.tables.schedules).toBe('schedules');
    expect(config.aws.endpoints.scheduler).toBe('http://127.0.0.1:8010');
    expect(config.schedules).toMatchObject({ groupName: 'exports-group', flexibleWindowMinutes: 15, perUser: 3 });
  });

  it('names every missing or malformed Scheduler setting at once', () => {
    const attempt = () =>
      loadConfig(
        env({
          SCHEDULER_ROLE_ARN: undefined,
          EXPORT_QUEUE_ARN: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-export-requests',
          SCHEDULE_FLEXIBLE_WINDOW_MINUTES: '0',
        }),
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SCHEDULER_ROLE_ARN is required/);
    expect(attempt).toThrow(/EXPORT_QUEUE_ARN must be an SQS queue ARN/);
    expect(attempt).toThrow(/SCHEDULE_FLEXIBLE_WINDOW_MINUTES must be an integer between 1 and 1440/);
  });

  it('needs SCHEDULES_TABLE and SCHEDULER_GROUP_NAME when USERS_TABLE is not named by resourceNames', () => {
    expect(() => loadConfig(env({ USERS_TABLE: 'members', REFRESH_TOKENS_TABLE: 'rt', LOGIN_ATTEMPTS_TABLE: 'la' }))).toThrow(
      /SCHEDULES_TABLE is required[\s\S]*SCHEDULER_GROUP_NAME is required/,
    );
  });
});

describe('loadConfig: webhooks', () => {
  it('reads the table and queue, and defaults to https-only receivers, the system DNS and 5 endpoints per user', () => {
    const config = loadConfig(env());
    expect(config.tables.webhooks).toBe('p-webhooks');
    expect(config.webhooks).toEqual({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p-webhook-events',
      perUser: 5,
      allowLoopbackHttp: false,
      dnsServers: [],
    });
  });

  it('reads the local allowance, the DNS servers and the limit when set', () => {
    const config = loadConfig(
      env({ WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true', WEBHOOK_DNS_SERVERS: '10.0.0.2, 1.1.1.1:53,[::1]:5353', WEBHOOK_MAX_ENDPOINTS: '2' }),
    );
    expect(config.webhooks).toMatchObject({ allowLoopbackHttp: true, dnsServers: ['10.0.0.2', '1.1.1.1:53', '[::1]:5353'], perUser: 2 });
  });

  it('needs WEBHOOKS_TABLE and WEBHOOK_QUEUE_URL, and names every bad webhook setting at once', () => {
    const attempt = () =>
      loadConfig(
        env({
          WEBHOOKS_TABLE: undefined,
          WEBHOOK_QUEUE_URL: undefined,
          WEBHOOK_ALLOW_LOOPBACK_HTTP: 'yes',
          WEBHOOK_DNS_SERVERS: 'dns.example.com',
          WEBHOOK_MAX_ENDPOINTS: '0',
        }),
      );
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/WEBHOOKS_TABLE is required/);
    expect(attempt).toThrow(/WEBHOOK_QUEUE_URL is required/);
    expect(attempt).toThrow(/WEBHOOK_ALLOW_LOOPBACK_HTTP must be one of true, false/);
    expect(attempt).toThrow(/WEBHOOK_DNS_SERVERS must list IP addresses/);
    expect(attempt).toThrow(/WEBHOOK_MAX_ENDPOINTS must be an integer between 1 and 100/);
    expect(() => loadConfig(env({ WEBHOOK_DNS_SERVERS: '1.1.1.1:70000' }))).toThrow(/WEBHOOK_DNS_SERVERS must list IP addresses/);
  });
});

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(env());
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      logLevel: 'info',
      trustProxy: false,
      aws: { region: 'eu-west-1', endpoints: { dynamodb: undefined, sqs: undefined, s3: undefined } },
      tables: {
        users: 'p-users',
        jobs: 'p-export-jobs',
        guards: 'p-export-guards',
        // Derived from USERS_TABLE the way resourceNames(prefix) names them.
        refreshTokens: 'p-refresh-tokens',
        loginAttempts: 'p-login-attempts',
        schedules: 'p-export-schedules',
      },
      schedules: {
        groupName: 'p-exports',
        roleArn: 'arn:aws:iam::123456789012:role/p-export-scheduler',
        queueArn: 'arn:aws:sqs:eu-west-1:123456789012:p-export-requests',
        deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:p-export-requests-dlq',
        flexibleWindowMinutes: 60,
        perUser: 5,
      },
      downloadUrlTtlSeconds: 300,
      publicS3Endpoint: undefined,
      jwt: { issuer: DEFAULT_JWT_ISSUER, audience: DEFAULT_JWT_AUDIENCE, accessTokenTtlSeconds: 300, refreshTokenTtlSeconds: 30 * 86_400 },
      loginLimits: { perAccount: { maxAttempts: 5, windowSeconds: 900 }, perAddress: { maxAttempts: 20, windowSeconds: 900 } },
      rateLimits: { windowSeconds: 60, exportReads: 120, exportWrites: 10, logins: 60 },
      corsOrigins: [],
      requeueAfterSeconds: 120,
      shutdownTimeoutSeconds: 10,
    });
    expect(config.jwt.additionalPublicKeys).toBeUndefined();
    // Without JWT_KEY_ID the key id is the RFC 7638 thumbprint: stable for a key, 43 base64url chars.
    expect(config.jwt.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(loadConfig(env()).jwt.keyId).toBe(config.jwt.keyId);
  });

  it('reads every variable when set', () => {
    const config = loadConfig(
      env({
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'debug',
        TRUST_PROXY: '10.0.0.0/8, 192.168.0.1',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4566',
        JWT_KEY_ID: 'key-2025-11',
        JWT_ISSUER: 'https://api.example',
        JWT_AUDIENCE: 'memberships',
        ACCESS_TOKEN_TTL_SECONDS: '600',
        DOWNLOAD_URL_TTL_SECONDS: '120',
        PUBLIC_S3_ENDPOINT: 'http://localhost:4566',
        REFRESH_TOKENS_TABLE: 'tokens',
        LOGIN_ATTEMPTS_TABLE: 'attempts',
        REFRESH_TOKEN_TTL_SECONDS: '86400',
        LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3',
        LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '50',
        LOGIN_ATTEMPT_WINDOW_SECONDS: '600',
        RATE_LIMIT_WINDOW_SECONDS: '10',
        EXPORT_READ_RATE_LIMIT: '30',
        EXPORT_WRITE_RATE_LIMIT: '2',
        LOGIN_RATE_LIMIT: '20',
        CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
        REQUEUE_AFTER_SECONDS: '300',
        SHUTDOWN_TIMEOUT_SECONDS: '25',
      }),
    );
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      logLevel: 'debug',
      trustProxy: ['10.0.0.0/8', '192.168.0.1'],
      aws: { endpoints: { dynamodb: 'http://127.0.0.1:8000', sqs: 'http://127.0.0.1:4566', s3: 'http://127.0.0.1:4566' } },
      jwt: { keyId: 'key-2025-11', issuer: 'https://api.example', audience: 'memberships', accessTokenTtlSeconds: 600 },
      downloadUrlTtlSeconds: 120,
      publicS3Endpoint: 'http://localhost:4566',
      tables: { refreshTokens: 'tokens', loginAttempts: 'attempts' },
      loginLimits: { perAccount: { maxAttempts: 3, windowSeconds: 600 }, perAddress: { maxAttempts: 50, windowSeconds: 600 } },
      rateLimits: { windowSeconds: 10, exportReads: 30, exportWrites: 2, logins: 20 },
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      requeueAfterSeconds: 300,
      shutdownTimeoutSeconds: 25,
    });
    expect(config.jwt.refreshTokenTtlSeconds).toBe(86_400);
    expect(loadConfig(env({ TRUST_PROXY: 'true' })).trustProxy).toBe(true);
    expect(loadConfig(env({ TRUST_PROXY: '2' })).trustProxy).toBe(2);
  });

  it('bounds SHUTDOWN_TIMEOUT_SECONDS to 1-300 seconds: a close must end, and before the orchestrator kills it', () => {
    for (const value of ['0', '301', 'ten', 'Infinity']) {
      expect(() => loadConfig(env({ SHUTDOWN_TIMEOUT_SECONDS: value }))).toThrow(
        /SHUTDOWN_TIMEOUT_SECONDS must be an integer between 1 and 300/,
      );
    }
  });

  it('is frozen', () => {
    const config = loadConfig(env());
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(Object.isFrozen(config.aws.endpoints)).toBe(true);
  });

  it('names every missing or malformed variable in one error', () => {
    const attempt = () =>
      loadConfig(env({ USERS_TABLE: undefined, EXPORT_QUEUE_URL: 'not a url', PORT: '70000', ACCESS_TOKEN_TTL_SECONDS: 'soon' }));
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/USERS_TABLE is required/);
    expect(attempt).toThrow(/EXPORT_QUEUE_URL must be a URL/);
    expect(attempt).toThrow(/PORT must be an integer between 0 and 65535/);
    expect(attempt).toThrow(/ACCESS_TOKEN_TTL_SECONDS must be an integer/);
  });

  it('reports unusable signing keys together with the other problems', () => {
    const attempt = () => loadConfig(env({ USERS_TABLE: undefined, JWT_PUBLIC_KEY: generateSigningKeys().publicKey, LOG_LEVEL: 'loud' }));
    expect(attempt).toThrow(
      /LOG_LEVEL must be one of[\s\S]*USERS_TABLE is required[\s\S]*JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY/,
    );
  });

  it('accepts PEM keys with escaped newlines, as orchestrators often pass them', () => {
    const escaped = env({
      JWT_PRIVATE_KEY: keys.privateKey.replace(/\n/g, '\\n'),
      JWT_PUBLIC_KEY: keys.publicKey.replace(/\n/g, '\\n'),
    });
    expect(loadConfig(escaped).jwt.privateKey).toBe(keys.privateKey);
  });

  it('rejects unusable signing keys at start-up', () => {
    const other = generateSigningKeys();
    expect(() => loadConfig(env({ JWT_PUBLIC_KEY: other.publicKey }))).toThrow(/JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY/);
    expect(() => loadConfig(env({ JWT_PRIVATE_KEY: 'not a key' }))).toThrow(/JWT_PRIVATE_KEY is not a PEM private key/);
    expect(() => loadConfig(env({ JWT_PRIVATE_KEY: undefined }))).toThrow(/JWT_PRIVATE_KEY is required/);

    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(() => loadConfig(env({ JWT_PRIVATE_KEY: rsa.privateKey, JWT_PUBLIC_KEY: rsa.publicKey }))).toThrow(/must be an EC P-256 key/);
  });

  it('needs REFRESH_TOKENS_TABLE and LOGIN_ATTEMPTS_TABLE when USERS_TABLE is not named <prefix>-users', () => {
    const attempt = () => loadConfig(env({ USERS_TABLE: 'members' }));
    expect(attempt).toThrow(/REFRESH_TOKENS_TABLE is required/);
    expect(attempt).toThrow(/LOGIN_ATTEMPTS_TABLE is required/);
    expect(
      loadConfig(
        env({
          USERS_TABLE: 'members',
          REFRESH_TOKENS_TABLE: 'rt',
          LOGIN_ATTEMPTS_TABLE: 'la',
          SCHEDULES_TABLE: 'st',
          SCHEDULER_GROUP_NAME: 'g',
        }),
      ).tables,
    ).toMatchObject({
      refreshTokens: 'rt',
      loginAttempts: 'la',
    });
  });

  it('reads JWT_PUBLIC_KEYS, a JSON object of more verification keys by kid', () => {
    const previous = generateSigningKeys();
    const config = loadConfig(
      env({ JWT_KEY_ID: 'current', JWT_PUBLIC_KEYS: JSON.stringify({ previous: previous.publicKey.replace(/\n/g, '\\n') }) }),
    );
    expect(config.jwt.additionalPublicKeys).toEqual({ previous: previous.publicKey });
    expect(Object.keys(verificationKeys(config.jwt)).sort()).toEqual(['current', 'previous']);
    // Naming the current key under its own kid is allowed (it is the same key).
    expect(() => loadConfig(env({ JWT_KEY_ID: 'current', JWT_PUBLIC_KEYS: JSON.stringify({ current: keys.publicKey }) }))).not.toThrow();
  });

  it('rejects unusable JWT_PUBLIC_KEYS', () => {
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const other = generateSigningKeys();
    const cases: [string, RegExp][] = [
      ['not json', /JWT_PUBLIC_KEYS must be a JSON object/],
      ['["a"]', /JWT_PUBLIC_KEYS must be a JSON object/],
      [JSON.stringify({ old: 42 }), /JWT_PUBLIC_KEYS\["old"\] must be a PEM string/],
      [JSON.stringify({ old: 'not a key' }), /JWT_PUBLIC_KEYS\["old"\] is not a PEM public key/],
      [JSON.stringify({ old: other.privateKey }), /must be a public key, not a private one/],
      [JSON.stringify({ old: rsa.publicKey }), /JWT_PUBLIC_KEYS\["old"\] must be an EC P-256 key/],
      [JSON.stringify({ current: other.publicKey }), /"current" is the current key id/],
    ];
    for (const [value, message] of cases) {
      expect(() => loadConfig(env({ JWT_KEY_ID: 'current', JWT_PUBLIC_KEYS: value }))).toThrow(message);
    }
  });

  it('accepts only exact origins in CORS_ORIGINS', () => {
    for (const value of ['*', 'https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://files.example.com']) {
      expect(() => loadConfig(env({ CORS_ORIGINS: value }))).toThrow(/CORS_ORIGINS entries must be origins/);
    }
  });
});
