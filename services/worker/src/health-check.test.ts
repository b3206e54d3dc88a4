/**
 * The worker's liveness probe end to end: the worker (createWorker, real
 * emulators and PostgreSQL) beats while its consumer loop turns, and the
 * built check ECS runs (`node services/worker/dist/health-check.js <file>`)
 * passes on that file and fails on a missing or overdue one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { seedMemberships, waitFor } from '@memberships/local-platform';
import { heartbeatIsFresh } from './health-check';
import { HEARTBEAT_WRITE_INTERVAL_MS, HeartbeatFile, heartbeatMaxGapMs } from './health-check-heartbeat';
import { captureLogs } from './testing/log-capture';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';
import { createWorker, type Worker } from './worker';

jest.setTimeout(120_000);

const run = promisify(execFile);
const CHECK = path.resolve(__dirname, '..', 'dist', 'health-check.js');

/** Exit code of the built health check on `file`, as ECS would see it. */
async function checkExitCode(file: string): Promise<number> {
  try {
    await run(process.execPath, [CHECK, file]);
    return 0;
  } catch (error) {
    return (error as { code: number }).code;
  }
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'worker-heartbeat-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('health check command', () => {
  it('fails without a heartbeat file, passes on a fresh beat, fails once the beat is overdue', async () => {
    const file = path.join(directory, 'heartbeat');
    expect(await checkExitCode(file)).toBe(1);

    new HeartbeatFile(file, 60_000).beat();
    expect(await checkExitCode(file)).toBe(0);

    // A beat written two minutes ago that promised the next within one.
    new HeartbeatFile(file, 60_000, () => Date.now() - 120_000).beat();
    expect(await checkExitCode(file)).toBe(1);
  });

  it('writes a burst of beats once a second, and the due time it writes covers the beats it skipped', async () => {
    const file = path.join(directory, 'heartbeat');
    let clock = 1_000_000;
    const heartbeat = new HeartbeatFile(file, 60_000, () => clock);
    heartbeat.beat();
    expect(Number(await readFile(file, 'utf8'))).toBe(1_000_000 + 60_000 + HEARTBEAT_WRITE_INTERVAL_MS);
    // Beats within the interval do not write: the last of them (at +999 ms) is still covered by the due time.
    clock += HEARTBEAT_WRITE_INTERVAL_MS - 1;
    heartbeat.beat();
    expect(Number(await readFile(file, 'utf8'))).toBe(1_000_000 + 60_000 + HEARTBEAT_WRITE_INTERVAL_MS);
    expect(Number(await readFile(file, 'utf8'))).toBeGreaterThanOrEqual(clock + 60_000);
    clock += 1;
    heartbeat.beat();
    expect(Number(await readFile(file, 'utf8'))).toBe(clock + 60_000 + HEARTBEAT_WRITE_INTERVAL_MS);
  });

  it('treats an unreadable heartbeat as unhealthy', async () => {
    const file = path.join(directory, 'heartbeat');
    await writeFile(file, 'not a time');
    expect(heartbeatIsFresh(file)).toBe(false);
  });

  it('allows a gap of the longer of poll wait and visibility heartbeat, plus a request deadline and the retry pause', () => {
    const gap = heartbeatMaxGapMs({
      receiveWaitSeconds: 10,
      heartbeatIntervalSeconds: 20,
      awsTimeouts: { connectionTimeoutMs: 3000, requestTimeoutMs: 30_000 },
    });
    expect(gap).toBe(20_000 + 30_000 + 10_000);
  });
});

describe('worker heartbeat', () => {
  let env: WorkerTestEnvironment;
  const workers: Worker[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop(0)));
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    await env?.close();
  });

  async function startWorker(file: string, extra: Record<string, string> = {}): Promise<Worker> {
    const worker = createWorker(
      env.config({ RECEIVE_WAIT_SECONDS: '1', HEARTBEAT_INTERVAL_SECONDS: '1', ...extra }),
      captureLogs().logger,
      {
        heartbeatFile: file,
      },
    );
    workers.push(worker);
    await worker.start();
    return worker;
  }

  const dueBy = async (file: string) => Number(await readFile(file, 'utf8').catch(() => '0'));

  it('beats as it polls (at most once a second), so the check passes, and stops beating once the worker stops', async () => {
    const file = path.join(directory, 'heartbeat');
    const worker = await startWorker(file);
    const first = await waitFor('a first beat', async () => ((await dueBy(file)) > 0 ? dueBy(file) : undefined));
    expect(await checkExitCode(file)).toBe(0);
    await waitFor('a later poll to beat again', async () => ((await dueBy(file)) > first ? true : undefined));

    await worker.stop(0);
    const last = await dueBy(file);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await dueBy(file)).toBe(last);
  });

  it('keeps beating while a long export holds the message (no poll then, only visibility extensions)', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 20_000);
    // PostgreSQL answers slowly: the COPY takes seconds, during which sqs-consumer does not poll.
    const target = new URL(env.database.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, { serverBytesPerSecond: 256 * 1024 });
    proxies.push(proxy);
    const viaProxy = new URL(env.database.roles.worker.url); // the worker logs in as its role
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const file = path.join(directory, 'heartbeat');
    const worker = await startWorker(file, { DATABASE_URL: viaProxy.toString() });

    await env.requestExport(user.id);
    await waitFor('the worker to take the export', () => (worker.consumer.busy ? true : undefined));
    const duringExport = await dueBy(file);
    await waitFor(
      'a beat while the export runs',
      async () => (worker.consumer.busy && (await dueBy(file)) > duringExport ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
  });
});
