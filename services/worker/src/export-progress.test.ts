/**
 * Progress that moves: while an export runs, the job record's
 * rowsExported (the API's `rows_exported`, what `memberships export` shows)
 * grows between heartbeats. The whole worker runs against the real
 * emulators; the export is made slow by pacing PostgreSQL's bytes through a
 * loopback proxy, so it takes seconds however fast the machine is.
 */
import type { ExportFileFacts } from '@memberships/core/contract';
import { JobStore } from '@memberships/core/dynamodb';
import { seedMemberships } from '@memberships/local-platform';
import { captureLogs } from './testing/log-capture';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';
import { createWorker, type Worker } from './worker';

jest.setTimeout(120_000);

describe('export progress', () => {
  let env: WorkerTestEnvironment;
  let proxy: TcpProxy | undefined;
  let worker: Worker | undefined;

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create();
  });

  afterEach(async () => {
    await worker?.stop(0);
    worker = undefined;
    await proxy?.close();
    proxy = undefined;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('moves rows_exported on the job several times while a slow export runs, and ends at the exact total', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 20_000, { tricky: true });
    // The worker logs in as its least-privilege role.
    const database = new URL(env.database.roles.worker.url);
    // About 3.7 MB of CSV at 700 KiB/s: some 5 s of streaming, far less than the 10 s heartbeat interval
    // (visibility 60 s / 6), so any count seen before the end was written by the progress reporter.
    // A slow network between the worker and PostgreSQL: the server's bytes at about 700 KiB/s.
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) }, { serverBytesPerSecond: 700 * 1024 });
    database.host = `127.0.0.1:${proxy.port}`;
    worker = createWorker(env.config({ DATABASE_URL: database.toString(), RECEIVE_WAIT_SECONDS: '1' }), captureLogs().logger);
    await worker.start();

    const { job } = await env.requestExport(user.id);
    const seenWhileRunning: number[] = [];
    const done = await env.waitForJob(
      job.id,
      (current) => {
        if (current.state === 'running') seenWhileRunning.push(current.progress.rowsExported);
        return current.state === 'succeeded' || current.state === 'failed';
      },
      60_000,
    );

    expect(done).toMatchObject({ state: 'succeeded', progress: { rowsExported: seeded.inserted, rowsTotal: seeded.inserted } });
    // Polled every 25 ms: the count only ever grew, and took several values between 0 and the total.
    expect(seenWhileRunning).toEqual([...seenWhileRunning].sort((a, b) => a - b));
    const partial = new Set(seenWhileRunning.filter((rows) => rows > 0 && rows < seeded.inserted));
    expect(partial.size).toBeGreaterThanOrEqual(3);
  });

  describe('JobStore.recordProgress', () => {
    let jobs: JobStore;
    const owner = 'worker-progress-test';

    beforeAll(() => {
      jobs = new JobStore({ client: env.dynamodb, jobsTable: env.names.tables.exportJobs, guardsTable: env.names.tables.exportGuards });
    });

    async function runningJob(): Promise<{ id: string; attempt: number }> {
      const user = await env.createUser();
      const { job } = await jobs.create({ userId: user.id, trigger: 'api' });
      const claim = await jobs.claim(job.id, owner, 60_000);
      if (!claim.claimed) throw new Error('claim failed');
      return { id: job.id, attempt: claim.job.attempts };
    }

    it('records rows and total while the job runs under the lease, and never moves the count backwards', async () => {
      const job = await runningJob();
      const lease = { owner, attempt: job.attempt };

      await expect(jobs.recordProgress(job.id, lease, { rowsExported: 500, rowsTotal: 2000 })).resolves.toBe(true);
      expect((await jobs.get(job.id))?.progress).toEqual({ rowsExported: 500, rowsTotal: 2000 });

      // A late write of an older count (reordered on the network) changes nothing.
      await expect(jobs.recordProgress(job.id, lease, { rowsExported: 300, rowsTotal: 2000 })).resolves.toBe(false);
      await expect(jobs.recordProgress(job.id, lease, { rowsExported: 500, rowsTotal: 2000 })).resolves.toBe(false);
      expect((await jobs.get(job.id))?.progress).toEqual({ rowsExported: 500, rowsTotal: 2000 });

      await expect(jobs.recordProgress(job.id, lease, { rowsExported: 1500, rowsTotal: 2000 })).resolves.toBe(true);
      expect((await jobs.get(job.id))?.progress).toEqual({ rowsExported: 1500, rowsTotal: 2000 });
    });

    it('does not apply for another worker, an earlier claim of the same worker, or a finished job', async () => {
      const job = await runningJob();
      await expect(
        jobs.recordProgress(job.id, { owner: 'someone-else', attempt: job.attempt }, { rowsExported: 10, rowsTotal: 20 }),
      ).resolves.toBe(false);
      await expect(jobs.recordProgress(job.id, { owner, attempt: job.attempt - 1 }, { rowsExported: 10, rowsTotal: 20 })).resolves.toBe(
        false,
      );

      const file: ExportFileFacts = { key: 'exports/x.csv', rows: 20, bytes: 100, sha256: '0'.repeat(64), contentType: 'text/csv' };
      await jobs.complete(job.id, owner, file, { method: 'attachment', to: 'a@example.test', emailedAt: new Date().toISOString() });
      await expect(jobs.recordProgress(job.id, { owner, attempt: job.attempt }, { rowsExported: 25, rowsTotal: 30 })).resolves.toBe(false);
      expect(await jobs.get(job.id)).toMatchObject({ state: 'succeeded', progress: { rowsExported: 20, rowsTotal: 20 } });
    });
  });
});
