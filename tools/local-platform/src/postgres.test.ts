import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readDatabaseSecret } from '@memberships/core/postgres';
import { localClientConfig } from './aws-clients';
import { testAwsSettings, testDatabaseServerUrl } from './environment';
import { LocalPlatformError } from './errors';
import { findFreePort } from './free-port';
import { createTestDatabase, migrateLocalDatabase, queryRows, startPostgres, withDatabase, withUser, type TestDatabase } from './postgres';

const query = queryRows;

describe('startPostgres', () => {
  it('starts an embedded PostgreSQL 18 on 127.0.0.1 only, UTF-8, and removes its temporary data on stop', async () => {
    const postgres = await startPostgres({ url: null });
    try {
      expect(postgres.external).toBe(false);
      expect(new URL(postgres.url).hostname).toBe('127.0.0.1');
      const [row] = await query<{ version: string; listen: string; encoding: string; uuid: string }>(
        postgres.url,
        "SELECT current_setting('server_version_num')::int / 10000 AS version, current_setting('listen_addresses') AS listen, current_setting('server_encoding') AS encoding, gen_random_uuid()::text AS uuid",
      );
      expect(row).toMatchObject({ version: 18, listen: '127.0.0.1', encoding: 'UTF8', uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(existsSync(postgres.dataDir!)).toBe(true);
    } finally {
      await postgres.stop();
    }
    expect(existsSync(postgres.dataDir!)).toBe(false);
    await expect(query(postgres.url, 'SELECT 1')).rejects.toThrow();
  });

  it('keeps data in a given data directory across restarts', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'local-platform-test-'));
    // PostgreSQL may run as another OS user (when the tests run as root): it must be able to enter the parent.
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'pg');
    try {
      const first = await startPostgres({ url: null, dataDir });
      try {
        await query(first.url, 'CREATE TABLE kept (value text)');
        await query(first.url, "INSERT INTO kept VALUES ('still here')");
      } finally {
        await first.stop();
      }
      const second = await startPostgres({ url: null, dataDir });
      try {
        await expect(query(second.url, 'SELECT value FROM kept')).resolves.toEqual([{ value: 'still here' }]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('uses a given server instead of starting one, and leaves it running on stop', async () => {
    const serverUrl = testDatabaseServerUrl();
    const postgres = await startPostgres({ url: serverUrl });
    expect(postgres).toMatchObject({ url: serverUrl, external: true });
    await postgres.stop();
    await expect(query(serverUrl, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('says clearly when the given server cannot be reached', async () => {
    const closedPort = await findFreePort();
    const attempt = startPostgres({ url: `postgres://postgres:secret@127.0.0.1:${closedPort}/postgres` });
    await expect(attempt).rejects.toThrow(LocalPlatformError);
    await expect(attempt).rejects.toMatchObject({ code: 'postgres_unreachable', message: expect.not.stringContaining('secret') });
  });
});

describe('createTestDatabase', () => {
  it('creates a fresh database migrated as the migrate task does, and drops it with its roles', async () => {
    const serverUrl = testDatabaseServerUrl();
    const database = await createTestDatabase();
    expect(database.url).toBe(withDatabase(serverUrl, database.name));
    const tables = await query<{ name: string }>(
      database.url,
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.map((table) => table.name)).toEqual(['memberships', 'typeorm_migrations']);
    expect(database.roles).toEqual({
      api: {
        role: `${database.name}_api`,
        secretArn: expect.stringMatching(/:secret:test-[0-9a-f]{8}-database-api-[A-Za-z0-9]{6}$/),
        url: withUser(database.url, `${database.name}_api`),
      },
      worker: {
        role: `${database.name}_worker`,
        secretArn: expect.stringMatching(/:secret:test-[0-9a-f]{8}-database-worker-[A-Za-z0-9]{6}$/),
        url: withUser(database.url, `${database.name}_worker`),
      },
    });
    const secretPrefix = /:secret:(test-[0-9a-f]{8})-/.exec(database.roles.api.secretArn)![1]!;
    const again = await migrateLocalDatabase(database.url, {
      aws: testAwsSettings(),
      roleNames: { api: database.roles.api.role, worker: database.roles.worker.role },
      secretPrefix,
    });
    expect(again.migrations).toEqual([]);
    expect(again.roles).toEqual(database.roles);

    await database.drop();
    await expect(query(serverUrl, 'SELECT 1 FROM pg_database WHERE datname = $1', [database.name])).resolves.toEqual([]);
    await expect(query(serverUrl, 'SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${database.name}%`])).resolves.toEqual([]);
  });

  it('gives every call its own database and its own roles', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      await query(
        a!.url,
        "INSERT INTO memberships (user_id, club_name, plan, status, started_on, price, currency) VALUES (gen_random_uuid(), 'A', 'p', 'active', '2024-01-01', 1, 'EUR')",
      );
      await expect(query(b!.url, 'SELECT count(*)::int AS count FROM memberships')).resolves.toEqual([{ count: 0 }]);
      expect(a!.roles.worker.role).not.toBe(b!.roles.worker.role);
      // PUBLIC's CONNECT is revoked: a role of one database cannot even log in to another.
      await expect(query(withDatabase(await roleUrl(a!, 'worker'), b!.name), 'SELECT 1')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await Promise.all([a!.drop(), b!.drop()]);
    }
  });

  describe('service roles (least privilege)', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
      await query(
        database.url,
        "INSERT INTO memberships (user_id, club_name, plan, status, started_on, price, currency) VALUES (gen_random_uuid(), 'A', 'p', 'active', '2024-01-01', 1, 'EUR')",
      );
    });
    afterAll(() => database?.drop());

    const denied = { code: '42501' }; // insufficient_privilege

    it('lets the worker read memberships and nothing else', async () => {
      const worker = await roleUrl(database, 'worker');
      await expect(query(worker, 'SELECT current_user AS user, count(*)::int AS count FROM memberships GROUP BY 1')).resolves.toEqual([
        { user: database.roles.worker.role, count: 1 },
      ]);
      for (const sql of [
        "INSERT INTO memberships (user_id, club_name, plan, status, started_on, price, currency) VALUES (gen_random_uuid(), 'B', 'p', 'active', '2024-01-01', 1, 'EUR')",
        "UPDATE memberships SET plan = 'x'",
        'DELETE FROM memberships',
        'TRUNCATE memberships',
        'SELECT * FROM typeorm_migrations',
        'CREATE TABLE public.intruder (id int)',
        'CREATE TEMP TABLE scratch (id int)',
      ]) {
        await expect(query(worker, sql)).rejects.toMatchObject(denied);
      }
    });

    it('lets the API connect for its readiness check and read no table', async () => {
      const api = await roleUrl(database, 'api');
      await expect(query(api, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
      for (const sql of [
        'SELECT count(*) FROM memberships',
        "UPDATE memberships SET plan = 'x'",
        'CREATE TABLE public.intruder (id int)',
      ]) {
        await expect(query(api, sql)).rejects.toMatchObject(denied);
      }
    });

    it('refuses a role without the password in its secret', async () => {
      const url = new URL(database.roles.worker.url);
      url.password = 'guessed';
      await expect(query(url.toString(), 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
    });
  });
});

/** The role's URL with the password its secret holds (read as the test harness). */
async function roleUrl(database: TestDatabase, service: 'api' | 'worker'): Promise<string> {
  const client = new SecretsManagerClient(localClientConfig(testAwsSettings(), 'secretsManager'));
  try {
    const secret = await readDatabaseSecret(client, database.roles[service].secretArn);
    expect(secret.username).toBe(database.roles[service].role);
    const url = new URL(database.roles[service].url);
    url.password = encodeURIComponent(secret.password);
    return url.toString();
  } finally {
    client.destroy();
  }
}
