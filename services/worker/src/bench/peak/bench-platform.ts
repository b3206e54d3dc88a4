import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import path from 'node:path';
import {
  BenchArgumentError,
  createTestDatabase,
  createUser,
  DEFAULT_EMAIL_DOMAIN,
  useLocalAwsEnvironment,
  provisionTestResources,
  REPO_ROOT,
  seedMemberships,
  serviceEnv,
  spawnService,
  startLocalAws,
  startPostgres,
  TEST_SES_FROM_ADDRESS,
  type LocalAws,
  type RunningPostgres,
  type RunningService,
  type ServiceLatency,
  type TestDatabase,
  type TestResources,
  mapLimit,
} from '@memberships/local-platform';
import { WORKER_NODE_FLAGS } from '../../node-flags';

/**
 * The local platform for the peak-day benchmark: the emulators behind the IAM
 * gate, PostgreSQL, fresh tables, queues, bucket and database, and the seeded
 * users, set up once; the built API and worker processes are started per
 * phase (startServices), so each phase's worker is measured from its own start
 * and runs with that phase's WORKER_CONCURRENCY. Unlike startTestPlatform it
 * seeds many users, signs their access tokens itself (hundreds of logins
 * would each pay for scrypt and the login rate limit) and exposes the
 * Scheduler stand-in's clock, which the schedule phase moves.
 */

export interface BenchUser {
  readonly id: string;
  readonly email: string;
  readonly memberships: number;
  /** A bearer token the API accepts, signed with the key the API is started with. */
  readonly token: string;
}

export interface PhaseServices {
  readonly apiUrl: string;
  readonly api: RunningService;
  readonly workers: readonly RunningService[];
  stop(): Promise<void>;
}

export interface BenchPlatform {
  readonly aws: LocalAws;
  readonly resources: TestResources;
  readonly database: TestDatabase;
  readonly sesEndpoint: string;
  /** The Scheduler stand-in itself (its /_test endpoints are not behind the gate). */
  readonly schedulerEndpoint: string;
  readonly users: readonly BenchUser[];
  /** Starts the API and `workers` worker processes, each handling `concurrency` exports at once. */
  startServices(options: { readonly concurrency: number; readonly workers: number }): Promise<PhaseServices>;
  stop(): Promise<void>;
}

const API_READY = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;
const KEY_ID = 'peak-bench';
/** The API's defaults for `iss` and `aud` (services/api config.ts), which it requires on every token. */
const TOKEN_AUDIENCE = 'memberships-api';
/** Users created at once: each is a scrypt hash in this process and a conditional write. */
const CREATE_PARALLEL = 8;
/** Log lines each service keeps: a phase prints a few per export; read back only about jobs that got no email. */
const KEEP_LINES = 50_000;

type Stoppable = { stop(): Promise<unknown> };

export { mapLimit };

/**
 * `iamGate: false` runs the emulators without the IAM gate in front: IAM costs a caller nothing in AWS,
 * but the gate's policy evaluation and proxying take CPU on this machine (it counts the requests, too).
 * `latencyMs`: the gate holds each call to a service that long before forwarding it, a model of the
 * round trip to AWS (the emulators answer in well under a millisecond); it needs the gate.
 */
export async function startBenchPlatform(
  sizes: readonly number[],
  progress: (message: string) => void,
  options: { readonly iamGate: boolean; readonly latencyMs?: ServiceLatency } = { iamGate: true },
): Promise<BenchPlatform> {
  const latencyMs = options.latencyMs ?? {};
  // Before anything starts, and worded for the command line that asked for it.
  if (!options.iamGate && Object.keys(latencyMs).length > 0)
    throw new BenchArgumentError(
      '--aws-latency-ms needs the IAM gate, which holds the calls: drop --no-iam-gate, or give --aws-latency-ms 0',
    );
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const item of started.reverse()) await item.stop().catch(() => undefined);
    started.length = 0;
  };
  try {
    progress(`starting the emulators, ${options.iamGate ? 'the IAM gate' : 'no IAM gate'} and PostgreSQL`);
    const [awsResult, postgresResult] = await Promise.allSettled([
      startLocalAws({
        iamGate: options.iamGate
          ? {
              emailDomain: DEFAULT_EMAIL_DOMAIN,
              onDenial: (denial) => progress(`iam-gate denied ${denial.identity} ${denial.operation}: ${denial.reason}`),
              latencyMs,
            }
          : false,
      }),
      startPostgres(),
    ]);
    for (const result of [awsResult, postgresResult]) if (result.status === 'fulfilled') started.push(result.value);
    if (awsResult.status === 'rejected') throw awsResult.reason;
    if (postgresResult.status === 'rejected') throw postgresResult.reason;
    const aws: LocalAws = awsResult.value;
    const postgres: RunningPostgres = postgresResult.value;
    // provisionTestResources and createTestDatabase read these, as in a jest run.
    useLocalAwsEnvironment(aws);
    process.env.DATABASE_URL = postgres.url;

    const resources = await provisionTestResources();
    const database = await createTestDatabase(postgres.url, resources.aws);
    started.push({ stop: () => database.drop() });

    const keys = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const privateKey = createPrivateKey(keys.privateKey);
    const signToken = (user: { id: string; email: string; scopes: readonly string[] }): string => {
      const iat = Math.floor(Date.now() / 1000);
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${encode({ alg: 'ES256', typ: 'JWT', kid: KEY_ID })}.${encode({
        iss: TOKEN_AUDIENCE,
        aud: TOKEN_AUDIENCE,
        sub: user.id,
        email: user.email,
        scope: user.scopes.join(' '),
        jti: randomUUID(),
        iat,
        // Long enough for every phase of a large run.
        exp: iat + 6 * 3600,
      })}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    };

    progress(`creating ${sizes.length} users and seeding ${sizes.reduce((sum, size) => sum + size, 0)} memberships`);
    const seedStarted = Date.now();
    const users = await mapLimit(sizes, CREATE_PARALLEL, async (memberships, index) => {
      const user = await createUser({
        aws: resources.aws,
        table: resources.names.tables.users,
        email: `peak-${index}-${randomUUID().slice(0, 8)}@example.test`,
      });
      // One INSERT … SELECT over generate_series per user (seed.ts), a seed per user so rows differ between users.
      await seedMemberships(database.url, user.id, memberships, { seed: index + 1 });
      return { id: user.id, email: user.email, memberships, token: signToken(user) };
    });
    progress(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    const common = {
      aws: resources.aws,
      names: resources.names,
      queueUrls: resources.queueUrls,
      linkSigningSecretArn: resources.linkSigningSecretArn,
      logLevel: 'info',
    };
    const apiEnv = serviceEnv({
      ...common,
      identity: 'api',
      databaseUrl: database.roles.api.url,
      databaseSecretArn: database.roles.api.secretArn,
      extra: {
        HOST: '127.0.0.1',
        PORT: '0',
        JWT_PRIVATE_KEY: keys.privateKey,
        JWT_PUBLIC_KEY: keys.publicKey,
        JWT_KEY_ID: KEY_ID,
        // Every user asks once per phase; the limits are per user and tested in the API, not here.
        EXPORT_READ_RATE_LIMIT: '100000',
        EXPORT_WRITE_RATE_LIMIT: '100000',
      },
    });

    const startServices: BenchPlatform['startServices'] = async ({ concurrency, workers }) => {
      const own: Stoppable[] = [];
      const stopOwn = async () => {
        // Workers first: they finish the message in hand; the API last (the emailed links point at it).
        for (const item of own.reverse()) await item.stop().catch(() => undefined);
        own.length = 0;
      };
      try {
        const api = await spawnService(path.join(REPO_ROOT, 'services', 'api', 'dist', 'server.js'), apiEnv, {
          name: 'api',
          readyLine: (line) => API_READY.test(line),
          keepLines: KEEP_LINES,
        });
        own.push(api);
        const apiUrl = API_READY.exec(await api.waitForLine((line) => API_READY.test(line)))![1]!;
        const workerEnv = serviceEnv({
          ...common,
          identity: 'worker',
          databaseUrl: database.roles.worker.url,
          databaseSecretArn: database.roles.worker.secretArn,
          extra: {
            SES_FROM_ADDRESS: TEST_SES_FROM_ADDRESS,
            PUBLIC_API_URL: apiUrl,
            WORKER_CONCURRENCY: String(concurrency),
            // The flags the image's CMD runs the worker with; spawnService takes no Node flags of its own.
            NODE_OPTIONS: WORKER_NODE_FLAGS.join(' '),
          },
        });
        const running = await Promise.all(
          Array.from({ length: workers }, (_, index) =>
            spawnService(path.join(REPO_ROOT, 'services', 'worker', 'dist', 'main.js'), workerEnv, {
              name: `worker-${index + 1}`,
              readyLine: (line) => line.includes('"msg":"worker started"'),
              keepLines: KEEP_LINES,
            }),
          ),
        );
        own.push(...running);
        // A stop of the whole platform (an interrupted run) stops this phase's services first.
        const services: Stoppable = { stop: stopOwn };
        started.push(services);
        return {
          apiUrl,
          api,
          workers: running,
          stop: async () => {
            const index = started.indexOf(services);
            if (index !== -1) started.splice(index, 1);
            await stopOwn();
          },
        };
      } catch (error) {
        await stopOwn();
        throw error;
      }
    };

    return {
      aws,
      resources,
      database,
      sesEndpoint: aws.endpoints.ses,
      schedulerEndpoint: aws.emulatorEndpoints.scheduler,
      users,
      startServices,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
