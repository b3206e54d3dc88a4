import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError, EnvReader, type AwsClientSettings } from '@memberships/core';

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
  readonly tables: { readonly users: string; readonly jobs: string; readonly guards: string };
  readonly exportQueueUrl: string;
  readonly exportBucket: string;
  /** PostgreSQL URL; the API only uses it for the readiness check. */
  readonly databaseUrl: string;
  readonly jwt: JwtConfig;
  /** Lifetime of a presigned download URL (DOWNLOAD_URL_TTL_SECONDS, default 300). */
  readonly downloadUrlTtlSeconds: number;
  /**
   * S3 endpoint that end users can reach, used only to sign download URLs
   * (PUBLIC_S3_ENDPOINT, optional; default the S3 endpoint the API itself uses).
   */
  readonly publicS3Endpoint?: string | undefined;
}

export interface JwtConfig {
  /** PEM of the ES256 (P-256) private key that signs access tokens (JWT_PRIVATE_KEY). */
  readonly privateKey: string;
  /** PEM of the matching public key that verifies them (JWT_PUBLIC_KEY). */
  readonly publicKey: string;
  /** `kid` header of issued tokens (JWT_KEY_ID, default: the RFC 7638 thumbprint of the public key). */
  readonly keyId: string;
  /** `iss` claim issued and required (JWT_ISSUER, default memberships-api). */
  readonly issuer: string;
  /** `aud` claim issued and required (JWT_AUDIENCE, default memberships-api). */
  readonly audience: string;
  /** Access token lifetime (ACCESS_TOKEN_TTL_SECONDS, default 300). */
  readonly accessTokenTtlSeconds: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_JWT_ISSUER = 'memberships-api';
export const DEFAULT_JWT_AUDIENCE = 'memberships-api';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const read = new EnvReader(env);
  const privateKeyPem = pem(read.string('JWT_PRIVATE_KEY'));
  const publicKeyPem = pem(read.string('JWT_PUBLIC_KEY'));
  const config = {
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 3000, { min: 0, max: 65535 }),
    logLevel: logLevel(read.string('LOG_LEVEL', 'info')),
    trustProxy: parseTrustProxy(read.optionalString('TRUST_PROXY')),
    aws: {
      region: read.string('AWS_REGION'),
      endpoints: {
        dynamodb: read.optionalUrl('AWS_ENDPOINT_URL_DYNAMODB'),
        sqs: read.optionalUrl('AWS_ENDPOINT_URL_SQS'),
        s3: read.optionalUrl('AWS_ENDPOINT_URL_S3'),
      },
    },
    tables: {
      users: read.string('USERS_TABLE'),
      jobs: read.string('JOBS_TABLE'),
      guards: read.string('GUARDS_TABLE'),
    },
    exportQueueUrl: read.url('EXPORT_QUEUE_URL'),
    exportBucket: read.string('EXPORT_BUCKET'),
    databaseUrl: read.url('DATABASE_URL'),
    jwt: {
      privateKey: privateKeyPem,
      publicKey: publicKeyPem,
      keyId: read.optionalString('JWT_KEY_ID') ?? '',
      issuer: read.string('JWT_ISSUER', DEFAULT_JWT_ISSUER),
      audience: read.string('JWT_AUDIENCE', DEFAULT_JWT_AUDIENCE),
      accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 300, { min: 30, max: 3600 }),
    },
    downloadUrlTtlSeconds: read.integer('DOWNLOAD_URL_TTL_SECONDS', 300, { min: 10, max: 7 * 24 * 3600 }),
    publicS3Endpoint: read.optionalUrl('PUBLIC_S3_ENDPOINT'),
  };
  read.done();
  return createConfig(config);
}

/**
 * Checks a configuration built in code (tests, tools) the same way as one read
 * from the environment, fills in the key id and freezes it.
 */
export function createConfig(config: ApiConfig): ApiConfig {
  const publicKey = checkSigningKeys(config.jwt.privateKey, config.jwt.publicKey);
  const jwt = Object.freeze({ ...config.jwt, keyId: config.jwt.keyId || jwkThumbprint(publicKey) });
  return deepFreeze({ ...config, jwt });
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
  for (const [name, key] of [['JWT_PRIVATE_KEY', privateKey], ['JWT_PUBLIC_KEY', publicKey]] as const) {
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError(`${name} must be an EC P-256 key (ES256)`);
    }
  }
  const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (!derived.equals(publicKey.export({ format: 'der', type: 'spki' }))) {
    throw new ConfigError('JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY');
  }
  return publicKey;
}

/** RFC 7638 thumbprint: a stable key id that changes exactly when the key does. */
function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
