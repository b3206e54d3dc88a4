import { createClient, ExportFailedError, WaitTimeoutError, ApiError, type ExportJob } from './index.js';

/**
 * exports.wait() against a scripted API (fetch is the stubbed collaborator), to
 * pin its rules: progress callbacks, final states, timeout, abort, transient
 * failures. The same helper runs against the real API in client.test.ts.
 */
function job(state: ExportJob['state'], rows: number, extra: Partial<ExportJob> = {}): ExportJob {
  return {
    id: 'job-1',
    state,
    trigger: 'api',
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:00.000Z',
    attempts: state === 'queued' ? 0 : 1,
    progress: { rows_exported: rows, rows_total: 100 },
    links: { self: '/v1/exports/job-1' },
    ...extra,
  } as ExportJob;
}

const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' } });

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

    const done = await client.exports.wait('job-1', { intervalMs: 1, onProgress: (update) => void seen.push(`${update.state}:${update.progress.rows_exported}`) });

    expect(done.state).toBe('succeeded');
    expect(seen).toEqual(['queued:0', 'running:40', 'running:90', 'succeeded:100']);
  });

  it('rejects with ExportFailedError carrying the job\'s code and message', async () => {
    const failed = job('failed', 0, { error: { code: 'database_unavailable', message: 'The database did not answer' } });
    const { client } = scriptedClient([() => json(job('running', 10)), () => json(failed)]);

    const waiting = client.exports.wait('job-1', { intervalMs: 1 });

    await expect(waiting).rejects.toBeInstanceOf(ExportFailedError);
    await expect(waiting).rejects.toMatchObject({ code: 'database_unavailable', job: { state: 'failed' } });
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
