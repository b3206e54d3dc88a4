import path from 'node:path';
import { createUser, provisionTestResources, serviceEnv, spawnService, testDatabaseServerUrl, type TestResources } from '@memberships/local-platform';
import { generateSigningKeys } from './testing/keys';

/**
 * The process entry (dist/server.js, built by `npm test` before jest runs) as
 * a deployment runs it: configured only through the environment, JSON logs on
 * stdout, graceful close on SIGTERM.
 */
const entry = path.join(__dirname, '..', 'dist', 'server.js');
const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

let resources: TestResources;
const keys = generateSigningKeys();

beforeAll(async () => {
  resources = await provisionTestResources();
});

function environment(extra: Record<string, string | undefined> = {}): Record<string, string> {
  return serviceEnv({
    aws: resources.aws,
    names: resources.names,
    queueUrls: resources.queueUrls,
    databaseUrl: testDatabaseServerUrl(),
    logLevel: 'info',
    extra: { HOST: '127.0.0.1', PORT: '0', JWT_PRIVATE_KEY: keys.privateKey, JWT_PUBLIC_KEY: keys.publicKey, ...extra },
  });
}

describe('server.js', () => {
  it('serves on the configured address and closes cleanly on SIGTERM', async () => {
    const api = await spawnService(entry, environment(), { name: 'api', readyLine: (line) => LISTENING.test(line) });
    try {
      const listening = await api.waitForLine((line) => LISTENING.test(line));
      const baseUrl = LISTENING.exec(listening)![1]!;

      expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);

      const user = await createUser({ aws: resources.aws, table: resources.names.tables.users });
      const login = await fetch(`${baseUrl}/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      });
      expect(login.status).toBe(200);

      const exit = await api.stop('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      const messages = api.jsonLogs().map((line) => line.msg);
      expect(messages).toEqual(expect.arrayContaining(['closing', 'closed']));
      // Logs are JSON lines and never carry the password.
      expect(api.logs.join('\n')).not.toContain(user.password);
    } finally {
      if (!api.exitStatus) await api.kill();
    }
  });

  it('refuses to start with an invalid configuration and says what to fix', async () => {
    const api = await spawnService(entry, environment({ USERS_TABLE: undefined, PORT: 'eighty' }), {
      name: 'api-misconfigured',
      readyLine: (line) => line.includes('invalid configuration'),
    });
    const exit = await api.exited;
    expect(exit.code).toBe(1);
    const output = api.logs.join('\n');
    expect(output).toContain('USERS_TABLE is required');
    expect(output).toContain('PORT must be an integer');
  });
});
