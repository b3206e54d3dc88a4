import { generateKeyPairSync, randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  createUser,
  DEFAULT_EMAIL_DOMAIN,
  findFreePort,
  useLocalAwsEnvironment,
  localCredentials,
  provisionTestResources,
  REPO_ROOT,
  serviceEnv,
  spawnService,
  startLocalAws,
  type LocalAws,
  type RunningService,
  type TestResources,
  mapLimit,
} from '@memberships/local-platform';

/**
 * The local platform for the API benchmark: the emulators behind the IAM
 * gate, fresh tables, queues and bucket, and `users` accounts; the built API
 * (services/api/dist/server.js) is started as a child process per mode
 * (startApi), with the verified-token cache of that mode.
 *
 * The API runs at LOG_LEVEL=warn, and nothing reads or forwards its output
 * (it keeps a few lines for an error message): what is measured is the
 * server, not a log pipe. No PostgreSQL: only the readiness check touches
 * it, and the benchmarked routes never do; DATABASE_URL points at a loopback
 * port where nothing listens.
 */

export interface BenchUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
}

export interface RunningApi {
  readonly url: string;
  readonly service: RunningService;
  stop(): Promise<void>;
}

export interface ApiBenchPlatform {
  readonly aws: LocalAws;
  readonly resources: TestResources;
  readonly users: readonly BenchUser[];
  /** Starts the built API with JWT_VERIFY_CACHE_SIZE = `tokenCacheSize`. */
  startApi(tokenCacheSize: number): Promise<RunningApi>;
  stop(): Promise<void>;
}

/** Users created at once: each is a scrypt hash in this process and a conditional write. */
const CREATE_PARALLEL = 8;
/** Lines the API keeps for an error message; at warn it prints next to none. */
const KEEP_LINES = 200;

type Stoppable = { stop(): Promise<unknown> };

export { mapLimit };

export async function startApiBenchPlatform(userCount: number, progress: (message: string) => void): Promise<ApiBenchPlatform> {
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    progress('starting the emulators and the IAM gate');
    const aws = await startLocalAws({
      iamGate: {
        emailDomain: DEFAULT_EMAIL_DOMAIN,
        onDenial: (denial) => progress(`iam-gate denied ${denial.identity} ${denial.operation}: ${denial.reason}`),
      },
    });
    started.push(aws);
    // provisionTestResources reads these, as in a jest run.
    useLocalAwsEnvironment(aws);
    const resources = await provisionTestResources();

    progress(`creating ${userCount} users`);
    const password = `api-bench ${randomUUID()}`;
    const users = await mapLimit(Array.from({ length: userCount }), CREATE_PARALLEL, async (_, index) => {
      const user = await createUser({
        aws: resources.aws,
        table: resources.names.tables.users,
        email: `api-bench-${index}-${randomUUID().slice(0, 8)}@example.test`,
        password,
      });
      return { id: user.id, email: user.email, password };
    });

    const keys = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    // A port that was free a moment ago: the readiness check would fail there, nothing else connects.
    const databaseUrl = `postgres://api-bench@127.0.0.1:${await findFreePort()}/unused`;

    const startApi: ApiBenchPlatform['startApi'] = async (tokenCacheSize) => {
      const port = await findFreePort();
      const env = serviceEnv({
        identity: 'api',
        aws: resources.aws,
        names: resources.names,
        queueUrls: resources.queueUrls,
        linkSigningSecretArn: resources.linkSigningSecretArn,
        databaseUrl,
        logLevel: 'warn',
        extra: {
          HOST: '127.0.0.1',
          PORT: String(port),
          JWT_PRIVATE_KEY: keys.privateKey,
          JWT_PUBLIC_KEY: keys.publicKey,
          // One login per user for the whole run (both modes): a token outlives every phase.
          ACCESS_TOKEN_TTL_SECONDS: '3600',
          // All the users log in from 127.0.0.1 at the start; the per-user export limits stay as deployed.
          LOGIN_RATE_LIMIT: '100000',
          JWT_VERIFY_CACHE_SIZE: String(tokenCacheSize),
        },
      });
      const url = `http://127.0.0.1:${port}`;
      const service = await spawnService(path.join(REPO_ROOT, 'services', 'api', 'dist', 'server.js'), env, {
        name: 'api',
        readyUrl: `${url}/healthz`,
        keepLines: KEEP_LINES,
      });
      return { url, service, stop: async () => void (await service.stop()) };
    };

    return { aws, resources, users, startApi, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The API role's keys, for the bare calls: the IAM gate holds them to the API task role's policy. */
export const apiCredentials = () => localCredentials('api');
