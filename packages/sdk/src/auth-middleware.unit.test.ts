import { createClient, type Tokens } from './index.js';

/**
 * The bearer/refresh middleware against a scripted token server (fetch is the
 * stubbed collaborator): which requests go out, with which token, and how many
 * refreshes. client.test.ts runs the same against the real API.
 */
function fakeApi() {
  let generation = 1;
  const requests: { method: string; path: string; auth: string | null; body: string; idempotencyKey: string | null }[] = [];
  const problem = (status: number, code: string) =>
    new Response(JSON.stringify({ type: 'about:blank', title: code, status, code }), {
      status,
      headers: { 'content-type': 'application/problem+json' },
    });
  const fetch: typeof globalThis.fetch = async (input) => {
    const request = input as Request;
    const path = new URL(request.url).pathname;
    const body = await request.text();
    requests.push({
      method: request.method,
      path,
      auth: request.headers.get('authorization'),
      body,
      idempotencyKey: request.headers.get('idempotency-key'),
    });
    if (path === '/v1/auth/refresh') {
      const { refresh_token: presented } = JSON.parse(body) as { refresh_token: string };
      if (presented !== `refresh-${generation}`) return problem(401, 'invalid_refresh_token');
      await new Promise((resolve) => setTimeout(resolve, 20));
      generation += 1;
      return Response.json({
        access_token: `access-${generation}`,
        refresh_token: `refresh-${generation}`,
        token_type: 'Bearer',
        expires_in: 300,
        refresh_expires_in: 2_592_000,
      });
    }
    if (request.headers.get('authorization') !== `Bearer access-${generation}`) return problem(401, 'invalid_token');
    if (path === '/v1/exports' && request.method === 'POST') return Response.json({ id: 'job-1', state: 'queued' }, { status: 202 });
    return Response.json({ items: [] });
  };
  return { fetch, requests };
}

describe('bearer token middleware', () => {
  it('refreshes a due token once for a burst of calls and sends the new token on all of them', async () => {
    const api = fakeApi();
    const saved: Tokens[] = [];
    const client = createClient({
      baseUrl: 'http://api.test',
      credentials: { accessToken: 'access-1', refreshToken: 'refresh-1', accessTokenExpiresAt: Date.now() - 1 },
      onTokens: (tokens) => void saved.push(tokens),
      fetch: api.fetch,
    });

    await Promise.all(Array.from({ length: 10 }, () => client.exports.list()));

    expect(api.requests.filter((request) => request.path === '/v1/auth/refresh')).toHaveLength(1);
    const calls = api.requests.filter((request) => request.path === '/v1/exports');
    expect(calls).toHaveLength(10);
    expect(new Set(calls.map((call) => call.auth))).toEqual(new Set(['Bearer access-2']));
    expect(saved.map((tokens) => tokens.refreshToken)).toEqual(['refresh-2']);
  });

  it('on 401 refreshes once and replays each call, body and headers included', async () => {
    const api = fakeApi();
    const client = createClient({
      baseUrl: 'http://api.test',
      // Looks valid to this machine's clock; the server says otherwise.
      credentials: { accessToken: 'stale', refreshToken: 'refresh-1', accessTokenExpiresAt: Date.now() + 600_000 },
      fetch: api.fetch,
    });

    const [created] = await Promise.all([
      client.exports.create({}, { idempotencyKey: 'key-1' }),
      client.exports.list(),
      client.exports.list(),
    ]);

    expect(created.job.id).toBe('job-1');
    expect(api.requests.filter((request) => request.path === '/v1/auth/refresh')).toHaveLength(1);
    const posts = api.requests.filter((request) => request.method === 'POST' && request.path === '/v1/exports');
    expect(posts.map((post) => [post.auth, post.idempotencyKey])).toEqual([
      ['Bearer stale', 'key-1'],
      ['Bearer access-2', 'key-1'],
    ]);
  });

  it('gives up after one refresh when the API keeps answering 401, and surfaces that 401', async () => {
    const api = fakeApi();
    const stubborn: typeof globalThis.fetch = async (input, init) => {
      const response = await api.fetch(input, init);
      const path = new URL((input as Request).url).pathname;
      return path === '/v1/auth/refresh'
        ? response
        : new Response(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'invalid_token' }), {
            status: 401,
            headers: { 'content-type': 'application/problem+json' },
          });
    };
    const client = createClient({
      baseUrl: 'http://api.test',
      credentials: { accessToken: 'stale', refreshToken: 'refresh-1', accessTokenExpiresAt: Date.now() + 600_000 },
      fetch: stubborn,
    });

    await expect(client.exports.list()).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'invalid_token' });
    expect(api.requests.filter((request) => request.path === '/v1/auth/refresh')).toHaveLength(1);
  });

  it('never sends the bearer token to the token endpoints', async () => {
    const api = fakeApi();
    const client = createClient({ baseUrl: 'http://api.test', credentials: { refreshToken: 'refresh-1' }, fetch: api.fetch });
    await client.exports.list();
    expect(api.requests[0]).toMatchObject({ path: '/v1/auth/refresh', auth: null });
  });
});
