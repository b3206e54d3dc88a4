import { generateKeyPairSync } from 'node:crypto';
import {
  createTestDatabase,
  findFreePort,
  provisionTestResources,
  serviceEnv,
  spawnService,
  type RunningService,
  type TestDatabase,
  type TestResources,
} from '@memberships/local-platform';

/** The whole platform as users meet it: the built API and worker as processes, on emulators and PostgreSQL. */
export interface TestPlatform {
  readonly apiUrl: string;
  readonly resources: TestResources;
  readonly database: TestDatabase;
  readonly sesEndpoint: string;
  readonly api: RunningService;
  readonly worker: RunningService;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  readonly workerEnv?: Readonly<Record<string, string>>;
  readonly apiEnv?: Readonly<Record<string, string>>;
}

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const [resources, database, port] = await Promise.all([provisionTestResources(), createTestDatabase(), findFreePort()]);
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const common = { aws: resources.aws, names: resources.names, queueUrls: resources.queueUrls, databaseUrl: database.url };
  const apiUrl = `http://127.0.0.1:${port}`;
  const started: RunningService[] = [];
  try {
    const api = await spawnService(
      require.resolve('@memberships/api/dist/server.js'),
      serviceEnv({
        ...common,
        extra: {
          HOST: '127.0.0.1',
          PORT: String(port),
          JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          ...options.apiEnv,
        },
      }),
      { name: 'api', readyUrl: `${apiUrl}/healthz` },
    );
    started.push(api);
    const worker = await spawnService(
      require.resolve('@memberships/worker/dist/main.js'),
      serviceEnv({
        ...common,
        extra: { SES_FROM_ADDRESS: 'exports@memberships.test', RECEIVE_WAIT_SECONDS: '1', ...options.workerEnv },
      }),
      { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
    );
    started.push(worker);
    return {
      apiUrl,
      resources,
      database,
      sesEndpoint: resources.aws.endpoints.ses!,
      api,
      worker,
      async stop() {
        await Promise.all(started.map((service) => service.stop()));
        await database.drop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((service) => service.kill()));
    await database.drop();
    throw error;
  }
}
