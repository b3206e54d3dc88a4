import type { ChildProcess } from 'node:child_process';
import { tableEnvironment, type ResourceNames } from '@memberships/core/contract';
import type { AwsClientSettings } from '@memberships/core/config';
import { localCredentials, type LocalIdentity } from './iam-gate';
import { ProcessStartError } from './errors';
import { childEnv, describeExit, ManagedProcess, type ExitInfo, type OutputStream } from './managed-process';
import { builtFile } from './package-paths';
import type { ProvisionedQueues } from './provision';

/**
 * The stand-in checks the role ARN's shape only; in AWS this is the role infra/terraform creates for
 * the schedule group (`<prefix>-scheduler`), which the IAM gate maps this name to for iam:PassRole.
 */
export const LOCAL_SCHEDULER_ROLE_ARN = 'arn:aws:iam::000000000000:role/local-scheduler';

export interface ServiceEnvOptions {
  /** Whose keys the process signs AWS requests with; the IAM gate evaluates them against that role's policies. */
  readonly identity: LocalIdentity;
  readonly aws: AwsClientSettings;
  readonly names: ResourceNames;
  readonly queueUrls: ProvisionedQueues;
  readonly databaseUrl: string;
  /** DATABASE_SECRET_ARN: the service role's secret, when databaseUrl carries no password. */
  readonly databaseSecretArn?: string;
  /** LINK_SIGNING_SECRET_ARN: the link signing key both services read (AWSCURRENT and AWSPREVIOUS) at run time. */
  readonly linkSigningSecretArn?: string;
  /** Default `info`. */
  readonly logLevel?: string;
  /** Service-specific variables (PORT, JWT_*, SES_FROM_ADDRESS, ...); they win over the common ones. */
  readonly extra?: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment the API and the worker read in their config.ts, for a
 * local or test deployment: AWS region, emulator endpoints and local
 * credentials, table names (core's tableEnvironment), queue URLs, bucket,
 * the event bus, DATABASE_URL, the secrets' ARNs, LOG_LEVEL, plus `extra`
 * (both services get the same set; each reads the variables it knows, and
 * the IAM gate holds it to its role whatever it is given). Variables whose value is undefined
 * are left out.
 */
export function serviceEnv(options: ServiceEnvOptions): Record<string, string> {
  const { aws, names, queueUrls } = options;
  const usesEmulators = Object.values(aws.endpoints).some(Boolean);
  const env: Record<string, string | undefined> = {
    AWS_REGION: aws.region,
    ...(usesEmulators ? awsKeyEnvironment(options.identity) : {}),
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_SESV2: aws.endpoints.ses,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.endpoints.secretsManager,
    AWS_ENDPOINT_URL_EVENTBRIDGE: aws.endpoints.events,
    ...tableEnvironment(names),
    EXPORT_QUEUE_URL: queueUrls.exportQueueUrl,
    EXPORT_DLQ_URL: queueUrls.exportDlqUrl,
    EXPORT_QUEUE_ARN: queueUrls.exportQueueArn,
    EXPORT_DLQ_ARN: queueUrls.exportDlqArn,
    WEBHOOK_QUEUE_URL: queueUrls.webhookQueueUrl,
    WEBHOOK_DLQ_URL: queueUrls.webhookDlqUrl,
    EVENT_BUS_NAME: names.eventBus,
    // Local receivers listen on loopback over http, which the address policy refuses in AWS; not against real AWS.
    WEBHOOK_ALLOW_LOOPBACK_HTTP: usesEmulators ? 'true' : undefined,
    AWS_ENDPOINT_URL_SCHEDULER: aws.endpoints.scheduler,
    SCHEDULER_GROUP_NAME: names.scheduleGroup,
    SCHEDULER_ROLE_ARN: LOCAL_SCHEDULER_ROLE_ARN,
    EXPORT_BUCKET: names.buckets.exportFiles,
    DATABASE_URL: options.databaseUrl,
    DATABASE_SECRET_ARN: options.databaseSecretArn,
    LINK_SIGNING_SECRET_ARN: options.linkSigningSecretArn,
    LOG_LEVEL: options.logLevel ?? 'info',
    ...options.extra,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of a local identity, for a service's environment. */
export function awsKeyEnvironment(identity: LocalIdentity): { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } {
  const keys = localCredentials(identity);
  return { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey };
}

export interface SpawnServiceOptions {
  /** Used in errors and as the log prefix, e.g. `api`, `worker`. */
  readonly name: string;
  /** Ready once a line matches (e.g. the worker's `worker started` log line). */
  readonly readyLine?: (line: string) => boolean;
  /** Ready once a GET of this URL answers 2xx (e.g. the API's /healthz). */
  readonly readyUrl?: string;
  /** How long to wait for readiness. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Called for every line the service prints (e.g. to forward it with a prefix). */
  readonly onLine?: (line: string, stream: OutputStream) => void;
  readonly cwd?: string;
  /** Lines kept in `logs`, oldest dropped first (long-running processes). Default: all. */
  readonly keepLines?: number;
}

export interface RunningService {
  readonly name: string;
  readonly process: ChildProcess;
  /** Every stdout/stderr line so far, in arrival order; keeps growing. */
  readonly logs: string[];
  /** Resolves when the service has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Set once it has exited. */
  readonly exitStatus: ExitInfo | undefined;
  /** Lines of `logs` that are JSON objects (pino output), parsed. */
  jsonLogs(): Record<string, unknown>[];
  /**
   * First line matching `predicate`: among lines already printed (from
   * `fromLine`, default 0), else the next ones. Rejects on timeout (default
   * 30 s) or when the service exits first.
   */
  waitForLine(predicate: (line: string) => boolean, timeoutMs?: number, options?: { fromLine?: number }): Promise<string>;
  /** Sends `signal` (default SIGTERM) and waits for the exit; after `timeoutMs` (default 15 s) kills it and rejects. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL (a crash, as far as the service can tell); resolves when it is gone. */
  kill(): Promise<ExitInfo>;
}

/**
 * Runs a built service entry (e.g. services/worker/dist/main.js) with Node in
 * a child process with exactly `env` (plus PATH/HOME/locale), keeps its
 * output, and waits until it is ready. The child exits when this process
 * dies (see parent-watch.ts), so a crashed test run leaves no service behind.
 */
export async function spawnService(
  entryJsPath: string,
  env: Readonly<Record<string, string>>,
  options: SpawnServiceOptions,
): Promise<RunningService> {
  const child = new ManagedProcess({
    name: options.name,
    command: process.execPath,
    args: ['--enable-source-maps', '--require', builtFile('parent-watch.js'), entryJsPath],
    env: childEnv(env),
    cwd: options.cwd,
    parentWatch: 'fd3',
    onLine: options.onLine,
    keepLines: options.keepLines,
  });
  const service: RunningService = {
    name: options.name,
    process: child.child,
    logs: child.lines,
    exited: child.exited,
    get exitStatus() {
      return child.exitStatus;
    },
    jsonLogs: () => child.lines.flatMap(parseJsonLine),
    waitForLine: (predicate, timeoutMs, lineOptions) => child.waitForLine(predicate, timeoutMs, lineOptions),
    stop: (signal, timeoutMs) => child.stop(signal, timeoutMs),
    kill: () => child.kill(),
  };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  try {
    await Promise.all([
      options.readyLine ? child.waitForLine(options.readyLine, timeoutMs) : undefined,
      options.readyUrl ? waitForUrl(child, options.readyUrl, timeoutMs) : undefined,
    ]);
  } catch (error) {
    await child.kill();
    if (error instanceof ProcessStartError) throw error;
    throw new ProcessStartError(options.name, (error as Error).message.split('\n')[0] ?? 'not ready', child.tail());
  }
  return service;
}

async function waitForUrl(child: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitStatus)
      throw new ProcessStartError(child.name, `it exited (${describeExit(child.exitStatus)}) before ${url} answered`, child.tail());
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      lastProblem = `${url} answered ${response.status}`;
    } catch (error) {
      lastProblem = `${url}: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new ProcessStartError(child.name, `not ready after ${timeoutMs} ms (${lastProblem})`, child.tail());
}

function parseJsonLine(line: string): Record<string, unknown>[] {
  if (!line.startsWith('{')) return [];
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}
