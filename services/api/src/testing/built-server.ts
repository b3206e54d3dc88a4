import path from 'node:path';
import { serviceEnv, spawnService, testDatabaseServerUrl, type RunningService, type TestResources } from '@memberships/local-platform';

/**
 * The API as a deployment runs it, for the suites that need the real process:
 * the built entry (dist/server.js, built by `npm test` before jest runs),
 * configured only through its environment.
 */
export const SERVER_ENTRY = path.join(__dirname, '..', '..', 'dist', 'server.js');

/** The line fastify logs once it listens, with the base URL. */
export const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * The server's environment on `resources`, signing with `keys`: the API's
 * identity, info logs, a free port on loopback; `extra` on top (a variable
 * set to undefined is left out).
 */
export function serverEnv(
  resources: TestResources,
  keys: { readonly privateKey: string; readonly publicKey: string },
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  return serviceEnv({
    identity: 'api',
    aws: resources.aws,
    names: resources.names,
    queueUrls: resources.queueUrls,
    databaseUrl: testDatabaseServerUrl(),
    linkSigningSecretArn: resources.linkSigningSecretArn,
    logLevel: 'info',
    extra: { HOST: '127.0.0.1', PORT: '0', JWT_PRIVATE_KEY: keys.privateKey, JWT_PUBLIC_KEY: keys.publicKey, ...extra },
  });
}

/** Spawns the built server with `env`; resolves once it listens, with its base URL. */
export async function startServer(name: string, env: Record<string, string>): Promise<{ api: RunningService; baseUrl: string }> {
  const api = await spawnService(SERVER_ENTRY, env, { name, readyLine: (line) => LISTENING.test(line) });
  const baseUrl = LISTENING.exec(await api.waitForLine((line) => LISTENING.test(line)))![1]!;
  return { api, baseUrl };
}
