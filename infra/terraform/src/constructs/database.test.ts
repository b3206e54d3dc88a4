import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createDataSource } from '@memberships/core';
import { databaseUrl, RDS_CA_BUNDLE_PATH } from './database';

/**
 * The credentials contract between the task definitions and the code: the
 * tasks get a DATABASE_URL without a password plus PGPASSWORD from the
 * RDS-managed secret. Checked against the real PostgreSQL of the test
 * platform (password authentication, scram-sha-256) through core's
 * createDataSource, the path the services use.
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

  it('never falls back to plaintext: a server without TLS is refused', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'rds-ca-'));
    try {
      // Any PEM will do: the connection must fail before a certificate is even presented.
      const bundle = path.join(dir, 'bundle.pem');
      await writeFile(bundle, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      await expect(connect(databaseUrl({ ...local, caBundlePath: bundle }), password)).rejects.toThrow(/does not support SSL/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
