import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createDataSource, RotatingPassword } from '@memberships/core/postgres';
import { databaseUrl, RDS_CA_BUNDLE_PATH } from './database';

/**
 * The credentials contract between the task definitions and the code: the
 * tasks get a DATABASE_URL without a password; the services take theirs from
 * their role's secret (DATABASE_SECRET_ARN, core's RotatingPassword), and
 * without a secret node-postgres falls back to PGPASSWORD (local use).
 * Checked against the real PostgreSQL of the test platform (password
 * authentication, scram-sha-256) through core's createDataSource, the path
 * the services use.
 */
const server = new URL(requiredEnv('DATABASE_URL'));
const local = {
  host: server.hostname,
  port: Number(server.port),
  user: decodeURIComponent(server.username),
  database: server.pathname.slice(1) || 'postgres',
};
const password = decodeURIComponent(server.password);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through the root jest config (its global setup starts PostgreSQL)`);
  return value;
}

async function connect(url: string, pgPassword: string | undefined): Promise<unknown> {
  const saved = process.env.PGPASSWORD;
  if (pgPassword === undefined) delete process.env.PGPASSWORD;
  else process.env.PGPASSWORD = pgPassword;
  const dataSource = createDataSource({ url, poolSize: 1, connectTimeoutMs: 5000 });
  try {
    await dataSource.initialize();
    return await dataSource.query('SELECT current_user AS "user"');
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
  }
}

describe('DATABASE_URL of the task definitions', () => {
  it('names host, port, database and user, verifies TLS against the image CA bundle, and carries no password', () => {
    const url = new URL(databaseUrl({ host: 'db.internal' }));
    expect(url.protocol).toBe('postgres:');
    expect(url.username).toBe('memberships');
    expect(url.password).toBe('');
    expect(`${url.hostname}:${url.port}${url.pathname}`).toBe('db.internal:5432/memberships');
    expect(Object.fromEntries(url.searchParams)).toEqual({ sslmode: 'verify-full', sslrootcert: RDS_CA_BUNDLE_PATH });
  });

  it('connects with the password from PGPASSWORD, and is refused without it', async () => {
    // The local server speaks no TLS: the same URL without its TLS parameters.
    const withoutTls = databaseUrl(local).split('?')[0]!;
    await expect(connect(withoutTls, password)).resolves.toEqual([{ user: local.user }]);
    await expect(connect(withoutTls, 'not-the-password')).rejects.toThrow(/password authentication failed/);
    await expect(connect(withoutTls, undefined)).rejects.toThrow(/password/);
  });

  it('names the service role as the user of a service URL', () => {
    expect(new URL(databaseUrl({ host: 'db.internal', user: 'memberships_worker' })).username).toBe('memberships_worker');
  });

  it('connects with the password a RotatingPassword fetches (DATABASE_SECRET_ARN), even with a wrong PGPASSWORD around', async () => {
    const withoutTls = databaseUrl(local).split('?')[0]!;
    const saved = process.env.PGPASSWORD;
    process.env.PGPASSWORD = 'not-the-password';
    const rotatingPassword = new RotatingPassword({ username: local.user, fetch: async () => ({ username: local.user, password }) });
    const dataSource = createDataSource({ url: withoutTls, poolSize: 1, connectTimeoutMs: 5000, rotatingPassword });
    try {
      await dataSource.initialize();
      await expect(dataSource.query('SELECT current_user AS "user"')).resolves.toEqual([{ user: local.user }]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (saved === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = saved;
    }
  });

  it('never falls back to plaintext: a server without TLS is refused', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rds-ca-'));
    try {
      // Any PEM will do: the connection must fail before a certificate is even presented.
      const bundle = path.join(dir, 'bundle.pem');
      await writeFile(bundle, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      await expect(connect(databaseUrl({ ...local, caBundlePath: bundle }), password)).rejects.toThrow(/does not support SSL/);
      // The same with the password from a secret: the URL's TLS settings still apply.
      const rotatingPassword = new RotatingPassword({ username: local.user, fetch: async () => ({ username: local.user, password }) });
      const fromSecret = createDataSource({
        url: databaseUrl({ ...local, caBundlePath: bundle }),
        poolSize: 1,
        connectTimeoutMs: 5000,
        rotatingPassword,
      });
      await expect(fromSecret.initialize()).rejects.toThrow(/does not support SSL/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
