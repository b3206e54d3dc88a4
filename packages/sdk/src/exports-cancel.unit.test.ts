import { ApiError, createClient, type ExportJob } from './index.js';
import { DEFAULT_JOB_OPTIONS } from './testing/job-fixtures.js';

/**
 * exports.cancel() against a scripted API (fetch is the stubbed collaborator):
 * the request it makes, the job it resolves with, and the problems it turns
 * into ApiErrors. The route itself is tested in the API's cancel.test.ts.
 */
const canceled = {
  id: 'job-1',
  state: 'canceled',
  trigger: 'api',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:05.000Z',
  finished_at: '2025-01-01T00:00:05.000Z',
  attempts: 1,
  progress: { rows_exported: 10, rows_total: 100 },
  options: DEFAULT_JOB_OPTIONS,
  links: { self: '/v1/exports/job-1' },
} satisfies ExportJob;

function scriptedClient(answer: () => Response) {
  const requests: { method: string; path: string; authorization: string | null }[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const request = input as Request;
    requests.push({ method: request.method, path: new URL(request.url).pathname, authorization: request.headers.get('authorization') });
    return answer();
  };
  const client = createClient({
    baseUrl: 'http://api.test',
    credentials: { accessToken: 'token', accessTokenExpiresAt: Date.now() + 3_600_000 },
    fetch,
  });
  return { client, requests };
}

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title: code, status, code, detail: `${code} detail`, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

describe('exports.cancel', () => {
  it('POSTs /v1/exports/{id}/cancel with the token and resolves with the canceled job', async () => {
    const { client, requests } = scriptedClient(
      () => new Response(JSON.stringify(canceled), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const job = await client.exports.cancel('job-1');
    expect(job).toEqual(canceled);
    expect(requests).toEqual([{ method: 'POST', path: '/v1/exports/job-1/cancel', authorization: 'Bearer token' }]);
  });

  it('escapes the id in the path', async () => {
    const { client, requests } = scriptedClient(
      () => new Response(JSON.stringify(canceled), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    await client.exports.cancel('a/b');
    expect(requests[0]?.path).toBe('/v1/exports/a%2Fb/cancel');
  });

  it('rejects with ApiError export_already_finished (409, with the state) for an export that has ended', async () => {
    const { client } = scriptedClient(() => problem(409, 'export_already_finished', { state: 'succeeded' }));
    const cancel = client.exports.cancel('job-1');
    await expect(cancel).rejects.toBeInstanceOf(ApiError);
    await expect(cancel).rejects.toMatchObject({ status: 409, code: 'export_already_finished', problem: { state: 'succeeded' } });
  });

  it('rejects with ApiError export_not_found (404) for an unknown id or another user’s export', async () => {
    const { client } = scriptedClient(() => problem(404, 'export_not_found'));
    await expect(client.exports.cancel('job-1')).rejects.toMatchObject({ status: 404, code: 'export_not_found' });
  });
});
