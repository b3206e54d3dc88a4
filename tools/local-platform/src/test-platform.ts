import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { busEvents, type StoredEvent } from './emulators/eventbridge-local';
import { TEST_SES_FROM_ADDRESS } from './local-aws';
import { createTestDatabase, type TestDatabase } from './postgres';
import { REPO_ROOT } from './package-paths';
import { createUser, seedMemberships } from './seed';
import { serviceEnv, spawnService, type RunningService } from './services';
import { provisionTestResources, type TestResources } from './testing';

export interface TestPlatform {
  /** Base URL of the API process, e.g. http://127.0.0.1:41234. */
  readonly apiUrl: string;
  readonly resources: TestResources;
  readonly database: TestDatabase;
  readonly sesEndpoint: string;
  /** A user with `memberships` seeded memberships (tricky rows included unless turned off). */
  readonly user: { readonly id: string; readonly email: string; readonly password: string };
  readonly api: RunningService;
  /**
   * The environment the API process was started with: a test can build the
   * same API in-process (with an injected clock, say) against the same
   * tables, queues, bucket and secrets.
   */
  readonly apiEnv: NodeJS.ProcessEnv;
  readonly worker: RunningService;
  /**
   * The events put on a bus of the EventBridge stand-in, oldest first (`detail` parsed): by
   * default the platform's own bus (EVENT_BUS_NAME of the worker).
   */
  events(bus?: string): Promise<StoredEvent[]>;
  /** Signs a JWT with the API's key, for tokens the API would have issued (e.g. expired ones). */
  signAccessToken(claims: Record<string, unknown>, header: Record<string, unknown>): string;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  /** Memberships seeded for `user`. Default 120. */
  readonly memberships?: number;
  /** Add the rows that break naive CSV writers. Default true. */
  readonly tricky?: boolean;
  /** Extra environment for the API process. */
  readonly apiEnv?: Readonly<Record<string, string>>;
  /** Extra environment for the worker process. */
  readonly workerEnv?: Readonly<Record<string, string>>;
}

const API_READY = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * The real platform for one test suite, the way users meet it: fresh tables,
 * queues, bucket and database (random names), one user with memberships, and
 * the built API and worker as child processes on loopback ports chosen at run
 * time (the API listens on port 0 and its log line says where).
 */
export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const started: { stop(): Promise<unknown> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
  };
  try {
    const resources = await provisionTestResources();
    const database = await createTestDatabase();
    started.push({ stop: () => database.drop() });

    const password = 'correct horse battery staple';
    const user = await createUser({ aws: resources.aws, table: resources.names.tables.users, password });
    await seedMemberships(database.url, user.id, options.memberships ?? 120, { tricky: options.tricky ?? true });

    const keys = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const common = {
      aws: resources.aws,
      names: resources.names,
      queueUrls: resources.queueUrls,
      linkSigningSecretArn: resources.linkSigningSecretArn,
    };
    // As in AWS: each service logs in as its own role, its password read from its secret.
    const databaseAccess = (service: 'api' | 'worker') => ({
      databaseUrl: database.roles[service].url,
      databaseSecretArn: database.roles[service].secretArn,
    });
    const apiEnv = serviceEnv({
      ...common,
      identity: 'api',
      ...databaseAccess('api'),
      extra: {
        HOST: '127.0.0.1',
        PORT: '0',
        JWT_PRIVATE_KEY: keys.privateKey,
        JWT_PUBLIC_KEY: keys.publicKey,
        // Test suites poll and export far more often than a person would; the limits are tested in the API.
        EXPORT_READ_RATE_LIMIT: '100000',
        EXPORT_WRITE_RATE_LIMIT: '100000',
        ...options.apiEnv,
      },
    });
    const api = await spawnService(path.join(REPO_ROOT, 'services', 'api', 'dist', 'server.js'), apiEnv, {
      name: 'api',
      readyLine: (line) => API_READY.test(line),
    });
    started.push({ stop: () => api.stop() });
    const apiUrl = API_READY.exec(await api.waitForLine((line) => API_READY.test(line)))![1]!;

    const worker = await spawnService(
      path.join(REPO_ROOT, 'services', 'worker', 'dist', 'main.js'),
      serviceEnv({
        ...common,
        identity: 'worker',
        ...databaseAccess('worker'),
        extra: {
          SES_FROM_ADDRESS: TEST_SES_FROM_ADDRESS,
          RECEIVE_WAIT_SECONDS: '1',
          // The emailed links point at the API this platform started (it is up before the worker).
          PUBLIC_API_URL: apiUrl,
          ...options.workerEnv,
        },
      }),
      { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
    );
    started.push({ stop: () => worker.stop() });

    const privateKey = createPrivateKey(keys.privateKey);
    return {
      apiUrl,
      resources,
      database,
      sesEndpoint: resources.aws.endpoints.ses!,
      user: { id: user.id, email: user.email, password },
      api,
      apiEnv,
      worker,
      events(bus = resources.names.eventBus) {
        const endpoint = resources.aws.endpoints.events;
        if (!endpoint) throw new Error('no EventBridge endpoint: the jest global setup sets AWS_ENDPOINT_URL_EVENTBRIDGE');
        return busEvents(endpoint, bus);
      },
      signAccessToken(claims, header) {
        const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
        const input = `${encode(header)}.${encode(claims)}`;
        const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
        return `${input}.${signature.toString('base64url')}`;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Header and claims of a JWT, without verifying it. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = token.split('.');
  const parse = (part: string | undefined): Record<string, unknown> =>
    JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: parse(header), claims: parse(claims) };
}

/** A loopback URL where nothing listens: a port that was free a moment ago. */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

/** fetch that records every request it passes on (method and path). */
export function recordingFetch(): { fetch: typeof globalThis.fetch; requests: { method: string; path: string }[] } {
  const requests: { method: string; path: string }[] = [];
  const recorder: typeof globalThis.fetch = (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push({ method: request.method, path: new URL(request.url).pathname });
    return globalThis.fetch(input, init);
  };
  return { fetch: recorder, requests };
}
