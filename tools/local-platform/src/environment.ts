import { integer, readConfig, string, url, type AwsClientSettings } from '@memberships/core/config';
import { TestEnvironmentError } from './errors';

/**
 * Where the local platform reads `process.env` (the services have their own
 * config.ts); the test browser (testing/browser.ts) reads its two, CHROMIUM_PATH
 * and ARTEFACTS_DIR, from the environment it is handed. Variables, all optional:
 *
 * | variable | used by | default |
 * |---|---|---|
 * | DATABASE_URL | start, jest setup, tests | unset: an embedded PostgreSQL is started |
 * | DYNAMODB_PORT | start | 8000 (0: any free port) |
 * | FAUXQS_PORT | start (SQS + S3) | 4566 (0: any free port) |
 * | SES_PORT | start | 8005 (0: any free port) |
 * | SCHEDULER_PORT | start (EventBridge Scheduler stand-in) | 8010 (0: any free port) |
 * | EVENTBRIDGE_PORT | start (EventBridge stand-in, the bus of completion events) | 8015 (0: any free port) |
 * | IAM_GATE_PORT | start (the IAM gate every AWS call goes through) | 4510 (0: any free port) |
 * | POSTGRES_PORT | start (embedded PostgreSQL) | a free port chosen at run time |
 * | PORT | start (API) | 3000 (0: any free port) |
 * | LOG_LEVEL | start (passed to the services; debug also shows emulator output) | info |
 * | LOCAL_DATA_DIR | start (embedded PostgreSQL data, demo user state) | <repo>/.local |
 * | AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB/_SQS/_S3/_SESV2/_SCHEDULER/_SECRETS_MANAGER/_EVENTBRIDGE | tests (set by the jest global setup) | none |
 * | CHROMIUM_PATH | browser tests (testing/browser.ts) | /usr/bin/chromium (Debian's package) |
 * | ARTEFACTS_DIR | browser tests: where screenshots go (never inside the repository) | <os.tmpdir()>/memberships-artefacts/<run id> |
 */

export interface StartSettings {
  readonly databaseUrl: string | undefined;
  readonly ports: {
    readonly dynamodb: number;
    readonly fauxqs: number;
    readonly ses: number;
    readonly scheduler: number;
    readonly eventBridge: number;
    readonly iamGate: number;
    readonly postgres: number | undefined;
    readonly api: number;
  };
  readonly logLevel: string;
  /** Undefined: `<repo>/.local`. */
  readonly localDataDir: string | undefined;
}

const port = (options: { readonly default: number; readonly doc: string; readonly defaultDoc?: string }) =>
  integer({ ...options, min: 0, max: 65_535 });

/** The variables of `npm start`, described once (the table above and the README's say the same). */
export const startVariables = {
  POSTGRES_PORT: port({ default: 0, defaultDoc: 'a free port', doc: 'embedded PostgreSQL; 0: a free port chosen at run time' }),
  DATABASE_URL: url({
    optional: true,
    defaultDoc: 'embedded server',
    doc: 'a PostgreSQL server to use; unset: an embedded one is started',
  }),
  DYNAMODB_PORT: port({ default: 8000, doc: 'DynamoDB Local' }),
  FAUXQS_PORT: port({ default: 4566, doc: 'fauxqs (SQS + S3)' }),
  SES_PORT: port({ default: 8005, doc: 'the SES emulator' }),
  SCHEDULER_PORT: port({ default: 8010, doc: 'the EventBridge Scheduler stand-in' }),
  EVENTBRIDGE_PORT: port({ default: 8015, doc: 'the EventBridge stand-in (the bus of completion events)' }),
  IAM_GATE_PORT: port({ default: 4510, doc: 'the IAM gate every AWS call goes through' }),
  PORT: port({ default: 3000, doc: 'the API' }),
  // Passed on to the services, which check it.
  LOG_LEVEL: string({ default: 'info', doc: 'level of the services; debug also shows emulator output' }),
  LOCAL_DATA_DIR: string({ optional: true, defaultDoc: '<repo>/.local', doc: 'embedded PostgreSQL data, demo user state' }),
};

/** Settings of `npm start`. */
export function startSettings(env: NodeJS.ProcessEnv = process.env): StartSettings {
  const values = readConfig(startVariables, env);
  return Object.freeze({
    databaseUrl: values.DATABASE_URL,
    ports: {
      dynamodb: values.DYNAMODB_PORT,
      fauxqs: values.FAUXQS_PORT,
      ses: values.SES_PORT,
      scheduler: values.SCHEDULER_PORT,
      eventBridge: values.EVENTBRIDGE_PORT,
      iamGate: values.IAM_GATE_PORT,
      postgres: values.POSTGRES_PORT === 0 ? undefined : values.POSTGRES_PORT,
      api: values.PORT,
    },
    logLevel: values.LOG_LEVEL,
    localDataDir: values.LOCAL_DATA_DIR,
  });
}

/** `DATABASE_URL` when set: the PostgreSQL server to use instead of an embedded one. */
export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DATABASE_URL?.trim() || undefined;
}

/**
 * The AWS settings the jest global setup handed to the test workers. Throws a
 * clear error when a test runs without it.
 */
export function testAwsSettings(env: NodeJS.ProcessEnv = process.env): AwsClientSettings {
  const required = [
    'AWS_REGION',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_SESV2',
  ] as const;
  const missing = required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new TestEnvironmentError(missing);
  const value = (name: (typeof required)[number]) => env[name]!.trim();
  return {
    region: value('AWS_REGION'),
    endpoints: {
      dynamodb: value('AWS_ENDPOINT_URL_DYNAMODB'),
      sqs: value('AWS_ENDPOINT_URL_SQS'),
      s3: value('AWS_ENDPOINT_URL_S3'),
      ses: value('AWS_ENDPOINT_URL_SESV2'),
      scheduler: env.AWS_ENDPOINT_URL_SCHEDULER?.trim() || undefined,
      secretsManager: env.AWS_ENDPOINT_URL_SECRETS_MANAGER?.trim() || undefined,
      events: env.AWS_ENDPOINT_URL_EVENTBRIDGE?.trim() || undefined,
    },
  };
}

/** The PostgreSQL server URL the jest global setup handed to the test workers. */
export function testDatabaseServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = databaseUrlFromEnv(env);
  if (!url) throw new TestEnvironmentError(['DATABASE_URL']);
  return url;
}

/** What any child process needs to run at all; see childEnv() in managed-process.ts. */
export function basicProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'SystemRoot']) {
    const value = env[name];
    if (value !== undefined) base[name] = value;
  }
  return base;
}
