/**
 * One worker process handling several exports at once (WORKER_CONCURRENCY),
 * as ECS runs it (the built dist/main.js): every export of a burst is emailed
 * exactly once; a crash (SIGKILL) with exports in every lane loses none of
 * them; a graceful stop (SIGTERM) gives every job in hand back. PostgreSQL
 * is reached through a proxy that paces its bytes, so the exports are really
 * in the middle of their COPY when the process is stopped.
 */
import path from 'node:path';
import { isFinal, type ExportJob } from '@memberships/core/contract';
import { seedMemberships, spawnService, type CreatedUser, type RunningService } from '@memberships/local-platform';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(240_000);

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
/** Short, so a killed worker's messages come back within the test. */
const VISIBILITY_TIMEOUT_SECONDS = 3;
const LANES = 4;

describe('a worker process with several exports at once', () => {
  let env: WorkerTestEnvironment;
  let slowDatabase: TcpProxy;
  const services: RunningService[] = [];

  /** A worker process with LANES lanes; resolves once it logged `worker started` (it is polling). */
  async function spawnWorker(extra: Record<string, string> = {}): Promise<RunningService> {
    const service = await spawnService(
      MAIN,
      env.env({
        WORKER_CONCURRENCY: String(LANES),
        VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT_SECONDS),
        HEARTBEAT_INTERVAL_SECONDS: '1',
        RECEIVE_WAIT_SECONDS: '1',
        RETRY_BASE_DELAY_SECONDS: '1',
        PROGRESS_INTERVAL_MS: '200',
        LOG_LEVEL: 'info',
        ...extra,
      }),
      { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
    );
    services.push(service);
    return service;
  }

  /** The worker's environment for a database reached through the pacing proxy. */
  function throughSlowDatabase(): Record<string, string> {
    const url = new URL(env.database.roles.worker.url);
    url.host = `127.0.0.1:${slowDatabase.port}`;
    return { DATABASE_URL: url.toString() };
  }

  /** Users with `rows` memberships each, seeded one after the other (the seed is one transaction). */
  async function usersWith(count: number, rows: number): Promise<CreatedUser[]> {
    const users: CreatedUser[] = [];
    for (let i = 0; i < count; i += 1) {
      const user = await env.createUser();
      await seedMemberships(env.database.url, user.id, rows, { seed: i + 1 });
      users.push(user);
    }
    return users;
  }

  /** Requests one export per user, all at once, the way the API does it. */
  async function requestAll(users: readonly CreatedUser[]): Promise<ExportJob[]> {
    return Promise.all(users.map(async (user) => (await env.requestExport(user.id)).job));
  }

  /** Waits until every job has streamed rows: each is in the middle of its export. */
  async function allMidExport(jobs: readonly ExportJob[]): Promise<void> {
    await Promise.all(jobs.map((job) => env.waitForJob(job.id, (j) => j.state === 'running' && j.progress.rowsExported > 0, 60_000)));
  }

  /** Every job succeeded with all its rows, and its owner has exactly one email of it (after a pause for late ones). */
  async function expectEachEmailedOnce(users: readonly CreatedUser[], jobs: readonly ExportJob[], rows: number): Promise<void> {
    const done = await Promise.all(jobs.map((job) => env.waitForJob(job.id, (j) => isFinal(j.state), 120_000)));
    for (const job of done) expect(job).toMatchObject({ state: 'succeeded', file: { rows } });
    await Promise.all(users.map((user, i) => env.waitForEmails(user.email, 1, jobs[i]!.id)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const [i, user] of users.entries()) expect(await env.emailsTo(user.email, jobs[i]!.id)).toHaveLength(1);
  }

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS });
    const database = new URL(env.database.url);
    // About 1.5 s of COPY per 20,000-row export: long enough to stop the process in the middle of all of them.
    slowDatabase = await startTcpProxy({ host: database.hostname, port: Number(database.port) }, { serverBytesPerSecond: 1_500_000 });
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => (service.exitStatus ? undefined : service.kill())));
  });

  afterAll(async () => {
    await slowDatabase?.close();
    await env?.close();
  });

  it('emails each export of a burst exactly once, with exports running side by side', async () => {
    const users = await usersWith(3 * LANES, 200);
    const worker = await spawnWorker();

    const jobs = await requestAll(users);
    await expectEachEmailedOnce(users, jobs, 200);

    // Side by side: at some moment more than one export had started and not yet finished.
    let running = 0;
    let mostAtOnce = 0;
    for (const line of worker.jsonLogs()) {
      if (line.msg === 'export started') running += 1;
      if (line.msg === 'export succeeded') running -= 1;
      mostAtOnce = Math.max(mostAtOnce, running);
    }
    expect(mostAtOnce).toBeGreaterThan(1);
    expect(mostAtOnce).toBeLessThanOrEqual(LANES);
  });

  it('loses none of the exports in its lanes when it is killed (SIGKILL) in the middle of them all', async () => {
    const users = await usersWith(LANES, 20_000);
    const first = await spawnWorker(throughSlowDatabase());
    const jobs = await requestAll(users);
    await allMidExport(jobs);

    await first.kill();

    // The dead worker still holds every job, and nothing was sent.
    for (const job of jobs) expect(await env.jobs.get(job.id)).toMatchObject({ state: 'running', attempts: 1 });
    for (const [i, user] of users.entries()) expect(await env.emailsTo(user.email, jobs[i]!.id)).toHaveLength(0);

    // Another worker takes each job over once its message is visible again and its lease has run out.
    await spawnWorker();
    await expectEachEmailedOnce(users, jobs, 20_000);
    for (const job of jobs) expect((await env.jobs.get(job.id))!.attempts).toBe(2);
  });

  it('gives every job in hand back on SIGTERM, so another worker finishes them all', async () => {
    const users = await usersWith(LANES, 20_000);
    const first = await spawnWorker({ ...throughSlowDatabase(), SHUTDOWN_GRACE_SECONDS: '0' });
    const jobs = await requestAll(users);
    await allMidExport(jobs);

    const exit = await first.stop('SIGTERM');

    expect(exit).toEqual({ code: 0, signal: null });
    // Each given back (queued, its message visible at once), not left running until a lease runs out.
    for (const job of jobs) expect((await env.jobs.get(job.id))!.state).toBe('queued');
    const released = first.jsonLogs().filter((line) => line.msg === 'worker shutting down; job released for another worker');
    expect(released.map((line) => line.jobId).sort()).toEqual(jobs.map((job) => job.id).sort());
    expect(first.jsonLogs().some((line) => line.msg === 'worker stopped')).toBe(true);

    await spawnWorker();
    await expectEachEmailedOnce(users, jobs, 20_000);
  });
});
