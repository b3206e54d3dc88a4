/**
 * The database's first day and its rotations, the way ECS runs them: the
 * built entry point (dist/migrate.js) as a child process against an empty
 * PostgreSQL database, with the Secrets Manager stand-in holding the master
 * secret and the (empty) login secrets Terraform creates; then the built
 * worker (dist/main.js) exporting as its least-privilege role, through a
 * password rotation (`migrate --rotate`) while it runs. `npm test` builds
 * before running jest.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isFinal } from '@memberships/core/contract';
import { parseDatabaseSecret } from '@memberships/core/postgres';
import {
  awsKeyEnvironment,
  localClientConfig,
  queryRows,
  seedMemberships,
  spawnService,
  testDatabaseServerUrl,
  withDatabase,
  withUser,
  type CreatedUser,
  type RunningService,
} from '@memberships/local-platform';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(180_000);

const MIGRATE = path.resolve(__dirname, '..', 'dist', 'migrate.js');
const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');

interface MigrateRun {
  readonly code: number | null;
  readonly logs: Record<string, unknown>[];
  readonly output: string;
}

/** Runs dist/migrate.js with exactly `env` (plus PATH), as the ECS task would, and collects its JSON log lines. */
function runMigrate(env: Record<string, string>, args: string[] = []): Promise<MigrateRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MIGRATE, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const logs = output.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      resolve({ code, logs, output });
    });
  });
}

const asAdmin = queryRows;

describe('migrate entry point, then the worker as its role through a rotation', () => {
  const serverUrl = testDatabaseServerUrl();
  const suffix = randomBytes(6).toString('hex');
  const databaseName = `migrate_${suffix}`;
  const masterUrl = withDatabase(serverUrl, databaseName);
  const roles = { api: `${databaseName}_api`, worker: `${databaseName}_worker` };
  // `test-<8 hex>-…`: the local form of the names infra/terraform gives these secrets (the IAM gate maps them).
  const secretPrefix = `test-${suffix.slice(0, 8)}`;
  let env: WorkerTestEnvironment;
  let secrets: SecretsManagerClient;
  let secretArns: { master: string; api: string; worker: string };
  let migrateEnv: Record<string, string>;
  let user: CreatedUser;
  let rows = 0;
  const services: RunningService[] = [];

  const workerSecret = async (stage?: string) =>
    parseDatabaseSecret(
      (await secrets.send(new GetSecretValueCommand({ SecretId: secretArns.worker, VersionStage: stage }))).SecretString,
      'worker',
    );
  const roleUrl = (role: string, password: string) => {
    const url = new URL(withUser(masterUrl, role));
    url.password = encodeURIComponent(password);
    return url.toString();
  };
  /** The worker role's backends: when each logged in. */
  const workerSessions = () =>
    asAdmin<{ pid: number; started: Date }>(
      serverUrl,
      'SELECT pid, backend_start AS started FROM pg_stat_activity WHERE usename = $1 AND datname = $2',
      [roles.worker, databaseName],
    );

  async function exportSucceeds(): Promise<void> {
    const { job } = await env.requestExport(user.id);
    const final = await env.waitForJob(job.id, (candidate) => isFinal(candidate.state), 60_000);
    // One attempt: a stale password is re-read and retried within the connection attempt, not by failing the job.
    expect({ state: final.state, error: final.error, rows: final.progress.rowsExported, attempts: final.attempts }).toEqual({
      state: 'succeeded',
      error: undefined,
      rows,
      attempts: 1,
    });
  }

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create();
    user = await env.createUser();
    secrets = new SecretsManagerClient(localClientConfig(env.aws, 'secretsManager'));
    // What RDS and Terraform provide: an empty database, the master secret, the login secrets without a value.
    await asAdmin(serverUrl, `CREATE DATABASE ${databaseName}`);
    const server = new URL(serverUrl);
    const create = async (name: string, value?: object) =>
      (await secrets.send(new CreateSecretCommand({ Name: name, ...(value ? { SecretString: JSON.stringify(value) } : {}) }))).ARN!;
    secretArns = {
      master: await create(`${secretPrefix}-postgres-master`, {
        username: decodeURIComponent(server.username),
        password: decodeURIComponent(server.password),
      }),
      api: await create(`${secretPrefix}-database-api`),
      worker: await create(`${secretPrefix}-database-worker`),
    };
    const noCredentials = new URL(masterUrl);
    noCredentials.username = '';
    noCredentials.password = '';
    migrateEnv = {
      AWS_REGION: env.aws.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: env.aws.endpoints.secretsManager!,
      ...awsKeyEnvironment('migrate'),
      // As in the task definition: no password in the URL, the master secret supplies user and password.
      DATABASE_URL: noCredentials.toString(),
      DATABASE_MASTER_SECRET_ARN: secretArns.master,
      DATABASE_API_SECRET_ARN: secretArns.api,
      DATABASE_WORKER_SECRET_ARN: secretArns.worker,
      DATABASE_API_ROLE: roles.api,
      DATABASE_WORKER_ROLE: roles.worker,
    };
  });

  afterAll(async () => {
    await Promise.all(services.splice(0).map((service) => (service.exitStatus ? undefined : service.kill())));
    secrets?.destroy();
    await env?.close();
    await asAdmin(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => undefined);
    for (const role of Object.values(roles)) await asAdmin(serverUrl, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  it('first deploy: the worker starts before migrate has run (no schema, no password yet), migrate then sets everything up, and the worker exports as its role', async () => {
    const worker = await spawnService(
      MAIN,
      env.env({
        DATABASE_URL: withUser(masterUrl, roles.worker),
        DATABASE_SECRET_ARN: secretArns.worker,
        RECEIVE_WAIT_SECONDS: '1',
        LOG_LEVEL: 'info',
      }),
      { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
    );
    services.push(worker);

    const run = await runMigrate(migrateEnv);
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    expect(run.logs.find((line) => line.msg === 'migrate finished')).toMatchObject({
      service: 'migrate',
      migrations: ['CreateMemberships1764000000000', 'CreateServiceRoles1764100000000', 'FiniteValues1764200000000'],
      passwords: { api: 'generated', worker: 'generated' },
    });
    // The passwords are in the secrets only, never in the task's log.
    const password = (await workerSecret()).password;
    expect(run.output).not.toContain(password);
    expect(await workerSecret()).toEqual({ username: roles.worker, password });

    rows = (await seedMemberships(masterUrl, user.id, 25, { tricky: true })).inserted;
    await exportSucceeds();
    expect(worker.exitStatus).toBeUndefined();
    expect(await workerSessions()).not.toEqual([]);
  });

  it('running migrate again changes nothing: no migration, the passwords in the secrets kept', async () => {
    const before = await workerSecret();
    const run = await runMigrate(migrateEnv);
    expect(run.code).toBe(0);
    expect(run.logs.find((line) => line.msg === 'migrate finished')).toMatchObject({
      migrations: [],
      passwords: { api: 'kept', worker: 'kept' },
    });
    expect(await workerSecret()).toEqual(before);
  });

  it('rotation: `migrate --rotate` while the worker runs; the old password stops working, new connections use the new one, exports keep succeeding', async () => {
    const worker = services[0]!;
    const old = await workerSecret();
    const rotatedAt = new Date();
    const run = await runMigrate(migrateEnv, ['--rotate']);
    expect(run.code).toBe(0);
    expect(run.logs.find((line) => line.msg === 'migrate finished')).toMatchObject({
      passwords: { api: 'generated', worker: 'generated' },
    });
    const current = await workerSecret();
    expect(current.password).not.toBe(old.password);
    expect(await workerSecret('AWSPREVIOUS')).toEqual(old);
    await expect(asAdmin(roleUrl(roles.worker, old.password), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });

    // Sessions opened before the rotation stay logged in (PostgreSQL checks passwords only at login):
    // end them, so the next export has to log in again, with the worker's cached password now stale.
    await asAdmin(serverUrl, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND datname = $2', [
      roles.worker,
      databaseName,
    ]);
    await exportSucceeds();
    await exportSucceeds();

    const sessions = await workerSessions();
    expect(sessions.length).toBeGreaterThan(0);
    for (const session of sessions) expect(session.started.getTime()).toBeGreaterThanOrEqual(rotatedAt.getTime() - 1000);
    // The same process throughout: no restart picked the new password up.
    expect(worker.exitStatus).toBeUndefined();
    expect(worker.jsonLogs().filter((line) => line.msg === 'worker started')).toHaveLength(1);
  });

  it('the roles migrate created may do only what their service needs: PostgreSQL refuses the rest', async () => {
    const workerUrl = roleUrl(roles.worker, (await workerSecret()).password);
    const api = parseDatabaseSecret((await secrets.send(new GetSecretValueCommand({ SecretId: secretArns.api }))).SecretString, 'api');
    const apiUrl = roleUrl(roles.api, api.password);
    const denied = { code: '42501' }; // insufficient_privilege

    await expect(asAdmin(workerUrl, 'SELECT count(*)::int AS count FROM memberships')).resolves.toEqual([{ count: rows }]);
    for (const sql of [
      "INSERT INTO memberships (user_id, club_name, plan, status, started_on, price, currency) VALUES (gen_random_uuid(), 'X', 'p', 'active', '2024-01-01', 1, 'EUR')",
      'DELETE FROM memberships',
      'SELECT name FROM typeorm_migrations',
      'CREATE TABLE public.intruder (id int)',
      `ALTER ROLE ${roles.api} PASSWORD 'taken-over'`,
    ]) {
      await expect(asAdmin(workerUrl, sql)).rejects.toMatchObject(denied);
    }
    await expect(asAdmin(apiUrl, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
    await expect(asAdmin(apiUrl, 'SELECT count(*) FROM memberships')).rejects.toMatchObject(denied);
  });

  it('fails with a clear JSON error and a non-zero exit code when it cannot do its job', async () => {
    const missing = await runMigrate({ PATH: process.env.PATH ?? '' });
    expect(missing.code).toBe(1);
    expect(missing.logs.find((line) => line.msg === 'migrate failed')).toMatchObject({
      level: 60,
      service: 'migrate',
      err: expect.objectContaining({
        message: expect.stringMatching(/DATABASE_URL is required[\s\S]*DATABASE_API_SECRET_ARN is required/),
      }),
    });

    const unreachable = await runMigrate({
      ...migrateEnv,
      DATABASE_URL: 'postgres://127.0.0.1:1/nothing',
      DATABASE_CONNECT_TIMEOUT_SECONDS: '2',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.logs.find((line) => line.msg === 'migrate failed')).toBeDefined();

    const unknown = await runMigrate(migrateEnv, ['--rotat']);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('usage: node services/worker/dist/migrate.js [--rotate]');
  });
});
