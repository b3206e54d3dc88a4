import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from './data-source';
import {
  CredentialPool,
  DatabaseCredentialsError,
  INVALID_PASSWORD,
  parseDatabaseSecret,
  RotatingPassword,
  type DatabaseSecret,
} from './database-credentials';
import { scramSha256Verifier } from './migrate';

/**
 * Against the PostgreSQL server of the jest global setup (DATABASE_URL, a
 * superuser): a throwaway login role whose password the test changes the
 * way a rotation does.
 */
const serverUrl = (): string => {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (the jest global setup sets it)');
  return url;
};

async function asAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The server URL as `role`, without a password unless given. */
function roleUrl(role: string, password = ''): string {
  const url = new URL(serverUrl());
  url.username = role;
  url.password = password;
  return url.toString();
}

describe('database credentials that survive rotation', () => {
  const role = `creds_${randomBytes(5).toString('hex')}`;
  let secret: DatabaseSecret;
  let fetches = 0;
  const rotating = () =>
    new RotatingPassword({
      username: role,
      fetch: async () => {
        fetches++;
        return secret;
      },
    });
  const rotate = async (password: string) => {
    await asAdmin(`ALTER ROLE ${role} PASSWORD '${scramSha256Verifier(password)}'`);
    secret = { username: role, password };
  };

  beforeAll(async () => {
    await asAdmin(`CREATE ROLE ${role} LOGIN`);
    await rotate('first-password');
  });
  beforeEach(() => {
    fetches = 0;
  });
  afterAll(() => asAdmin(`DROP ROLE IF EXISTS ${role}`));

  it('logs in with the password of a SCRAM verifier set by ALTER ROLE', async () => {
    const client = new Client({ connectionString: roleUrl(role, 'first-password') });
    await client.connect();
    await expect(client.query('SELECT current_user AS user')).resolves.toMatchObject({ rows: [{ user: role }] });
    await client.end();
  });

  it('reads the secret once for many connections, and again after PostgreSQL refuses the cached password', async () => {
    const pool = new CredentialPool({
      connectionString: roleUrl(role),
      max: 1,
      idleTimeoutMillis: 1,
      rotatingPassword: rotating(),
      authenticationRetry: { baseDelayMs: 10 },
    });
    try {
      await pool.query('SELECT 1');
      await new Promise((resolve) => setTimeout(resolve, 50)); // the idle connection is closed: the next query opens a new one
      await pool.query('SELECT 1');
      expect(fetches).toBe(1);

      // The role changes first and the secret a moment later: the first retry still reads the old value.
      const changing = (async () => {
        await asAdmin(`ALTER ROLE ${role} PASSWORD '${scramSha256Verifier('second-password')}'`);
        await new Promise((resolve) => setTimeout(resolve, 15));
        secret = { username: role, password: 'second-password' };
      })();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await changing;
      await expect(pool.query('SELECT current_user AS user')).resolves.toMatchObject({ rows: [{ user: role }] });
      expect(fetches).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.end();
    }
  });

  it("gives up after the configured attempts with PostgreSQL's invalid_password error, and stays usable", async () => {
    const pool = new CredentialPool({
      connectionString: roleUrl(role),
      max: 1,
      rotatingPassword: rotating(),
      authenticationRetry: { attempts: 3, baseDelayMs: 5 },
    });
    try {
      secret = { username: role, password: 'not-the-password' };
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: INVALID_PASSWORD });
      expect(fetches).toBe(3);
      await rotate('third-password');
      await expect(pool.connect().then((client) => client.release())).resolves.toBeUndefined();
    } finally {
      await pool.end();
    }
  });

  it('does not retry other failures, and fetches again on the next connection after a failed fetch', async () => {
    let failFetch = true;
    const password = new RotatingPassword({
      username: role,
      fetch: async () => {
        fetches++;
        if (failFetch) throw new Error('secret has no value yet');
        return secret;
      },
    });
    const pool = new CredentialPool({ connectionString: roleUrl(role), max: 1, rotatingPassword: password });
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow('secret has no value yet');
      expect(fetches).toBe(1);
      failFetch = false;
      await expect(pool.query('SELECT 1')).resolves.toBeDefined();
      expect(fetches).toBe(2);
    } finally {
      await pool.end();
    }
  });

  it('closes the connection when the password cannot be had, so no server backend waits for it', async () => {
    // pg fails such a connect but leaves the socket mid-handshake; the server would hold the backend
    // (and a DROP DATABASE of its database) until authentication_timeout, 60 s by default.
    const probe = `probe_${randomBytes(4).toString('hex')}`;
    const database = `creds_${randomBytes(4).toString('hex')}`;
    await asAdmin(`CREATE DATABASE ${database}`);
    const url = new URL(roleUrl(role));
    url.pathname = `/${database}`;
    url.searchParams.set('application_name', probe);
    const password = new RotatingPassword({ username: role, fetch: () => Promise.reject(new Error('secret has no value yet')) });
    const pool = new CredentialPool({ connectionString: url.toString(), max: 1, rotatingPassword: password });
    try {
      await expect(pool.query('SELECT 1')).rejects.toThrow('secret has no value yet');
      // The server notices a closed socket at once; DROP DATABASE ... WITH (FORCE) waits for backends still authenticating
      // (up to authentication_timeout, 60 s). 50 s tells the two apart even when a busy server is slow to drop: the full
      // suite creates and drops databases concurrently, and seeds a million rows, and a DROP then took over 30 s once.
      const dropped = Promise.race([
        asAdmin(`DROP DATABASE ${database} WITH (FORCE)`).then(() => 'dropped'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting for the half-open connection'), 50_000)),
      ]);
      expect(await dropped).toBe('dropped');
    } finally {
      await pool.end();
      await asAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }, 90_000);

  it('refuses a secret for another user than the connection logs in as', async () => {
    const password = new RotatingPassword({ username: role, fetch: async () => ({ username: 'someone_else', password: 'x' }) });
    await expect(password.password()).rejects.toBeInstanceOf(DatabaseCredentialsError);
  });

  it('gives TypeORM data sources the same behaviour (createDataSource with rotatingPassword)', async () => {
    await rotate('fourth-password');
    const source = createDataSource({
      url: roleUrl(role),
      poolSize: 1,
      rotatingPassword: rotating(),
      authenticationRetry: { baseDelayMs: 10 },
    });
    await source.initialize();
    try {
      expect((source.driver as unknown as { master: unknown }).master).toBeInstanceOf(CredentialPool);
      await rotate('fifth-password');
      // The open connection stays logged in; end it, so the next query needs a new login.
      await asAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      fetches = 0;
      await expect(source.query('SELECT current_user AS user')).resolves.toEqual([{ user: role }]);
      expect(fetches).toBe(1);
    } finally {
      await source.destroy();
    }
  });

  it('parses only {"username","password"} secrets', () => {
    expect(parseDatabaseSecret('{"username":"u","password":"p","engine":"postgres"}', 'id')).toEqual({ username: 'u', password: 'p' });
    for (const bad of [undefined, 'not json', '{}', '{"username":"u"}', '{"username":"","password":"p"}']) {
      expect(() => parseDatabaseSecret(bad, 'the-secret')).toThrow(/the-secret/);
    }
  });
});
