/**
 * Canceling an export while a worker runs it: the API's cancel (JobStore.cancel,
 * the very call the route makes) writes `canceled` at once; the running
 * worker's cancel check notices within about a second and stops. Checked the
 * way a user would notice: the job stays canceled, no email arrives, no file
 * is left in the bucket, and the message is neither retried nor dead-lettered.
 * The export is made slow by pacing PostgreSQL's bytes through a loopback
 * proxy, so it is still streaming when the cancel lands, however fast the machine.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { seedMemberships, waitFor } from '@memberships/local-platform';
import { exportFileKey } from './file-store';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

let proxy: TcpProxy | undefined;
const startWorker = inProcessWorkers({
  defaults: SHORT_WAITS,
  beforeStop: async () => {
    await proxy?.close();
    proxy = undefined;
  },
});

describe('canceling a running export', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('stops the worker within 5 s: the job stays canceled, no email, no file, the message acknowledged', async () => {
    const user = await env.createUser();
    // Some 11 MB of CSV at 1 MiB/s: about 10 s of streaming, several multipart parts (too big to attach).
    const seeded = await seedMemberships(env.database.url, user.id, 60_000);
    const database = new URL(env.database.roles.worker.url);
    proxy = await startTcpProxy({ host: database.hostname, port: Number(database.port) }, { serverBytesPerSecond: 1024 * 1024 });
    database.host = `127.0.0.1:${proxy.port}`;
    // Renewals every 10 s (the default cadence for a 60 s visibility): only the cancel check can stop it in time.
    const { logs } = await startWorker(env, { DATABASE_URL: database.toString(), HEARTBEAT_INTERVAL_SECONDS: '10' });

    const { job } = await env.requestExport(user.id);
    // Well under way: past the first 5 MiB part, so a multipart upload is open.
    await env.waitForJob(job.id, (current) => current.state === 'running' && current.progress.rowsExported > 30_000, 60_000);

    const canceledAt = Date.now();
    expect(await env.jobs.cancel(job.id, user.id)).toMatchObject({ outcome: 'canceled', was: 'running' });
    await waitFor(
      'the worker to stop the canceled export',
      () => logs.find({ msg: 'export canceled; stopped without sending anything' })[0],
      {
        timeoutMs: 5000,
        intervalMs: 25,
      },
    );
    expect(Date.now() - canceledAt).toBeLessThan(5000);
    const [stopped] = logs.find({ msg: 'export canceled; stopped without sending anything' });
    expect(stopped).toMatchObject({ jobId: job.id, because: 'canceled' });
    expect(stopped!.rowsExported).toBeLessThan(seeded.inserted);

    // Acknowledged: neither back on the queue for a retry nor dead-lettered.
    await waitFor('the message to be deleted', async () => {
      const depths = await env.queueDepths();
      return depths.exportQueue === 0 && depths.deadLetterQueue === 0 ? depths : undefined;
    });
    // Long enough for an email the worker might still send to arrive, and for a late write to land.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await env.emailsTo(user.email)).toHaveLength(0);
    const final = await env.jobs.get(job.id);
    expect(final).toMatchObject({ state: 'canceled', canceledFrom: 'running', attempts: 1 });
    expect(final!.file).toBeUndefined();
    expect(final!.delivery).toBeUndefined();
    expect(final!.emailAttempt).toBeUndefined();
    expect(final!.error).toBeUndefined();

    // No file. That the multipart upload was aborted is proven in export-cancel-million.test.ts, from the
    // worker's own S3 calls: fauxqs has no ListMultipartUploads (it answers a bucket listing, never `Uploads`).
    const key = exportFileKey(user.id, job.id);
    const bucket = env.names.buckets.exportFiles;
    await expect(env.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });

    // The user is free to export again (the job only: a message would outlive this test).
    const next = await env.jobs.create({ userId: user.id, trigger: 'api' });
    expect(next).toMatchObject({ created: true });
    expect(next.job.id).not.toBe(job.id);
  });

  it('acknowledges the message of a job canceled before any worker took it, without running it', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    const { job } = await env.requestExport(user.id);
    expect(await env.jobs.cancel(job.id, user.id)).toMatchObject({ outcome: 'canceled', was: 'queued' });
    const { logs } = await startWorker(env);
    await waitFor(
      'the message of the canceled job to be acknowledged',
      () => logs.find({ msg: 'job canceled before it ran; message acknowledged' })[0],
    );
    expect(await env.jobs.get(job.id)).toMatchObject({ state: 'canceled', attempts: 0 });
    // Deleted in the lanes' next DeleteMessageBatch (delete-batcher.ts), a moment after the log line.
    await waitFor('the message to be deleted', async () => {
      const depths = await env.queueDepths();
      return depths.exportQueue === 0 ? depths : undefined;
    });
    expect(await env.queueDepths()).toEqual({ exportQueue: 0, deadLetterQueue: 0 });
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });
});
