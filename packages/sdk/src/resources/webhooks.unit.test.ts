import { ApiError, type CreatedWebhookEndpoint, type WebhookDelivery, type WebhookEndpoint } from '../index.js';
import { json, scriptedClient } from '../testing/scripted-api.js';

/**
 * client.webhooks against a scripted API (fetch is the stubbed collaborator):
 * which request each method sends and what it makes of the answer. The same
 * methods run against the real API in src/webhooks.test.ts.
 */
const id = 'we_0123456789abcdef01234567';
const endpoint: WebhookEndpoint = {
  id,
  url: 'https://hooks.example.test/memberships',
  events: ['export.succeeded', 'export.failed'],
  description: 'billing sync',
  status: 'enabled',
  created_at: '2026-03-01T06:00:00.000Z',
  updated_at: '2026-03-01T06:00:00.000Z',
  links: { self: `/v1/webhook-endpoints/${id}`, deliveries: `/v1/webhook-endpoints/${id}/deliveries` },
};
const created: CreatedWebhookEndpoint = { ...endpoint, secret: 'whsec_c2VjcmV0LW9mLXRoZS1lbmRwb2ludC0zMi1ieXRlcw' };
const delivery = (n: number): WebhookDelivery => ({
  id: `wd_${String(n).padStart(24, '0')}`,
  event_id: `evt_${String(n).padStart(24, '0')}`,
  event_type: 'export.succeeded',
  job_id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c',
  status: 'succeeded',
  attempt_count: 1,
  attempts: [{ at: '2026-03-01T06:00:06.000Z', response_status: 200, duration_ms: 42, trigger: 'automatic' }],
  created_at: '2026-03-01T06:00:05.000Z',
  updated_at: '2026-03-01T06:00:06.000Z',
});

describe('client.webhooks', () => {
  it('creates with the API body and returns the endpoint with its secret', async () => {
    const { client, sent } = scriptedClient(() => json(created, 201));

    await expect(
      client.webhooks.create({ url: endpoint.url, events: ['export.succeeded', 'export.failed'], description: 'billing sync' }),
    ).resolves.toEqual(created);

    expect(sent).toEqual([
      {
        method: 'POST',
        path: '/v1/webhook-endpoints',
        query: '',
        body: { url: endpoint.url, events: ['export.succeeded', 'export.failed'], description: 'billing sync' },
      },
    ]);
  });

  it("lists, gets, updates, rotates, deletes and resends at the contract's paths", async () => {
    const { client, sent } = scriptedClient(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 204 });
      if (path === '/v1/webhook-endpoints') return json({ items: [endpoint] });
      if (path.endsWith('/rotate-secret')) return json(created);
      if (path.endsWith('/resend')) return json({ ...delivery(1), status: 'pending' }, 202);
      return json(endpoint);
    });

    await expect(client.webhooks.list()).resolves.toEqual({ items: [endpoint] });
    await expect(client.webhooks.get(id)).resolves.toEqual(endpoint);
    await client.webhooks.update(id, { enabled: false, description: null });
    await expect(client.webhooks.rotateSecret(id)).resolves.toMatchObject({ secret: created.secret });
    await expect(client.webhooks.resend(id, delivery(1).id)).resolves.toMatchObject({ id: delivery(1).id, status: 'pending' });
    await expect(client.webhooks.delete(id)).resolves.toBeUndefined();

    expect(sent.map(({ method, path, body }) => [method, path, body])).toEqual([
      ['GET', '/v1/webhook-endpoints', undefined],
      ['GET', `/v1/webhook-endpoints/${id}`, undefined],
      ['PATCH', `/v1/webhook-endpoints/${id}`, { enabled: false, description: null }],
      ['POST', `/v1/webhook-endpoints/${id}/rotate-secret`, undefined],
      ['POST', `/v1/webhook-endpoints/${id}/deliveries/${delivery(1).id}/resend`, undefined],
      ['DELETE', `/v1/webhook-endpoints/${id}`, undefined],
    ]);
  });

  it('pages deliveries with limit and cursor, and allDeliveries follows next_cursor to the end', async () => {
    const pages: Record<string, unknown> = {
      '': { items: [delivery(1), delivery(2)], next_cursor: 'c2' },
      c2: { items: [delivery(3)], next_cursor: 'c3' },
      c3: { items: [] },
    };
    const { client, sent } = scriptedClient(({ query }) => json(pages[new URLSearchParams(query).get('cursor') ?? '']));

    await expect(client.webhooks.deliveries(id, { limit: 2, cursor: 'c2' })).resolves.toEqual(pages.c2);
    expect(sent[0]).toMatchObject({ path: `/v1/webhook-endpoints/${id}/deliveries`, query: '?limit=2&cursor=c2' });

    const seen: string[] = [];
    for await (const item of client.webhooks.allDeliveries(id, { limit: 2 })) seen.push(item.id);
    expect(seen).toEqual([delivery(1).id, delivery(2).id, delivery(3).id]);
    expect(sent.slice(1).map((entry) => entry.query)).toEqual(['?limit=2', '?limit=2&cursor=c2', '?limit=2&cursor=c3']);
  });

  it('keeps ids with reserved characters inside their path segments', async () => {
    const { client, sent } = scriptedClient(() => json(delivery(1), 202));
    await client.webhooks.resend('a/../b', 'c?d');
    expect(sent[0]?.path).toBe('/v1/webhook-endpoints/a%2F..%2Fb/deliveries/c%3Fd/resend');
  });

  it("turns a refused URL into an ApiError with the API's code and reason", async () => {
    const problem = {
      type: 'about:blank',
      title: 'Webhook URL refused',
      status: 422,
      code: 'webhook_url_refused',
      detail: 'The URL must use https.',
      reason: 'scheme_not_allowed',
    };
    const { client } = scriptedClient(() => json(problem, 422));
    const creating = client.webhooks.create({ url: 'http://hooks.example.test/', events: ['export.succeeded'] });
    await expect(creating).rejects.toBeInstanceOf(ApiError);
    await expect(creating).rejects.toMatchObject({ status: 422, code: 'webhook_url_refused', message: 'The URL must use https.' });
    await expect(client.webhooks.delete(id)).rejects.toMatchObject({ status: 422, code: 'webhook_url_refused', problem });
  });
});
