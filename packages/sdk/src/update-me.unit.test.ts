import { ApiError, createClient, type CurrentUser } from './index.js';

/**
 * auth.updateMe() against a scripted API (fetch is the stubbed collaborator):
 * the PATCH it sends, the user it resolves with, and the problems it turns
 * into ApiErrors. The route itself is tested in the API's users suite.
 */
const user = {
  id: 'user-1',
  email: 'ann@example.test',
  scopes: ['exports:read', 'exports:write'],
  profile: {},
  created_at: '2026-01-01T00:00:00.000Z',
  emailed_download_links: false,
} satisfies CurrentUser;

function scriptedClient(answer: () => Response) {
  const requests: { method: string; path: string; contentType: string | null; body: unknown }[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const request = input as Request;
    const text = await request.text();
    requests.push({
      method: request.method,
      path: new URL(request.url).pathname,
      contentType: request.headers.get('content-type'),
      body: text ? JSON.parse(text) : undefined,
    });
    return answer();
  };
  const client = createClient({
    baseUrl: 'http://api.test',
    credentials: { accessToken: 'token', accessTokenExpiresAt: Date.now() + 3_600_000 },
    fetch,
  });
  return { client, requests };
}

describe('auth.updateMe', () => {
  it('PATCHes /v1/me with the setting under the API’s name and resolves with the user as it is now', async () => {
    const { client, requests } = scriptedClient(
      () => new Response(JSON.stringify(user), { status: 200, headers: { 'content-type': 'application/json' } }),
    );
    const updated = await client.auth.updateMe({ emailed_download_links: false });
    expect(updated).toEqual(user);
    expect(requests).toEqual([
      {
        method: 'PATCH',
        path: '/v1/me',
        contentType: expect.stringMatching(/^application\/json/),
        body: { emailed_download_links: false },
      },
    ]);
  });

  it('rejects with the ApiError the API answers (403 insufficient_scope for a read-only token)', async () => {
    const { client } = scriptedClient(
      () =>
        new Response(JSON.stringify({ type: 'about:blank', title: 'Forbidden', status: 403, code: 'insufficient_scope' }), {
          status: 403,
          headers: { 'content-type': 'application/problem+json' },
        }),
    );
    const update = client.auth.updateMe({ emailed_download_links: true });
    await expect(update).rejects.toBeInstanceOf(ApiError);
    await expect(update).rejects.toMatchObject({ status: 403, code: 'insufficient_scope' });
  });
});
