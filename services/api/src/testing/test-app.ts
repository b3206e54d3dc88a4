import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ResourceNames, Scope } from '@memberships/core/contract';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import {
  awsKeyEnvironment,
  createUser,
  LOCAL_SCHEDULER_ROLE_ARN,
  provisionTestResources,
  testDatabaseServerUrl,
  type CreatedUser,
} from '@memberships/local-platform';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { loadConfig, type ApiConfig } from '../config';
import type { PasswordVerifier } from '../plugins/auth';
import type { TokenSet } from '../plugins/sessions';
import { listenOnLoopback, request, type HttpResponse, type RequestOptions } from './http-client';
import { generateSigningKeys } from './keys';

/**
 * Test harness: real DynamoDB Local, fauxqs (SQS + S3) and PostgreSQL from the
 * jest global setup, fresh randomly-prefixed resources per suite, and the app
 * built from a configuration read the way production reads it.
 */

/** A clock that follows real time plus an offset tests can move forward. */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  /** Jumps to `epochMs` (and runs on from there). */
  set(epochMs: number): void {
    this.offsetMs = epochMs - Date.now();
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export interface TestPlatform {
  readonly aws: AwsClientSettings;
  readonly names: ResourceNames;
  readonly exportQueueUrl: string;
  /** ARNs of the export queue and its dead-letter queue: the Scheduler targets. */
  readonly exportQueueArn: string;
  readonly exportDlqArn: string;
  /** The webhook queue: the API sends completion events (cancel) and re-sends to it. */
  readonly webhookQueueUrl: string;
  readonly databaseUrl: string;
  /** LINK_SIGNING_SECRET_ARN: this suite's link signing key secret, which the API's role may read. */
  readonly linkSigningSecretArn: string;
}

/** Creates this suite's own tables, queues, bucket and link signing key. */
export async function provisionTestPlatform(): Promise<TestPlatform> {
  const { aws, names, queueUrls, linkSigningSecretArn } = await provisionTestResources();
  return {
    aws,
    names,
    exportQueueUrl: queueUrls.exportQueueUrl,
    exportQueueArn: queueUrls.exportQueueArn,
    exportDlqArn: queueUrls.exportDlqArn,
    webhookQueueUrl: queueUrls.webhookQueueUrl,
    databaseUrl: testDatabaseServerUrl(),
    linkSigningSecretArn,
  };
}

/** The stand-in checks only the shape of the role ARN; in AWS it is the role Terraform creates for the Scheduler. */
export const TEST_SCHEDULER_ROLE_ARN = LOCAL_SCHEDULER_ROLE_ARN;

/** The environment a deployment would give the API for `platform`. */
export function apiEnvironment(
  platform: TestPlatform,
  keys: { privateKey: string; publicKey: string },
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    AWS_REGION: platform.aws.region,
    // The API's own keys: the IAM gate evaluates its calls against the API task role's policies.
    ...awsKeyEnvironment('api'),
    AWS_ENDPOINT_URL_DYNAMODB: platform.aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: platform.aws.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: platform.aws.endpoints.s3,
    // Through the IAM gate like the other endpoints: the API's role may read the link signing key.
    AWS_ENDPOINT_URL_SECRETS_MANAGER: platform.aws.endpoints.secretsManager,
    // The global setup's real-clock Scheduler stand-in; suites that inject faults or move the clock start their own.
    AWS_ENDPOINT_URL_SCHEDULER: platform.aws.endpoints.scheduler,
    SCHEDULES_TABLE: platform.names.tables.exportSchedules,
    SCHEDULER_GROUP_NAME: platform.names.scheduleGroup,
    SCHEDULER_ROLE_ARN: TEST_SCHEDULER_ROLE_ARN,
    EXPORT_QUEUE_ARN: platform.exportQueueArn,
    EXPORT_DLQ_ARN: platform.exportDlqArn,
    USERS_TABLE: platform.names.tables.users,
    JOBS_TABLE: platform.names.tables.exportJobs,
    GUARDS_TABLE: platform.names.tables.exportGuards,
    REFRESH_TOKENS_TABLE: platform.names.tables.refreshTokens,
    LOGIN_ATTEMPTS_TABLE: platform.names.tables.loginAttempts,
    EXPORT_QUEUE_URL: platform.exportQueueUrl,
    WEBHOOKS_TABLE: platform.names.tables.webhooks,
    WEBHOOK_QUEUE_URL: platform.webhookQueueUrl,
    EXPORT_BUCKET: platform.names.buckets.exportFiles,
    DATABASE_URL: platform.databaseUrl,
    LINK_SIGNING_SECRET_ARN: platform.linkSigningSecretArn,
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    JWT_KEY_ID: 'test-key',
    JWT_ISSUER: 'https://api.memberships.test',
    JWT_AUDIENCE: 'memberships-api-test',
    // Every suite logs in from 127.0.0.1 many times a minute; login-limits.test.ts checks the limit itself.
    LOGIN_RATE_LIMIT: '10000',
    ...overrides,
  };
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly config: ApiConfig;
  readonly platform: TestPlatform;
  readonly keys: { privateKey: string; publicKey: string };
  readonly clock: TestClock;
  /** Base URL of the app, listening on 127.0.0.1. */
  readonly baseUrl: string;
  /**
   * The test's own clients, with the operator's keys (the jest global setup's): for looking at and
   * arranging state behind the API's back. The app's clients (`app.aws`) sign as the API, whose
   * role the IAM gate holds them to.
   */
  readonly harness: { readonly dynamodb: DynamoDBClient; readonly sqs: SQSClient; readonly s3: S3Client };
  /** An HTTP request to the app. */
  request(options: RequestOptions): Promise<HttpResponse>;
  createUser(options?: {
    scopes?: readonly Scope[];
    email?: string;
    password?: string;
    profile?: Record<string, unknown>;
  }): Promise<CreatedUser>;
  /** Logs in through the API and returns the access token. */
  login(user: { email: string; password: string }): Promise<string>;
  /** A new user, logged in through the API. */
  member(): Promise<Member>;
  /** Logs in through the API and returns the whole token response. */
  loginForTokens(user: { email: string; password: string }): Promise<TokenSet>;
  close(): Promise<void>;
}

/** A user and the access token it logged in with. */
export interface Member {
  readonly user: CreatedUser;
  readonly token: string;
}

export interface TestAppOptions {
  /** Share another suite app's tables, queues and bucket; default: fresh ones. */
  readonly platform?: TestPlatform;
  /** Variables over the default test environment (e.g. lower limits). */
  readonly env?: Record<string, string>;
  readonly keys?: { privateKey: string; publicKey: string };
  /** Observes the login's password checks (delegate to the real one). */
  readonly verifyPassword?: PasswordVerifier;
}

export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const platform = options.platform ?? (await provisionTestPlatform());
  const keys = options.keys ?? generateSigningKeys();
  const config = loadConfig(apiEnvironment(platform, keys, options.env));
  const clock = new TestClock();
  // Swagger UI cannot load inside Jest without --experimental-vm-modules (routes/docs); docs.test.ts checks it on the built server.
  const app = buildApp(config, {
    now: clock.now,
    swaggerUi: false,
    ...(options.verifyPassword ? { verifyPassword: options.verifyPassword } : {}),
  });
  const baseUrl = await listenOnLoopback(app);
  const harness = {
    dynamodb: new DynamoDBClient(clientOptions(platform.aws, 'dynamodb')),
    sqs: new SQSClient(clientOptions(platform.aws, 'sqs')),
    s3: new S3Client(clientOptions(platform.aws, 's3')),
  };
  return {
    app,
    config,
    platform,
    keys,
    clock,
    baseUrl,
    harness,
    request: (options) => request(baseUrl, options),
    createUser: (user = {}) => createUser({ aws: platform.aws, table: platform.names.tables.users, ...user }),
    async login(user) {
      return (await loginForTokens(baseUrl, user)).access_token;
    },
    loginForTokens: (user) => loginForTokens(baseUrl, user),
    async member() {
      const user = await createUser({ aws: platform.aws, table: platform.names.tables.users });
      return { user, token: (await loginForTokens(baseUrl, user)).access_token };
    },
    async close() {
      await app.close();
      for (const client of Object.values(harness)) client.destroy();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function loginForTokens(baseUrl: string, user: { email: string; password: string }): Promise<TokenSet> {
  const response = await request(baseUrl, {
    method: 'POST',
    url: '/v1/auth/token',
    payload: { email: user.email, password: user.password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json() as TokenSet;
}
