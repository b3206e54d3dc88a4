/**
 * The built worker (dist/main.js) as a real process, as ECS runs it:
 * crash (SIGKILL) in the middle of an export, and a graceful stop (SIGTERM).
 * `npm test` builds before running jest.
 */
import path from 'node:path';
import { isFinal } from '@memberships/core';
import { seedMemberships, spawnService, type CreatedUser, type RunningService } from '@memberships/local-platform';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(180_000);

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
/** Short, so a killed worker's message comes back within the test. */
const VISIBILITY_TIMEOUT_SECONDS = 3;

describe('worker process', () => {
  let env: WorkerTestEnvironment;
  let user: CreatedUser;
  let rows: number;
  const services: RunningService[] = [];

  /** A worker process; resolves once it logged `worker started` (it is polling). */
  async function spawnWorker(extra: Record<string, string> = {}): Promise<RunningService> {
    const service = await spawnService(
      MAIN,
      env.env({
        VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_TIMEOUT_SECONDS),
        HEARTBEAT_INTERVAL_SECONDS: '1',
        RECEIVE_WAIT_SECONDS: '1',
        RETRY_BASE_DELAY_SECONDS: '1',
        LOG_LEVEL: 'info',
        ...extra,
      }),
      { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
    );
    services.push(service);
    return service;
  }

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS });
    user = await env.createUser();
    // Enough rows that the export is still running when the test stops the worker.
    rows = (await seedMemberships(env.database.url, user.id, 300_000)).inserted;
  });

  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => (service.exitStatus ? undefined : service.kill())));
  });

  afterAll(async () => {
    await env?.close();
  });

  it('leaves a job that a second worker finishes after the visibility timeout when the first is killed mid-export', async () => {
    const first = await spawnWorker();
    const { job } = await env.requestExport(user.id);
    await env.waitForJob(job.id, (j) => j.state === 'running');
    await first.kill();

    // The dead worker still holds the job, and nothing was sent.
    expect(await env.jobs.get(job.id)).toMatchObject({ state: 'running', attempts: 1 });
    expect(await env.emailsTo(user.email, job.id)).toHaveLength(0);

    const second = await spawnWorker();
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state), 120_000);

    expect(done).toMatchObject({ state: 'succeeded', attempts: 2, file: { rows } });
    expect(await env.waitForEmails(user.email, 1, job.id)).toHaveLength(1);
    // The second worker did it (its log line may trail the job record by a moment).
    await second.waitForLine((line) => line.includes(job.id) && line.includes('"msg":"export succeeded"'));
  });

  it('exits 0 on SIGTERM and gives the job in hand back, so another worker finishes it', async () => {
    const first = await spawnWorker({ SHUTDOWN_GRACE_SECONDS: '0' });
    const { job } = await env.requestExport(user.id);
    await env.waitForJob(job.id, (j) => j.state === 'running');

    const exit = await first.stop('SIGTERM');

    expect(exit).toEqual({ code: 0, signal: null });
    const afterStop = await env.jobs.get(job.id);
    expect(['queued', 'succeeded']).toContain(afterStop!.state); // given back, or finished in time: never stuck running
    expect(first.jsonLogs().some((line) => line.msg === 'worker stopped')).toBe(true);

    await spawnWorker();
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state), 60_000);
    expect(done).toMatchObject({ state: 'succeeded', file: { rows } });
    expect(await env.waitForEmails(user.email, 1, job.id)).toHaveLength(1);
  });
});
