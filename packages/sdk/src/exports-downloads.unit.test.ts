import { ApiError, createClient, type ExportDownloads, type ExportJob } from './index.js';
import { DEFAULT_JOB_OPTIONS } from './testing/job-fixtures.js';

/**
 * exports.downloads() and exports.revokeLink() against a scripted API (fetch
 * is the stubbed collaborator): the requests they make, what they resolve
 * with, and the problems they turn into ApiErrors. The routes themselves are
 * tested in the API's exports and links suites.
 */
const record = {
  download_count: 3,
  last_downloaded_at: '2026-12-01T09:30:00.000Z',
  items: [
    { at: '2026-12-01T09:30:00.000Z', via: 'email_link', client_address: '203.0.113.7', user_agent: 'Mozilla/5.0' },
    { at: '2026-12-01T08:00:00.000Z', via: 'cli', client_address: '198.51.100.2', user_agent: 'memberships-cli/1.0.0' },
    { at: '2026-12-01T07:00:00.000Z', via: 'api', client_address: '2001:db8::1' },
  ],
} satisfies ExportDownloads;

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

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

const problem = (status: number, code: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: code, status, code, detail: `${code} detail` }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

describe('exports.downloads', () => {
  it('GETs /v1/exports/{id}/downloads with the token and resolves with the count and the records as the API names them', async () => {
    const { client, requests } = scriptedClient(() => json(record));
    const downloads = await client.exports.downloads('job-1');
    expect(downloads).toEqual(record);
    expect(downloads.items[0]?.via).toBe('email_link');
    expect(requests).toEqual([{ method: 'GET', path: '/v1/exports/job-1/downloads', authorization: 'Bearer token' }]);
  });

  it('resolves a file nobody downloaded yet without last_downloaded_at', async () => {
    const { client } = scriptedClient(() => json({ download_count: 0, items: [] }));
    const downloads = await client.exports.downloads('job-1');
    expect(downloads).toEqual({ download_count: 0, items: [] });
    expect(downloads.last_downloaded_at).toBeUndefined();
  });

  it('escapes the id in the path', async () => {
    const { client, requests } = scriptedClient(() => json(record));
    await client.exports.downloads('a/b');
    expect(requests[0]?.path).toBe('/v1/exports/a%2Fb/downloads');
  });

  it('rejects with ApiError export_not_found (404) for an unknown id or another user’s export', async () => {
    const { client } = scriptedClient(() => problem(404, 'export_not_found'));
    const downloads = client.exports.downloads('job-1');
    await expect(downloads).rejects.toBeInstanceOf(ApiError);
    await expect(downloads).rejects.toMatchObject({ status: 404, code: 'export_not_found' });
  });
});

describe('exports.revokeLink', () => {
  it('DELETEs /v1/exports/{id}/link with the token and resolves with nothing on 204', async () => {
    const { client, requests } = scriptedClient(() => new Response(null, { status: 204 }));
    await expect(client.exports.revokeLink('job-1')).resolves.toBeUndefined();
    expect(requests).toEqual([{ method: 'DELETE', path: '/v1/exports/job-1/link', authorization: 'Bearer token' }]);
  });

  it('rejects with ApiError export_not_found (404), and insufficient_scope (403) for a read-only token', async () => {
    const missing = scriptedClient(() => problem(404, 'export_not_found')).client.exports.revokeLink('job-1');
    await expect(missing).rejects.toBeInstanceOf(ApiError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'export_not_found' });
    const readOnly = scriptedClient(() => problem(403, 'insufficient_scope')).client.exports.revokeLink('job-1');
    await expect(readOnly).rejects.toMatchObject({ status: 403, code: 'insufficient_scope' });
  });
});

describe('jobs with a file', () => {
  it('carry download_count, last_downloaded_at, expires_at and links.downloads as the API sends them', async () => {
    const job = {
      id: 'job-1',
      state: 'succeeded',
      trigger: 'api',
      created_at: '2026-12-01T06:00:00.000Z',
      updated_at: '2026-12-01T06:01:00.000Z',
      finished_at: '2026-12-01T06:01:00.000Z',
      expires_at: '2026-12-08T06:01:00.000Z',
      attempts: 1,
      progress: { rows_exported: 3, rows_total: 3 },
      options: DEFAULT_JOB_OPTIONS,
      file: { rows: 3, bytes: 120, sha256: 'a'.repeat(64), content_type: 'text/csv; charset=utf-8' },
      delivery: { method: 'app', to: 'ann@example.test', emailed_at: '2026-12-01T06:01:00.000Z' },
      download_count: 2,
      last_downloaded_at: '2026-12-01T09:30:00.000Z',
      links: { self: '/v1/exports/job-1', download: '/v1/exports/job-1/download', downloads: '/v1/exports/job-1/downloads' },
    } satisfies ExportJob;
    const { client } = scriptedClient(() => json(job));
    const got = await client.exports.get('job-1');
    expect({ count: got.download_count, last: got.last_downloaded_at, method: got.delivery?.method }).toEqual({
      count: 2,
      last: '2026-12-01T09:30:00.000Z',
      method: 'app',
    });
  });
});
