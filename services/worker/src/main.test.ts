/**
 * The built worker (dist/main.js) as a real process, as ECS runs it:
 * crash (SIGKILL) in the middle of an export, a graceful stop (SIGTERM), a
 * stop while a call never returns, and what it reports at start.
 * `npm test` builds before running jest.
 */
import path from 'node:path';
import { isFinal } from '@memberships/core/contract';
import { seedMemberships, spawnService, type CreatedUser, type RunningService } from '@memberships/local-platform';
import { startTcpProxy } from './testing/tcp-proxy';
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

  it('exits when the process that started it dies, although its log output then has nowhere to go', async () => {
    const worker = await spawnWorker({ LOG_LEVEL: 'debug' });
    // What the parent's death does: every pipe to it closes (parent-watch on fd 3 then sends
    // SIGTERM), so each log line written on the way out fails with EPIPE.
    for (const stream of worker.process.stdio) stream?.destroy();
    let giveUp: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([worker.exited, new Promise((resolve) => (giveUp = setTimeout(resolve, 30_000, 'still running')))]);
    clearTimeout(giveUp);
    expect(outcome).toEqual({ code: 0, signal: null });
  });

  it('reports the Node version it runs on at start, and the AWS SDK prints no Node-version warning', async () => {
    const worker = await spawnWorker();

    const started = worker.jsonLogs().find((line) => line.msg === 'worker started');
    expect(started?.node).toBe(process.version);
    expect(worker.logs.filter((line) => /NodeVersionSupportWarning|NodeDeprecationWarning|will require node/i.test(line))).toEqual([]);
  });

  it('exits 0 on SIGTERM even when the call in hand never returns, and gives the message back for another worker', async () => {
    const small = await env.createUser();
    await seedMemberships(env.database.url, small.id, 20);
    // SES accepts the connection and never answers; the request deadline is far away.
    const ses = new URL(env.aws.endpoints.ses!);
    const proxy = await startTcpProxy({ host: ses.hostname, port: Number(ses.port) });
    try {
      proxy.hang();
      const via = new URL(env.aws.endpoints.ses!);
      via.host = `127.0.0.1:${proxy.port}`;
      const first = await spawnWorker({
        SHUTDOWN_GRACE_SECONDS: '1',
        AWS_ENDPOINT_URL_SESV2: via.toString(),
        AWS_REQUEST_TIMEOUT_SECONDS: '600',
      });
      const { job } = await env.requestExport(small.id);
      // The file is stored; the SendEmail that follows never gets an answer.
      await first.waitForLine((line) => line.includes(job.id) && line.includes('"msg":"export file stored"'));

      // Within SHUTDOWN_GRACE_SECONDS + the margin: stop() kills it and rejects after 15 s.
      const exit = await first.stop('SIGTERM');

      expect(exit).toEqual({ code: 0, signal: null });
      expect(first.jsonLogs().some((line) => line.msg === 'worker stopped')).toBe(true);
      // The hung send never reached SES, so a repeat is allowed here; the next worker delivers it.
      await spawnWorker({ EMAIL_MAX_SENDS: '2' });
      const done = await env.waitForJob(job.id, (j) => isFinal(j.state), 60_000);
      expect(done.state).toBe('succeeded');
      expect(await env.waitForEmails(small.email, 1, job.id)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
