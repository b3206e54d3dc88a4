import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import {
  ConfigError,
  DEFAULT_SCHEDULES_PER_USER,
  EXPORT_SCHEDULE_GROUP_LOGICAL,
  REFRESH_TOKEN_TTL_DAYS,
  tables as tableDefinitions,
} from '@memberships/core/contract';
import { EnvReader, type AwsClientSettings, type AwsTimeouts } from '@memberships/core/config';
import { DEFAULT_ACCOUNT_LIMIT, DEFAULT_ADDRESS_LIMIT, type AttemptLimit } from '@memberships/core/dynamodb';

/**
 * The API's configuration, read once from the environment at start-up. This is
 * the only module that reads `process.env`; everything else receives the
 * frozen object (tests build one directly). Every variable is listed in the
 * README with its default.
 */
export interface ApiConfig {
  /** Interface to listen on (HOST, default 0.0.0.0 so a container is reachable; use 127.0.0.1 locally). */
  readonly host: string;
  /** TCP port (PORT, default 3000; 0 picks a free one). */
  readonly port: number;
  /** pino level (LOG_LEVEL, default info). */
  readonly logLevel: LogLevel;
  /**
   * Which proxies to trust for X-Forwarded-* (TRUST_PROXY, default false):
   * `true`, a hop count, or a comma-separated list of addresses/CIDRs.
   */
  readonly trustProxy: boolean | number | string[];
  readonly aws: AwsClientSettings;
  /** Deadlines of every AWS call (AWS_CONNECT_TIMEOUT_SECONDS, default 3; AWS_REQUEST_TIMEOUT_SECONDS, default 10). */
  readonly awsTimeouts: AwsTimeouts;
  readonly tables: {
    readonly users: string;
    readonly jobs: string;
    readonly guards: string;
    /**
     * REFRESH_TOKENS_TABLE; default: derived from USERS_TABLE the way
     * resourceNames(prefix) names tables (`<prefix>-users` → `<prefix>-refresh-tokens`).
     */
    readonly refreshTokens: string;
    /** LOGIN_ATTEMPTS_TABLE; default derived from USERS_TABLE (`<prefix>-login-attempts`). */
    readonly loginAttempts: string;
    /** SCHEDULES_TABLE; default derived from USERS_TABLE (`<prefix>-export-schedules`). */
    readonly schedules: string;
  };
  /** Monthly export subscriptions and their EventBridge Scheduler schedules. */
  readonly schedules: ScheduleSettings;
  readonly exportQueueUrl: string;
  readonly exportBucket: string;
  /** PostgreSQL URL (user = the API's role); the API only uses it for the readiness check. */
  readonly databaseUrl: string;
  /** DATABASE_SECRET_ARN: the API role's secret (`{"username","password"}`); unset: DATABASE_URL's password. */
  readonly databaseSecretArn: string | undefined;
  readonly jwt: JwtConfig;
  /** Lifetime of a presigned download URL (DOWNLOAD_URL_TTL_SECONDS, default 300). */
  readonly downloadUrlTtlSeconds: number;
  /**
   * S3 endpoint that end users can reach, used only to sign download URLs
   * (PUBLIC_S3_ENDPOINT, optional; default the S3 endpoint the API itself uses).
   */
  readonly publicS3Endpoint?: string | undefined;
  /** Failed-login limits, shared by all instances through DynamoDB. */
  readonly loginLimits: {
    /** LOGIN_MAX_ATTEMPTS_PER_ACCOUNT (default 5) per LOGIN_ATTEMPT_WINDOW_SECONDS (default 900). */
    readonly perAccount: AttemptLimit;
    /** LOGIN_MAX_ATTEMPTS_PER_ADDRESS (default 20) per LOGIN_ATTEMPT_WINDOW_SECONDS. */
    readonly perAddress: AttemptLimit;
  };
  /** Request rate limits of the export routes, per user and per API instance (in memory). */
  readonly rateLimits: {
    /** RATE_LIMIT_WINDOW_SECONDS (default 60). */
    readonly windowSeconds: number;
    /** EXPORT_READ_RATE_LIMIT: GETs of /v1/exports* per user per window (default 120). */
    readonly exportReads: number;
    /** EXPORT_WRITE_RATE_LIMIT: POSTs of /v1/exports per user per window (default 10). */
    readonly exportWrites: number;
    /**
     * LOGIN_RATE_LIMIT: POSTs of /v1/auth/token per client address per window
     * (default 60), successful or not: each costs a password hash.
     */
    readonly logins: number;
  };
  /**
   * Browser origins allowed to call the API (CORS_ORIGINS, comma-separated,
   * e.g. `https://app.example.com`); default none: CORS closed.
   */
  readonly corsOrigins: readonly string[];
  /**
   * A queued export that no worker has started after this long gets its
   * message sent again when the user asks for an export (REQUEUE_AFTER_SECONDS,
   * default 120).
   */
  readonly requeueAfterSeconds: number;
  /**
   * Longest graceful close after SIGTERM/SIGINT (SHUTDOWN_TIMEOUT_SECONDS,
   * default 10, 1-300): requests in flight may finish meanwhile; then the
   * process exits anyway (code 1), whatever still holds it. Keep it below the
   * orchestrator's kill deadline (ECS: 30 s after SIGTERM).
   */
  readonly shutdownTimeoutSeconds: number;
}

/** How the API keeps one EventBridge Scheduler schedule per export subscription (routes/export-schedules). */
export interface ScheduleSettings {
  /** Schedule group holding the `export-<id>` schedules (SCHEDULER_GROUP_NAME; default `<prefix>-exports` derived from USERS_TABLE). */
  readonly groupName: string;
  /** IAM role the Scheduler assumes to send to the queue (SCHEDULER_ROLE_ARN, required). */
  readonly roleArn: string;
  /** Target: ARN of the export queue (EXPORT_QUEUE_ARN, required). */
  readonly queueArn: string;
  /** Where the Scheduler puts a tick it could not deliver (EXPORT_DLQ_ARN, required). */
  readonly deadLetterArn: string;
  /** Flexible time window, spreading the many schedules of the 1st (SCHEDULE_FLEXIBLE_WINDOW_MINUTES, default 60, 1-1440). */
  readonly flexibleWindowMinutes: number;
  /** Most schedules one user may have (SCHEDULES_PER_USER, default 5). */
  readonly perUser: number;
}

export interface JwtConfig {
  /** PEM of the ES256 (P-256) private key that signs access tokens (JWT_PRIVATE_KEY). */
  readonly privateKey: string;
  /** PEM of the matching public key that verifies them (JWT_PUBLIC_KEY). */
  readonly publicKey: string;
  /** `kid` header of issued tokens (JWT_KEY_ID, default: the RFC 7638 thumbprint of the public key). */
  readonly keyId: string;
  /**
   * More keys that verify tokens, by `kid` (JWT_PUBLIC_KEYS, a JSON object
   * `{"<kid>": "<PEM>"}`, optional): the previous key while its tokens run
   * out, or the next key before it starts signing. The current key is always
   * accepted under `keyId`.
   */
  readonly additionalPublicKeys?: Readonly<Record<string, string>>;
  /** `iss` claim issued and required (JWT_ISSUER, default memberships-api). */
  readonly issuer: string;
  /** `aud` claim issued and required (JWT_AUDIENCE, default memberships-api). */
  readonly audience: string;
  /** Access token lifetime (ACCESS_TOKEN_TTL_SECONDS, default 300). */
  readonly accessTokenTtlSeconds: number;
  /** Refresh token lifetime, renewed by each rotation (REFRESH_TOKEN_TTL_SECONDS, default 30 days). */
  readonly refreshTokenTtlSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_JWT_ISSUER = 'memberships-api';
export const DEFAULT_JWT_AUDIENCE = 'memberships-api';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const read = new EnvReader(env);
  const problems: string[] = [];
  const privateKeyPem = pem(read.string('JWT_PRIVATE_KEY'));
  const publicKeyPem = pem(read.string('JWT_PUBLIC_KEY'));
  const usersTable = read.string('USERS_TABLE');
  const windowSeconds = read.integer('LOGIN_ATTEMPT_WINDOW_SECONDS', DEFAULT_ACCOUNT_LIMIT.windowSeconds, { min: 60, max: 86_400 });
  const config = {
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 3000, { min: 0, max: 65535 }),
    logLevel: logLevel(read.string('LOG_LEVEL', 'info')),
    trustProxy: parseTrustProxy(read.optionalString('TRUST_PROXY')),
    aws: read.awsSettings(),
    awsTimeouts: {
      connectionTimeoutMs: read.integer('AWS_CONNECT_TIMEOUT_SECONDS', 3, { min: 1, max: 60 }) * 1000,
      requestTimeoutMs: read.integer('AWS_REQUEST_TIMEOUT_SECONDS', 10, { min: 1, max: 60 }) * 1000,
    },
    tables: {
      users: usersTable,
      jobs: read.string('JOBS_TABLE'),
      guards: read.string('GUARDS_TABLE'),
      refreshTokens:
        read.optionalString('REFRESH_TOKENS_TABLE') ?? siblingTable(usersTable, 'refreshTokens') ?? read.string('REFRESH_TOKENS_TABLE'),
      loginAttempts:
        read.optionalString('LOGIN_ATTEMPTS_TABLE') ?? siblingTable(usersTable, 'loginAttempts') ?? read.string('LOGIN_ATTEMPTS_TABLE'),
      schedules: read.optionalString('SCHEDULES_TABLE') ?? siblingTable(usersTable, 'exportSchedules') ?? read.string('SCHEDULES_TABLE'),
    },
    schedules: readScheduleSettings(read, usersTable, problems),
    exportQueueUrl: read.url('EXPORT_QUEUE_URL'),
    exportBucket: read.string('EXPORT_BUCKET'),
    databaseUrl: read.url('DATABASE_URL'),
    databaseSecretArn: read.optionalString('DATABASE_SECRET_ARN'),
    jwt: {
      privateKey: privateKeyPem,
      publicKey: publicKeyPem,
      keyId: read.optionalString('JWT_KEY_ID') ?? '',
      issuer: read.string('JWT_ISSUER', DEFAULT_JWT_ISSUER),
      audience: read.string('JWT_AUDIENCE', DEFAULT_JWT_AUDIENCE),
      accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 300, { min: 30, max: 3600 }),
      refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL_SECONDS', REFRESH_TOKEN_TTL_DAYS * 86_400, { min: 3600, max: 365 * 86_400 }),
    },
    downloadUrlTtlSeconds: read.integer('DOWNLOAD_URL_TTL_SECONDS', 300, { min: 10, max: 7 * 24 * 3600 }),
    publicS3Endpoint: read.optionalUrl('PUBLIC_S3_ENDPOINT'),
    loginLimits: {
      perAccount: {
        maxAttempts: read.integer('LOGIN_MAX_ATTEMPTS_PER_ACCOUNT', DEFAULT_ACCOUNT_LIMIT.maxAttempts, { min: 1, max: 1000 }),
        windowSeconds,
      },
      perAddress: {
        maxAttempts: read.integer('LOGIN_MAX_ATTEMPTS_PER_ADDRESS', DEFAULT_ADDRESS_LIMIT.maxAttempts, { min: 1, max: 100_000 }),
        windowSeconds,
      },
    },
    rateLimits: {
      windowSeconds: read.integer('RATE_LIMIT_WINDOW_SECONDS', 60, { min: 1, max: 3600 }),
      exportReads: read.integer('EXPORT_READ_RATE_LIMIT', 120, { min: 1, max: 100_000 }),
      exportWrites: read.integer('EXPORT_WRITE_RATE_LIMIT', 10, { min: 1, max: 100_000 }),
      logins: read.integer('LOGIN_RATE_LIMIT', 60, { min: 1, max: 100_000 }),
    },
    corsOrigins: read.optionalString('CORS_ORIGINS') ?? '',
    requeueAfterSeconds: read.integer('REQUEUE_AFTER_SECONDS', 120, { min: 10, max: 86_400 }),
    shutdownTimeoutSeconds: read.integer('SHUTDOWN_TIMEOUT_SECONDS', 10, { min: 1, max: 300 }),
  };
  const additionalPublicKeys = read.optionalString('JWT_PUBLIC_KEYS');
  finish(read, problems);
  return createConfig({
    ...config,
    jwt: { ...config.jwt, ...(additionalPublicKeys ? { additionalPublicKeys: parsePublicKeys(additionalPublicKeys) } : {}) },
    corsOrigins: parseOrigins(config.corsOrigins),
  });
}

/**
 * Checks a configuration built in code (tests, tools) the same way as one read
 * from the environment, fills in the key id and freezes it.
 */
export function createConfig(config: ApiConfig): ApiConfig {
  const publicKey = checkSigningKeys(config.jwt.privateKey, config.jwt.publicKey);
  const keyId = config.jwt.keyId || jwkThumbprint(publicKey);
  checkAdditionalPublicKeys(config.jwt.additionalPublicKeys ?? {}, keyId, publicKey);
  const jwt = { ...config.jwt, keyId };
  return deepFreeze({ ...config, jwt });
}

/** Every key that verifies access tokens, by `kid`: the additional ones and the current one. */
export function verificationKeys(jwt: JwtConfig): Readonly<Record<string, string>> {
  return { ...jwt.additionalPublicKeys, [jwt.keyId]: jwt.publicKey };
}

/**
 * Tables added after the first deployment default to their sibling of the
 * users table, so an environment that only sets USERS_TABLE (named by
 * resourceNames(prefix)) keeps working; set the variable to name it otherwise.
 */
function siblingTable(usersTable: string, key: 'refreshTokens' | 'loginAttempts' | 'exportSchedules'): string | undefined {
  const prefix = deploymentPrefix(usersTable);
  return prefix === undefined ? undefined : `${prefix}-${tableDefinitions[key].logicalName}`;
}

/** `<prefix>` of a users table named `<prefix>-users` by resourceNames(prefix); undefined for another name. */
function deploymentPrefix(usersTable: string): string | undefined {
  const suffix = `-${tableDefinitions.users.logicalName}`;
  if (!usersTable.endsWith(suffix) || usersTable.length === suffix.length) return undefined;
  return usersTable.slice(0, -suffix.length);
}

const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const SQS_QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;

/**
 * The Scheduler settings, shared by the API and the reconcile script. ARNs
 * are checked for their shape here, so a typo stops the process at start
 * instead of failing every schedule creation with a 503.
 */
function readScheduleSettings(read: EnvReader, usersTable: string, problems: string[]): ScheduleSettings {
  const prefix = deploymentPrefix(usersTable);
  const groupName =
    read.optionalString('SCHEDULER_GROUP_NAME') ??
    (prefix === undefined ? read.string('SCHEDULER_GROUP_NAME') : `${prefix}-${EXPORT_SCHEDULE_GROUP_LOGICAL}`);
  const arn = (name: string, pattern: RegExp, what: string): string => {
    const value = read.string(name);
    if (value && !pattern.test(value)) problems.push(`${name} must be ${what}, got "${value}"`);
    return value;
  };
  return {
    groupName,
    roleArn: arn('SCHEDULER_ROLE_ARN', IAM_ROLE_ARN, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)'),
    queueArn: arn('EXPORT_QUEUE_ARN', SQS_QUEUE_ARN, 'an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)'),
    deadLetterArn: arn('EXPORT_DLQ_ARN', SQS_QUEUE_ARN, 'an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)'),
    flexibleWindowMinutes: read.integer('SCHEDULE_FLEXIBLE_WINDOW_MINUTES', 60, { min: 1, max: 1440 }),
    perUser: read.integer('SCHEDULES_PER_USER', DEFAULT_SCHEDULES_PER_USER, { min: 1, max: 100 }),
  };
}

function parsePublicKeys(raw: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEYS must be a JSON object {"<kid>": "<PEM public key>"}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('JWT_PUBLIC_KEYS must be a JSON object {"<kid>": "<PEM public key>"}');
  }
  const keys: Record<string, string> = {};
  for (const [kid, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] must be a PEM string`);
    keys[kid] = pem(value);
  }
  return keys;
}

function checkAdditionalPublicKeys(keys: Readonly<Record<string, string>>, currentKid: string, currentKey: KeyObject): void {
  for (const [kid, pemText] of Object.entries(keys)) {
    if (!kid.trim()) throw new ConfigError('JWT_PUBLIC_KEYS has an empty key id');
    // createPublicKey would happily derive a public key from a private one: refuse to hold private keys here.
    if (pemText.includes('PRIVATE KEY')) throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] must be a public key, not a private one`);
    let key: KeyObject;
    try {
      key = createPublicKey(pemText);
    } catch {
      throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] is not a PEM public key`);
    }
    checkP256(`JWT_PUBLIC_KEYS["${kid}"]`, key);
    if (kid === currentKid && !sameKey(key, currentKey)) {
      throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] is not the current key, but "${kid}" is the current key id (JWT_KEY_ID)`);
    }
  }
}

/** CORS_ORIGINS: exact origins only (`scheme://host[:port]`); no wildcard, so nothing opens by accident. */
function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin) {
      throw new ConfigError(`CORS_ORIGINS entries must be origins like https://app.example.com (no path, no wildcard), got "${origin}"`);
    }
  }
  return origins;
}

function logLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return value as LogLevel;
}

/** Orchestrators often cannot hold multi-line values: accept `\n` escapes in PEM variables. */
function pem(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * Fails at start-up, not at the first login, when the keys are unusable:
 * both must be P-256 keys and the public key must belong to the private one.
 */
function checkSigningKeys(privatePem: string, publicPem: string): KeyObject {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY is not a PEM private key');
  }
  try {
    publicKey = createPublicKey(publicPem);
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEY is not a PEM public key');
  }
  checkP256('JWT_PRIVATE_KEY', privateKey);
  checkP256('JWT_PUBLIC_KEY', publicKey);
  if (!sameKey(createPublicKey(privateKey), publicKey)) {
    throw new ConfigError('JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY');
  }
  return publicKey;
}

function checkP256(name: string, key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(`${name} must be an EC P-256 key (ES256)`);
  }
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ format: 'der', type: 'spki' }).equals(b.export({ format: 'der', type: 'spki' }));
}

/** RFC 7638 thumbprint: a stable key id that changes exactly when the key does. */
function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** EnvReader.done() with the problems found beyond its readers, all in one ConfigError. */
function finish(read: EnvReader, problems: readonly string[]): void {
  try {
    read.done();
  } catch (error) {
    if (problems.length === 0 || !(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${error.message}\n  - ${problems.join('\n  - ')}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * What the user administration script (scripts/create-user.ts) needs: the
 * users table and how to reach DynamoDB. Read from the same variables as the
 * API's, so the script runs with the API task's environment.
 */
export interface UserAdminConfig {
  readonly aws: AwsClientSettings;
  /** USERS_TABLE. */
  readonly usersTable: string;
}

export function loadUserAdminConfig(env: NodeJS.ProcessEnv = process.env): UserAdminConfig {
  const read = new EnvReader(env);
  const config = {
    aws: read.awsSettings(),
    usersTable: read.string('USERS_TABLE'),
  };
  read.done();
  return deepFreeze(config);
}

/**
 * What the schedule reconciler (scripts/reconcile-schedules.ts) needs: the
 * schedules table and the Scheduler settings, read from the same variables
 * as the API's so it runs with the API task's environment (no JWT keys needed).
 */
export interface ScheduleAdminConfig {
  readonly aws: AwsClientSettings;
  readonly logLevel: LogLevel;
  /** SCHEDULES_TABLE (default derived from USERS_TABLE). */
  readonly schedulesTable: string;
  readonly schedules: ScheduleSettings;
}

export function loadScheduleAdminConfig(env: NodeJS.ProcessEnv = process.env): ScheduleAdminConfig {
  const read = new EnvReader(env);
  const problems: string[] = [];
  const usersTable = read.optionalString('USERS_TABLE') ?? '';
  const config = {
    aws: read.awsSettings(),
    logLevel: logLevel(read.string('LOG_LEVEL', 'info')),
    schedulesTable: read.optionalString('SCHEDULES_TABLE') ?? siblingTable(usersTable, 'exportSchedules') ?? read.string('SCHEDULES_TABLE'),
    schedules: readScheduleSettings(read, usersTable, problems),
  };
  finish(read, problems);
  return deepFreeze(config);
}
