import {
  buckets,
  ConfigError,
  DEFAULT_SCHEDULES_PER_USER,
  DEFAULT_WEBHOOK_ENDPOINTS_PER_USER,
  EXPORT_SCHEDULE_GROUP_LOGICAL,
  REFRESH_TOKEN_TTL_DAYS,
  tables as tableDefinitions,
} from '@memberships/core/contract';
import {
  awsKeysSetTogether,
  awsSettings,
  awsTimeouts,
  awsVariables,
  custom,
  integer,
  list,
  logLevelVariable,
  pick,
  readConfig,
  string,
  url,
  type AwsClientSettings,
  type AwsTimeouts,
  type CheckedValues,
  type ConfigValues,
  type LogLevel,
  type ReadValues,
  webhookAddressVariables,
} from '@memberships/core/config';
import { DEFAULT_ACCOUNT_LIMIT, DEFAULT_ADDRESS_LIMIT, type AttemptLimit } from '@memberships/core/dynamodb';
import { checkJwtKeys, parsePublicKeys, unescapePem } from './jwt-keys';

const awsVariableNames = Object.keys(awsVariables) as (keyof typeof awsVariables)[];

/**
 * The API's configuration, read once from the environment at start-up. This is
 * the only module that reads `process.env`; everything else receives the
 * frozen object (tests build one directly). The variables are described
 * once, in `apiVariables` below: readConfig() reports every problem of an
 * environment at once, and the README's table is checked against the same
 * description (config-readme.unit.test.ts). The key crypto is in jwt-keys.ts.
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
    /** WEBHOOKS_TABLE: webhook endpoints and their deliveries. */
    readonly webhooks: string;
  };
  /** Monthly export subscriptions and their EventBridge Scheduler schedules. */
  readonly schedules: ScheduleSettings;
  /** Webhook endpoints (routes/webhook-endpoints) and the completion events the API emits (cancel). */
  readonly webhooks: WebhookSettings;
  readonly exportQueueUrl: string;
  readonly exportBucket: string;
  /** PostgreSQL URL (user = the API's role); the API only uses it for the readiness check. */
  readonly databaseUrl: string;
  /** DATABASE_SECRET_ARN: the API role's secret (`{"username","password"}`); unset: DATABASE_URL's password. */
  readonly databaseSecretArn: string | undefined;
  readonly jwt: JwtConfig;
  /** Lifetime of a presigned download URL (DOWNLOAD_URL_TTL_SECONDS, default and most 300: each click gets a fresh one). */
  readonly downloadUrlTtlSeconds: number;
  /**
   * Days an export file is kept (FILE_RETENTION_DAYS, default 7; the bucket's
   * lifecycle rule deletes it then, and infra sets both from one variable):
   * a succeeded job reads `expired` after it, and emailed links end with it.
   */
  readonly fileRetentionDays: number;
  /**
   * Secrets Manager secret of the link signing key (LINK_SIGNING_SECRET_ARN,
   * `{"key": "..."}`; AWSCURRENT signs, AWSPREVIOUS still verifies): the
   * emailed download and pause links are checked with it.
   */
  readonly linkSigningSecretArn: string;
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

export interface WebhookSettings {
  /** WEBHOOK_QUEUE_URL: where the cancel's `event.occurred` and a re-send's `webhook.delivery` go (the worker consumes it). */
  readonly queueUrl: string;
  /** Most endpoints one user may have (WEBHOOK_MAX_ENDPOINTS, default 5). */
  readonly perUser: number;
  /** Local platform only (WEBHOOK_ALLOW_LOOPBACK_HTTP, default false): http:// and loopback receiver URLs accepted. */
  readonly allowLoopbackHttp: boolean;
  /** DNS servers that resolve a receiver's name when it is checked (WEBHOOK_DNS_SERVERS, `ip[:port]`); empty: the system's. */
  readonly dnsServers: readonly string[];
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
  /**
   * Verified access tokens kept in memory until they expire, so a client's
   * next request skips the signature check (JWT_VERIFY_CACHE_SIZE, default
   * 10000, 0: verify every request). Absent: the default.
   */
  readonly verifiedTokenCacheSize?: number;
  /** Refresh token lifetime, renewed by each rotation (REFRESH_TOKEN_TTL_SECONDS, default 30 days). */
  readonly refreshTokenTtlSeconds: number;
}

export type { LogLevel } from '@memberships/core/config';
export { verificationKeys } from './jwt-keys';

export const DEFAULT_JWT_ISSUER = 'memberships-api';
export const DEFAULT_JWT_AUDIENCE = 'memberships-api';
/** JWT_VERIFY_CACHE_SIZE's default: some minutes of distinct active clients of one instance. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Tables (and the schedule group) added after the first deployment default
 * to their sibling of the users table, so an environment that only sets
 * USERS_TABLE (named by resourceNames(prefix)) keeps working; set the
 * variable to name it otherwise.
 */
const namedAfterUsersTable =
  (logicalName: string) =>
  (values: ReadValues): string | undefined => {
    const prefix = deploymentPrefix(values.USERS_TABLE);
    return prefix === undefined ? undefined : `${prefix}-${logicalName}`;
  };

/** `<prefix>` of a users table named `<prefix>-users` by resourceNames(prefix); undefined for another name. */
function deploymentPrefix(usersTable: unknown): string | undefined {
  const suffix = `-${tableDefinitions.users.logicalName}`;
  if (typeof usersTable !== 'string' || !usersTable.endsWith(suffix) || usersTable.length === suffix.length) return undefined;
  return usersTable.slice(0, -suffix.length);
}

/**
 * ARNs are checked for their shape, so a typo stops the process at start
 * instead of failing every schedule creation with a 503.
 */
const IAM_ROLE_ARN = {
  regex: /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/,
  description: 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
};
const SQS_QUEUE_ARN = {
  regex: /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/,
  description: 'an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)',
};

/** The Scheduler variables, shared by the API and the reconcile script (loadScheduleAdminConfig). */
const scheduleVariables = {
  SCHEDULES_TABLE: string({
    default: namedAfterUsersTable(tableDefinitions.exportSchedules.logicalName),
    defaultDoc: '`<prefix>-export-schedules`',
    doc: 'export schedule records; default when USERS_TABLE is `<prefix>-users`, else required',
  }),
  SCHEDULER_GROUP_NAME: string({
    default: namedAfterUsersTable(EXPORT_SCHEDULE_GROUP_LOGICAL),
    defaultDoc: '`<prefix>-exports`',
    doc: 'schedule group of the `export-<id>` schedules; default when USERS_TABLE is `<prefix>-users`, else required',
  }),
  SCHEDULER_ROLE_ARN: string({ pattern: IAM_ROLE_ARN, doc: 'IAM role the Scheduler assumes to send to the export queue' }),
  EXPORT_QUEUE_ARN: string({ pattern: SQS_QUEUE_ARN, doc: "the export queue's ARN: the schedules' target" }),
  EXPORT_DLQ_ARN: string({ pattern: SQS_QUEUE_ARN, doc: 'where the Scheduler puts a tick it could not deliver' }),
  SCHEDULE_FLEXIBLE_WINDOW_MINUTES: integer({ default: 60, min: 1, max: 1440, doc: 'flexible time window of every schedule' }),
  SCHEDULES_PER_USER: integer({ default: DEFAULT_SCHEDULES_PER_USER, min: 1, max: 100, doc: 'most export schedules one user may have' }),
};

const pemVariable = (doc: string) => custom({ type: 'PEM', doc, parse: unescapePem });

/** Every variable the API reads, in the order the problems are reported; the README's table is checked against it. */
export const apiVariables = {
  HOST: string({ default: '0.0.0.0', doc: 'interface to listen on (a container must be reachable; use 127.0.0.1 locally)' }),
  PORT: integer({ default: 3000, min: 0, max: 65535, doc: 'TCP port; 0 picks a free one' }),
  LOG_LEVEL: logLevelVariable,
  TRUST_PROXY: custom({
    type: 'true, a hop count or addresses',
    default: false,
    doc: 'proxies trusted for X-Forwarded-*',
    parse: parseTrustProxy,
  }),
  ...awsVariables,
  AWS_CONNECT_TIMEOUT_SECONDS: integer({ default: 3, min: 1, max: 60, doc: 'deadline to open a connection to an AWS endpoint' }),
  AWS_REQUEST_TIMEOUT_SECONDS: integer({ default: 10, min: 1, max: 60, doc: 'deadline of one AWS request and its answer' }),
  USERS_TABLE: string({ doc: 'users table (resourceNames(prefix) names it `<prefix>-users`)' }),
  JOBS_TABLE: string({ doc: 'export jobs table' }),
  GUARDS_TABLE: string({ doc: 'export guards table' }),
  REFRESH_TOKENS_TABLE: string({
    default: namedAfterUsersTable(tableDefinitions.refreshTokens.logicalName),
    defaultDoc: '`<prefix>-refresh-tokens`',
    doc: 'refresh tokens; default when USERS_TABLE is `<prefix>-users`, else required',
  }),
  LOGIN_ATTEMPTS_TABLE: string({
    default: namedAfterUsersTable(tableDefinitions.loginAttempts.logicalName),
    defaultDoc: '`<prefix>-login-attempts`',
    doc: 'failed-login counters; default when USERS_TABLE is `<prefix>-users`, else required',
  }),
  ...scheduleVariables,
  WEBHOOKS_TABLE: string({ doc: 'webhook endpoints and deliveries table' }),
  WEBHOOK_QUEUE_URL: url({ doc: 'queue of completion events and webhook deliveries (the cancel and a re-send send to it)' }),
  ...webhookAddressVariables,
  WEBHOOK_MAX_ENDPOINTS: integer({
    default: DEFAULT_WEBHOOK_ENDPOINTS_PER_USER,
    min: 1,
    max: 100,
    doc: 'most webhook endpoints one user may have',
  }),
  EXPORT_QUEUE_URL: url({ doc: 'SQS queue the export requests go to' }),
  EXPORT_BUCKET: string({ doc: 'S3 bucket of the export files' }),
  DATABASE_URL: url({ doc: "PostgreSQL URL, user = the API's role (readiness check only)" }),
  DATABASE_SECRET_ARN: string({ optional: true, doc: "the role's secret; unset: the URL's password" }),
  JWT_PRIVATE_KEY: pemVariable('EC P-256 key that signs access tokens; `\\n` escapes accepted'),
  JWT_PUBLIC_KEY: pemVariable('the matching public key'),
  JWT_KEY_ID: string({ optional: true, defaultDoc: 'RFC 7638 thumbprint of the public key', doc: '`kid` header of issued tokens' }),
  JWT_PUBLIC_KEYS: custom({
    optional: true,
    type: 'JSON {"<kid>": "<PEM>"}',
    doc: 'more verification keys by kid (key rotation)',
    parse: parsePublicKeys,
  }),
  JWT_ISSUER: string({ default: DEFAULT_JWT_ISSUER, doc: '`iss` issued and required' }),
  JWT_AUDIENCE: string({ default: DEFAULT_JWT_AUDIENCE, doc: '`aud` issued and required' }),
  ACCESS_TOKEN_TTL_SECONDS: integer({ default: 300, min: 30, max: 3600, doc: 'access token lifetime' }),
  JWT_VERIFY_CACHE_SIZE: integer({
    default: DEFAULT_VERIFIED_TOKEN_CACHE_SIZE,
    min: 0,
    max: 1_000_000,
    doc: 'verified access tokens kept until they expire (skips the signature check); 0: verify every request',
  }),
  REFRESH_TOKEN_TTL_SECONDS: integer({
    default: REFRESH_TOKEN_TTL_DAYS * 86_400,
    min: 3600,
    max: 365 * 86_400,
    doc: 'refresh token lifetime, renewed by each rotation',
  }),
  // At most 5 minutes: a download URL is a bearer credential, and every click of a link gets a new one.
  DOWNLOAD_URL_TTL_SECONDS: integer({ default: 300, min: 10, max: 300, doc: 'lifetime of presigned download URLs' }),
  FILE_RETENTION_DAYS: integer({
    default: buckets.exportFiles.expireAfterDays,
    min: 1,
    max: 365,
    doc: "days an export file is kept (the bucket's lifecycle rule); also the emailed links' lifetime",
  }),
  LINK_SIGNING_SECRET_ARN: string({ doc: 'Secrets Manager secret of the link signing key (`{"key": "..."}`)' }),
  PUBLIC_S3_ENDPOINT: url({
    optional: true,
    defaultDoc: '`AWS_ENDPOINT_URL_S3`',
    doc: 'S3 endpoint users can reach, used only to sign download URLs',
  }),
  LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: integer({
    default: DEFAULT_ACCOUNT_LIMIT.maxAttempts,
    min: 1,
    max: 1000,
    doc: 'failed logins per email address per window',
  }),
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: integer({
    default: DEFAULT_ADDRESS_LIMIT.maxAttempts,
    min: 1,
    max: 100_000,
    doc: 'failed logins per client address per window',
  }),
  LOGIN_ATTEMPT_WINDOW_SECONDS: integer({
    default: DEFAULT_ACCOUNT_LIMIT.windowSeconds,
    min: 60,
    max: 86_400,
    doc: 'the failed-login window',
  }),
  RATE_LIMIT_WINDOW_SECONDS: integer({ default: 60, min: 1, max: 3600, doc: 'window of the request rate limits' }),
  EXPORT_READ_RATE_LIMIT: integer({ default: 120, min: 1, max: 100_000, doc: 'GETs of /v1/exports* per user per window' }),
  EXPORT_WRITE_RATE_LIMIT: integer({ default: 10, min: 1, max: 100_000, doc: 'POSTs of /v1/exports per user per window' }),
  LOGIN_RATE_LIMIT: integer({ default: 60, min: 1, max: 100_000, doc: 'POSTs of /v1/auth/token per client address per window' }),
  CORS_ORIGINS: list({ default: [], doc: 'browser origins allowed to call the API; none: CORS closed', item: checkOrigin }),
  REQUEUE_AFTER_SECONDS: integer({
    default: 120,
    min: 10,
    max: 86_400,
    doc: 'a never-started queued export older than this is sent again',
  }),
  SHUTDOWN_TIMEOUT_SECONDS: integer({ default: 10, min: 1, max: 300, doc: 'longest graceful close after SIGTERM/SIGINT' }),
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const values = readConfig(apiVariables, env, [awsKeysSetTogether, usableJwtKeys]);
  const loginWindowSeconds = values.LOGIN_ATTEMPT_WINDOW_SECONDS;
  return createConfig({
    host: values.HOST,
    port: values.PORT,
    logLevel: values.LOG_LEVEL,
    trustProxy: values.TRUST_PROXY,
    aws: awsSettings(values),
    awsTimeouts: awsTimeouts(values),
    tables: {
      users: values.USERS_TABLE,
      jobs: values.JOBS_TABLE,
      guards: values.GUARDS_TABLE,
      refreshTokens: values.REFRESH_TOKENS_TABLE,
      loginAttempts: values.LOGIN_ATTEMPTS_TABLE,
      schedules: values.SCHEDULES_TABLE,
      webhooks: values.WEBHOOKS_TABLE,
    },
    schedules: scheduleSettings(values),
    webhooks: {
      queueUrl: values.WEBHOOK_QUEUE_URL,
      perUser: values.WEBHOOK_MAX_ENDPOINTS,
      allowLoopbackHttp: values.WEBHOOK_ALLOW_LOOPBACK_HTTP === 'true',
      dnsServers: [...values.WEBHOOK_DNS_SERVERS],
    },
    exportQueueUrl: values.EXPORT_QUEUE_URL,
    exportBucket: values.EXPORT_BUCKET,
    databaseUrl: values.DATABASE_URL,
    databaseSecretArn: values.DATABASE_SECRET_ARN,
    jwt: jwtConfig(values),
    downloadUrlTtlSeconds: values.DOWNLOAD_URL_TTL_SECONDS,
    fileRetentionDays: values.FILE_RETENTION_DAYS,
    linkSigningSecretArn: values.LINK_SIGNING_SECRET_ARN,
    publicS3Endpoint: values.PUBLIC_S3_ENDPOINT,
    loginLimits: {
      perAccount: { maxAttempts: values.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, windowSeconds: loginWindowSeconds },
      perAddress: { maxAttempts: values.LOGIN_MAX_ATTEMPTS_PER_ADDRESS, windowSeconds: loginWindowSeconds },
    },
    rateLimits: {
      windowSeconds: values.RATE_LIMIT_WINDOW_SECONDS,
      exportReads: values.EXPORT_READ_RATE_LIMIT,
      exportWrites: values.EXPORT_WRITE_RATE_LIMIT,
      logins: values.LOGIN_RATE_LIMIT,
    },
    corsOrigins: [...values.CORS_ORIGINS],
    requeueAfterSeconds: values.REQUEUE_AFTER_SECONDS,
    shutdownTimeoutSeconds: values.SHUTDOWN_TIMEOUT_SECONDS,
  });
}

/**
 * Checks a configuration built in code (tests, tools) the same way as one read
 * from the environment, fills in the key id and freezes it.
 */
export function createConfig(config: ApiConfig): ApiConfig {
  const keyId = checkJwtKeys(config.jwt);
  return deepFreeze({ ...config, jwt: { ...config.jwt, keyId } });
}

type JwtValues = Pick<
  ConfigValues<typeof apiVariables>,
  | 'JWT_PRIVATE_KEY'
  | 'JWT_PUBLIC_KEY'
  | 'JWT_KEY_ID'
  | 'JWT_PUBLIC_KEYS'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'ACCESS_TOKEN_TTL_SECONDS'
  | 'JWT_VERIFY_CACHE_SIZE'
  | 'REFRESH_TOKEN_TTL_SECONDS'
>;

function jwtConfig(values: JwtValues): JwtConfig {
  return {
    privateKey: values.JWT_PRIVATE_KEY,
    publicKey: values.JWT_PUBLIC_KEY,
    keyId: values.JWT_KEY_ID ?? '',
    issuer: values.JWT_ISSUER,
    audience: values.JWT_AUDIENCE,
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    verifiedTokenCacheSize: values.JWT_VERIFY_CACHE_SIZE,
    refreshTokenTtlSeconds: values.REFRESH_TOKEN_TTL_SECONDS,
    ...(values.JWT_PUBLIC_KEYS ? { additionalPublicKeys: values.JWT_PUBLIC_KEYS } : {}),
  };
}

/** Unusable keys are reported with the other problems at start-up, not at the first login. */
function usableJwtKeys(values: CheckedValues<typeof apiVariables>): string | undefined {
  const { JWT_PRIVATE_KEY: privateKey, JWT_PUBLIC_KEY: publicKey } = values;
  // Missing or unparsable ones are reported already.
  if (!privateKey || !publicKey) return undefined;
  try {
    checkJwtKeys({ privateKey, publicKey, keyId: values.JWT_KEY_ID ?? '', additionalPublicKeys: values.JWT_PUBLIC_KEYS });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

function scheduleSettings(values: ConfigValues<typeof scheduleVariables>): ScheduleSettings {
  return {
    groupName: values.SCHEDULER_GROUP_NAME,
    roleArn: values.SCHEDULER_ROLE_ARN,
    queueArn: values.EXPORT_QUEUE_ARN,
    deadLetterArn: values.EXPORT_DLQ_ARN,
    flexibleWindowMinutes: values.SCHEDULE_FLEXIBLE_WINDOW_MINUTES,
    perUser: values.SCHEDULES_PER_USER,
  };
}

/** CORS_ORIGINS: exact origins only (`scheme://host[:port]`); no wildcard, so nothing opens by accident. */
function checkOrigin(origin: string): string {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin) {
    throw new ConfigError(`CORS_ORIGINS entries must be origins like https://app.example.com (no path, no wildcard), got "${origin}"`);
  }
  return origin;
}

/** TRUST_PROXY: `true`, `false`, a hop count, or a comma-separated list of addresses/CIDRs. */
function parseTrustProxy(raw: string): boolean | number | string[] {
  if (raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
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
  const values = readConfig(pick(apiVariables, [...awsVariableNames, 'USERS_TABLE']), env, [awsKeysSetTogether]);
  return deepFreeze({ aws: awsSettings(values), usersTable: values.USERS_TABLE });
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

/** The reconciler's variables: the API's, but USERS_TABLE only names the defaults of the others. */
const scheduleAdminVariables = {
  ...awsVariables,
  LOG_LEVEL: logLevelVariable,
  USERS_TABLE: string({ optional: true, doc: apiVariables.USERS_TABLE.doc }),
  ...scheduleVariables,
};

export function loadScheduleAdminConfig(env: NodeJS.ProcessEnv = process.env): ScheduleAdminConfig {
  const values = readConfig(scheduleAdminVariables, env, [awsKeysSetTogether]);
  return deepFreeze({
    aws: awsSettings(values),
    logLevel: values.LOG_LEVEL,
    schedulesTable: values.SCHEDULES_TABLE,
    schedules: scheduleSettings(values),
  });
}
