/**
 * The issue's own case of a cancel: a running export of 1,000,000 memberships,
 * at full speed (nothing paced: export-cancel.test.ts slows a smaller one
 * down instead), canceled through the API's call (JobStore.cancel, what the
 * route runs) once a real share of it has streamed, stops within 5 s — the
 * handler has returned, PostgreSQL's COPY has ended, the multipart upload is
 * aborted — and leaves the job canceled, no file, no email, the message
 * acknowledged.
 *
 * The S3 emulator (fauxqs) does not implement ListMultipartUploads (it answers
 * a bucket listing, so an empty `Uploads` proves nothing), so the worker's S3
 * calls go through a recording forwarder: the abort is the worker's
 * AbortMultipartUpload answered 204, and the emulator confirms it no longer
 * knows the upload (NoSuchUpload).
 */
import { AbortMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { queryRows, seedMemberships, waitFor, type CreatedUser } from '@memberships/local-platform';
import { exportFileKey } from './file-store';
import { startHttpRequestLog, type HttpRequestLog, type RecordedRequest } from './testing/http-request-log';
import { DEFAULT_PARALLEL_RANGES } from './config';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const ROWS = 1_000_000;
/** Canceled once at least this many rows have streamed: well past the first 8 MiB part, far from the end. */
const ROWS_BEFORE_CANCEL = 50_000;
/** The bound on how long a canceled running export may go on. */
const STOP_WITHIN_MS = 5000;

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

describe('canceling a running export of 1,000,000 rows', () => {
  const env = WorkerTestEnvironment.forSuite();
  let user: CreatedUser;
  let s3Calls: HttpRequestLog;

  beforeAll(async () => {
    user = await env.createUser();
    // One INSERT ... SELECT over generate_series: seconds, not minutes.
    expect(await seedMemberships(env.database.url, user.id, ROWS)).toMatchObject({ inserted: ROWS });
    s3Calls = await startHttpRequestLog(env.aws.endpoints.s3!);
  });
  afterAll(() => s3Calls?.close());

  /** The worker's COPYs of the export, as PostgreSQL sees them running. */
  const runningCopies = () =>
    queryRows(
      env.database.url,
      `SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'memberships-worker' AND state = 'active' AND query LIKE 'COPY %'`,
      [env.database.name],
    );

  it('stops within 5 s: handler returned, COPY ended, upload aborted; canceled, no file, no email, message acknowledged', async () => {
    // Renewals every 10 s (the default cadence for a 60 s visibility): only the 1 s cancel check can stop it in time.
    const { logs } = await startWorker(env, {
      AWS_ENDPOINT_URL_S3: s3Calls.endpoint,
      HEARTBEAT_INTERVAL_SECONDS: '10',
      // Finer progress on the job than the 1 s default, so the test sees the count it cancels at.
      PROGRESS_INTERVAL_MS: '200',
    });
    const bucket = env.names.buckets.exportFiles;
    const { job } = await env.requestExport(user.id);
    const key = exportFileKey(user.id, job.id);
    const objectPath = `/${bucket}/${key}`;
    const callsOnFile = () => s3Calls.requests.filter((call) => call.path === objectPath);

    // Mid-export: a real share streamed, a multipart upload open with a part on its way, the COPY running.
    const { running, uploadId } = await waitFor(
      `${ROWS_BEFORE_CANCEL} rows exported and a part of the upload sent`,
      async () => {
        const current = await env.jobs.get(job.id);
        const part = callsOnFile().find((call) => call.method === 'PUT' && call.query.has('uploadId'));
        if (current?.state !== 'running' || current.progress.rowsExported < ROWS_BEFORE_CANCEL || !part) return undefined;
        return { running: current, uploadId: part.query.get('uploadId')! };
      },
      { timeoutMs: 60_000, intervalMs: 25 },
    );
    expect(running.progress).toMatchObject({ rowsTotal: ROWS });
    expect(running.progress.rowsExported).toBeLessThan(ROWS);
    // A 1,000,000-row CSV is COPYed in parallel ranges (EXPORT_PARALLEL_RANGES): every one of them must stop.
    expect(await runningCopies()).toHaveLength(DEFAULT_PARALLEL_RANGES);

    const canceledAt = Date.now();
    expect(await env.jobs.cancel(job.id, user.id)).toMatchObject({ outcome: 'canceled', was: 'running' });

    // Each sign of a stopped export, waited for past the bound so a slow stop fails on its figure below.
    const waitLonger = { timeoutMs: 3 * STOP_WITHIN_MS, intervalMs: 25 };
    const stopped = await waitFor(
      'the worker to stop the canceled export',
      () => logs.find({ msg: 'export canceled; stopped without sending anything' })[0],
      waitLonger,
    );
    const abort = await waitFor(
      'the worker to abort its multipart upload',
      () => callsOnFile().find((call) => isAbortOf(call, uploadId) && call.status !== undefined),
      waitLonger,
    );
    await waitFor('the COPY to end', async () => ((await runningCopies()).length === 0 ? true : undefined), waitLonger);
    const stoppedAfter = {
      // pino's `time`: when the handler logged its decision, just before returning it.
      handlerReturnedMs: Number(stopped.time) - canceledAt,
      uploadAbortedMs: abort.answeredAt! - canceledAt,
      // When this test saw it: an upper bound.
      copyEndedMs: Date.now() - canceledAt,
    };
    expect(Object.entries(stoppedAfter).filter(([, ms]) => ms >= STOP_WITHIN_MS)).toEqual([]);
    expect(stopped).toMatchObject({ jobId: job.id, because: 'canceled' });
    // Stopped mid-way, not at the end.
    expect(stopped.rowsExported).toBeGreaterThanOrEqual(ROWS_BEFORE_CANCEL);
    expect(stopped.rowsExported).toBeLessThan(ROWS);

    // The abort went through, and nothing was sent after it: no completion, no new part, no plain PUT of the file.
    expect(abort.status).toBe(204);
    expect(callsOnFile().filter((call) => call.startedAt > abort.startedAt)).toEqual([]);
    expect(callsOnFile().filter((call) => call.method === 'POST' && call.query.has('uploadId'))).toEqual([]);
    expect(callsOnFile().filter((call) => call.method === 'PUT' && !call.query.has('uploadId'))).toEqual([]);
    // The emulator agrees: it no longer has the upload, nor a file.
    await expect(env.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))).rejects.toMatchObject({
      name: 'NoSuchUpload',
    });
    await expect(env.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });

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
  });
});

/** The worker's AbortMultipartUpload of `uploadId`: DELETE on the object with that upload id. */
function isAbortOf(call: RecordedRequest, uploadId: string): boolean {
  return call.method === 'DELETE' && call.query.get('uploadId') === uploadId;
}
