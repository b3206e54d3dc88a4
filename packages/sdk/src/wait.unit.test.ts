import {
  ApiError,
  createClient,
  ExportCanceledError,
  ExportExpiredError,
  ExportFailedError,
  isSucceededExport,
  MembershipsError,
  UnexpectedResponseError,
  WaitTimeoutError,
  type ExportJob,
  type SucceededExportJob,
} from './index.js';

/**
 * exports.wait() against a scripted API (fetch is the stubbed collaborator), to
 * pin its rules: progress callbacks, final states, timeout, abort, transient
 * failures. The same helper runs against the real API in client.test.ts.
 */
const file = { rows: 100, bytes: 4_096, sha256: 'ab'.repeat(32), content_type: 'text/csv; charset=utf-8' };
const delivery = { method: 'attachment', to: 'ann@example.test', emailed_at: '2025-01-01T00:01:00.000Z' } as const;

/** A job as the API answers it; a succeeded one has what the API sets on success. */
function job(state: ExportJob['state'], rows: number, extra: Partial<ExportJob> = {}): ExportJob {
  const success =
    state === 'succeeded'
      ? {
          file,
          delivery,
          finished_at: '2025-01-01T00:01:00.000Z',
          links: { self: '/v1/exports/job-1', download: '/v1/exports/job-1/download' },
        }
      : {};
  return {
    id: 'job-1',
    state,
    trigger: 'api',
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:00.000Z',
    attempts: state === 'queued' ? 0 : 1,
    progress: { rows_exported: rows, rows_total: 100 },
    links: { self: '/v1/exports/job-1' },
    ...success,
    ...extra,
  } as ExportJob;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' },
  });

function scriptedClient(answers: (() => Response)[]) {
  const calls: string[] = [];
  let last: (() => Response) | undefined;
  const fetch: typeof globalThis.fetch = async (input) => {
    calls.push(new URL((input as Request).url).pathname);
    const next = answers.shift() ?? last;
    last = next;
    if (!next) throw new Error('script ran out');
    return next();
  };
  const client = createClient({
    baseUrl: 'http://api.test',
    credentials: { accessToken: 'token', accessTokenExpiresAt: Date.now() + 3_600_000 },
    fetch,
  });
  return { client, calls };
}

describe('exports.wait', () => {
  it('reports each change of state or progress once and resolves with the succeeded job', async () => {
    const { client } = scriptedClient([
      () => json(job('queued', 0)),
      () => json(job('queued', 0)),
      () => json(job('running', 40)),
      () => json(job('running', 40)),
      () => json(job('running', 90)),
      () => json(job('succeeded', 100)),
    ]);
    const seen: string[] = [];

    const done = await client.exports.wait('job-1', {
      intervalMs: 1,
      onProgress: (update) => void seen.push(`${update.state}:${update.progress.rows_exported}`),
    });

    expect(done.state).toBe('succeeded');
    expect(seen).toEqual(['queued:0', 'running:40', 'running:90', 'succeeded:100']);
  });

  it('resolves with a job typed as succeeded: its file facts need no optional chaining', async () => {
    const { client } = scriptedClient([() => json(job('running', 10)), () => json(job('succeeded', 100))]);

    // Typed: tsc --build compiles this test, and `done.file.sha256` on a plain ExportJob would not.
    const done: SucceededExportJob = await client.exports.wait('job-1', { intervalMs: 1 });
    const facts: { rows: number; bytes: number; sha256: string; finishedAt: string; download: string } = {
      rows: done.file.rows,
      bytes: done.file.bytes,
      sha256: done.file.sha256,
      finishedAt: done.finished_at,
      download: done.links.download,
    };

    expect(facts).toEqual({
      rows: 100,
      bytes: 4_096,
      sha256: file.sha256,
      finishedAt: '2025-01-01T00:01:00.000Z',
      download: '/v1/exports/job-1/download',
    });
    expect(isSucceededExport(done)).toBe(true);
    expect(isSucceededExport(job('running', 10))).toBe(false);
  });

  it("rejects with ExportFailedError carrying the job's code and message", async () => {
    const failed = job('failed', 0, { error: { code: 'database_unavailable', message: 'The database did not answer' } });
    const { client } = scriptedClient([() => json(job('running', 10)), () => json(failed)]);

    const waiting = client.exports.wait('job-1', { intervalMs: 1 });

    await expect(waiting).rejects.toBeInstanceOf(ExportFailedError);
    await expect(waiting).rejects.toBeInstanceOf(MembershipsError);
    await expect(waiting).rejects.toMatchObject({
      name: 'ExportFailedError',
      code: 'database_unavailable',
      jobId: 'job-1',
      reason: 'The database did not answer',
      message: 'Export job-1 failed: The database did not answer (database_unavailable)',
      job: { state: 'failed' },
    });
  });

  it('ends on a canceled job with ExportCanceledError, polling no further', async () => {
    const { client, calls } = scriptedClient([() => json(job('running', 10)), () => json(job('canceled', 10))]);
    const waiting = client.exports.wait('job-1', { intervalMs: 1 });
    await expect(waiting).rejects.toBeInstanceOf(ExportCanceledError);
    await expect(waiting).rejects.toBeInstanceOf(MembershipsError);
    await expect(waiting).rejects.toMatchObject({ code: 'export_canceled', jobId: 'job-1', job: { state: 'canceled' } });
    expect(calls).toHaveLength(2);
  });

  it('ends on an expired job with ExportExpiredError that says when and what to do', async () => {
    const expired = job('expired', 100, { file, expires_at: '2025-01-08T00:01:00.000Z' });
    const { client, calls } = scriptedClient([() => json(expired)]);
    const waiting = client.exports.wait('job-1', { intervalMs: 1 });
    await expect(waiting).rejects.toBeInstanceOf(ExportExpiredError);
    await expect(waiting).rejects.toMatchObject({
      code: 'export_expired',
      jobId: 'job-1',
      message: 'The file of export job-1 expired at 2025-01-08T00:01:00.000Z and was deleted; request a new export.',
    });
    expect(calls).toHaveLength(1);
  });

  it('gives a failed job without a reason the code export_failed', async () => {
    const { client } = scriptedClient([() => json(job('failed', 0))]);
    await expect(client.exports.wait('job-1', { intervalMs: 1 })).rejects.toMatchObject({
      name: 'ExportFailedError',
      code: 'export_failed',
      reason: undefined,
      message: 'Export job-1 failed: no reason given',
    });
  });

  it('does not resolve with a succeeded job that lacks its file: UnexpectedResponseError names what is missing', async () => {
    const bare = job('succeeded', 100, { file: undefined });
    const { client, calls } = scriptedClient([() => json(bare)]);

    const waiting = client.exports.wait('job-1', { intervalMs: 1 });

    await expect(waiting).rejects.toBeInstanceOf(UnexpectedResponseError);
    await expect(waiting).rejects.toMatchObject({ code: 'unexpected_response', message: expect.stringContaining('without file') });
    expect(calls).toHaveLength(1);
  });

  it('gives up after timeoutMs with the job as last seen', async () => {
    const { client } = scriptedClient([() => json(job('running', 10))]);
    const waiting = client.exports.wait('job-1', { intervalMs: 5, timeoutMs: 60 });
    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(waiting).rejects.toMatchObject({ jobId: 'job-1', lastJob: { state: 'running' } });
  });

  it('stops at once when the signal aborts, with an AbortError', async () => {
    const { client, calls } = scriptedClient([() => json(job('running', 10))]);
    const controller = new AbortController();
    const waiting = client.exports.wait('job-1', {
      intervalMs: 60_000,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toHaveLength(1);
  });

  it('rides out a brief outage (503) and carries on', async () => {
    const outage = () => json({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable' }, 503);
    const { client } = scriptedClient([outage, outage, () => json(job('succeeded', 100))]);
    await expect(client.exports.wait('job-1', { intervalMs: 1 })).resolves.toMatchObject({ state: 'succeeded' });
  });

  it('does not retry what will not get better (404)', async () => {
    const { client, calls } = scriptedClient([
      () => json({ type: 'about:blank', title: 'Not Found', status: 404, code: 'export_not_found', detail: 'No such export.' }, 404),
    ]);
    await expect(client.exports.wait('job-1', { intervalMs: 1 })).rejects.toBeInstanceOf(ApiError);
    expect(calls).toHaveLength(1);
  });
});
