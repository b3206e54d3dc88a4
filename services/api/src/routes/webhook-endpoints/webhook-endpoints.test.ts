import { deliveryIdOf, eventIdOf, type WebhookEndpoint } from '@memberships/core/contract';
import { randomUUID } from 'node:crypto';
import { acknowledgeIamDenials, drainQueue, jsonBodies } from '@memberships/local-platform';
import { bearer, startTestApp, type Member, type TestApp } from '../../testing/test-app';

/**
 * The webhook endpoint routes against DynamoDB Local and the webhook queue
 * (fauxqs), through the IAM gate as the API's role: what the user sees, what
 * the table holds, and the messages the worker would receive. The test app
 * runs without the local loopback allowance, as in AWS; URLs that must pass
 * are literal public addresses, so no DNS is needed.
 */

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  if (t) {
    await drainQueue(t.harness.sqs, t.platform.exportQueueUrl, { waitSeconds: 1 });
    await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 });
  }
  await t?.close();
});

const PUBLIC_URL = 'https://93.184.215.14/hooks/memberships';

type Json = Record<string, any>;

const create = (who: Member, payload: object) =>
  t.request({ method: 'POST', url: '/v1/webhook-endpoints', headers: bearer(who.token), payload });
const get = (who: Member, url: string) => t.request({ method: 'GET', url, headers: bearer(who.token) });
const patch = (who: Member, id: string, payload: object) =>
  t.request({ method: 'PATCH', url: `/v1/webhook-endpoints/${id}`, headers: bearer(who.token), payload });
const remove = (who: Member, id: string) => t.request({ method: 'DELETE', url: `/v1/webhook-endpoints/${id}`, headers: bearer(who.token) });
const rotate = (who: Member, id: string) =>
  t.request({ method: 'POST', url: `/v1/webhook-endpoints/${id}/rotate-secret`, headers: bearer(who.token) });
const resend = (who: Member, id: string, deliveryId: string) =>
  t.request({ method: 'POST', url: `/v1/webhook-endpoints/${id}/deliveries/${deliveryId}/resend`, headers: bearer(who.token) });

async function created(who: Member, payload: object = {}): Promise<Json> {
  const response = await create(who, { url: PUBLIC_URL, events: ['export.succeeded', 'export.failed'], ...payload });
  expect(response.statusCode).toBe(201);
  return response.json();
}

/** A delivery of `endpointId` as the worker's fan-out would write it. */
async function deliveryOf(endpointId: string, jobId: string) {
  const endpoint = (await t.app.webhookStore.getEndpointById(endpointId)) as WebhookEndpoint;
  const eventId = eventIdOf(jobId, 'export.succeeded');
  const { delivery } = await t.app.webhookStore.createDelivery({
    endpoint,
    eventId,
    eventType: 'export.succeeded',
    jobId,
    payload: JSON.stringify({ id: eventId }),
  });
  return delivery;
}

describe('webhook endpoints', () => {
  it('creates an endpoint, shows its secret once, and lists, gets, changes and deletes it', async () => {
    const who = await t.member();
    const response = await create(who, { url: PUBLIC_URL, events: ['export.succeeded'], description: 'billing system' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^we_[0-9a-f]{24}$/),
      url: PUBLIC_URL,
      events: ['export.succeeded'],
      description: 'billing system',
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      links: { self: `/v1/webhook-endpoints/${body.id}`, deliveries: `/v1/webhook-endpoints/${body.id}/deliveries` },
    });
    expect(response.headers.location).toBe(`/v1/webhook-endpoints/${body.id}`);
    // The stored secret is the one shown.
    expect((await t.app.webhookStore.getEndpointById(body.id))?.secret).toBe(body.secret);

    const { secret, ...resource } = body;
    const shown = await get(who, body.links.self);
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(resource);
    expect((await get(who, '/v1/webhook-endpoints')).json()).toEqual({ items: [resource] });

    const changed = await patch(who, body.id, {
      url: 'https://[2606:4700:4700::1111]:8443/in',
      events: ['export.canceled', 'export.expired'],
      description: null,
    });
    expect(changed.statusCode).toBe(200);
    const { description, ...kept } = resource;
    expect(changed.json()).toEqual({
      ...kept,
      url: 'https://[2606:4700:4700::1111]:8443/in',
      events: ['export.canceled', 'export.expired'],
      updated_at: expect.any(String),
    });
    for (const answer of [shown, changed, await get(who, '/v1/webhook-endpoints')]) {
      expect(answer.body).not.toContain(secret);
      expect(answer.body).not.toContain('"secret"');
    }

    expect((await remove(who, body.id)).statusCode).toBe(204);
    expect((await get(who, body.links.self)).json()).toMatchObject({ status: 404, code: 'webhook_endpoint_not_found' });
    expect((await get(who, '/v1/webhook-endpoints')).json()).toEqual({ items: [] });
  });

  it('disables and enables an endpoint through PATCH', async () => {
    const who = await t.member();
    const endpoint = await created(who);
    const disabled = (await patch(who, endpoint.id, { enabled: false })).json();
    expect(disabled).toMatchObject({ status: 'disabled', disabled_at: expect.any(String), disabled_reason: 'disabled_by_user' });
    const enabled = (await patch(who, endpoint.id, { enabled: true })).json();
    expect(enabled.status).toBe('enabled');
    expect(enabled).not.toHaveProperty('disabled_at');
    expect(enabled).not.toHaveProperty('disabled_reason');
  });

  it('rotates the secret: a new one shown once, the previous one still signing for 24 hours', async () => {
    const who = await t.member();
    const endpoint = await created(who);
    const response = await rotate(who, endpoint.id);
    expect(response.statusCode).toBe(200);
    const rotated = response.json();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.previous_secret_expires_at) - Date.parse(rotated.updated_at)).toBe(24 * 3600 * 1000);
    const stored = await t.app.webhookStore.getEndpointById(endpoint.id);
    expect(stored).toMatchObject({ secret: rotated.secret, previousSecret: endpoint.secret });

    const shown = await get(who, endpoint.links.self);
    expect(shown.json().previous_secret_expires_at).toBe(rotated.previous_secret_expires_at);
    expect(shown.body).not.toContain(rotated.secret);
    expect(shown.body).not.toContain(endpoint.secret);
    // Once it has expired, it is not mentioned any more.
    t.clock.advance(24 * 3600 * 1000 + 1000);
    try {
      expect((await get(who, endpoint.links.self)).json()).not.toHaveProperty('previous_secret_expires_at');
    } finally {
      t.clock.reset();
    }
  });

  it('holds the per-user limit (409 webhook_endpoint_limit_reached), and a delete frees a place', async () => {
    const who = await t.member();
    const endpoints = await Promise.all(Array.from({ length: 5 }, () => created(who)));
    const refused = await create(who, { url: PUBLIC_URL, events: ['export.failed'] });
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'webhook_endpoint_limit_reached', limit: 5 });
    // Another user is not held to this user's count.
    await created(await t.member());

    expect((await remove(who, endpoints[0]!.id)).statusCode).toBe(204);
    await created(who);
    expect((await get(who, '/v1/webhook-endpoints')).json().items).toHaveLength(5);
  });

  it.each([
    ['https://10.0.0.1/', 'address_refused'],
    ['http://127.0.0.1:9/', 'scheme_not_allowed'],
    ['https://169.254.169.254/latest/meta-data/', 'address_refused'],
    ['https://[::1]/', 'address_refused'],
    ['https://127.0.0.1/', 'address_refused'],
    ['https://localhost:8443/', 'address_refused'],
    ['https://[::ffff:127.0.0.1]/', 'address_refused'],
    ['https://user:pw@example.com/', 'credentials_in_url'],
    ['ftp://example.com/', 'scheme_not_allowed'],
    ['https://93.184.215.14:22/', 'port_not_allowed'],
    ['not a url', 'invalid_url'],
  ])('refuses %s with 422 webhook_url_refused (%s), on create and on a change of URL', async (url, reason) => {
    const who = await t.member();
    const response = await create(who, { url, events: ['export.succeeded'] });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 422,
      code: 'webhook_url_refused',
      reason,
      detail: expect.stringMatching(/^The URL is not allowed: /),
    });
    expect((await get(who, '/v1/webhook-endpoints')).json()).toEqual({ items: [] });

    const endpoint = await created(who);
    const change = await patch(who, endpoint.id, { url, events: ['export.failed'] });
    expect(change.statusCode).toBe(422);
    expect(change.json()).toMatchObject({ code: 'webhook_url_refused', reason });
    // Nothing of the change was applied.
    const { secret, ...resource } = endpoint;
    expect((await get(who, endpoint.links.self)).json()).toEqual(resource);
  });

  it.each([
    [{ url: PUBLIC_URL, events: [] }, 'events'],
    [{ url: PUBLIC_URL, events: ['export.succeeded', 'export.succeeded'] }, 'events'],
    [{ url: PUBLIC_URL, events: ['export.started'] }, 'events'],
    [{ url: PUBLIC_URL }, 'events'],
    [{ events: ['export.failed'] }, 'url'],
    [{ url: PUBLIC_URL, events: ['export.failed'], description: 'x'.repeat(201) }, 'description'],
    [{ url: PUBLIC_URL, events: ['export.failed'], secret: 'whsec_mine' }, 'secret'],
  ])('answers 400 validation_failed to the body %j, naming %s', async (payload, field) => {
    const who = await t.member();
    const response = await create(who, payload);
    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe('validation_failed');
    expect(JSON.stringify(response.json().errors)).toContain(field);
    expect((await get(who, '/v1/webhook-endpoints')).json()).toEqual({ items: [] });
  });

  it('answers 404 on every route to another user, and changes nothing', async () => {
    const owner = await t.member();
    const stranger = await t.member();
    const endpoint = await created(owner);
    const delivery = await deliveryOf(endpoint.id, 'job-of-owner');
    const base = `/v1/webhook-endpoints/${endpoint.id}`;

    const answers = [
      await get(stranger, base),
      await patch(stranger, endpoint.id, { enabled: false }),
      await patch(stranger, endpoint.id, { url: 'https://10.0.0.1/' }),
      await remove(stranger, endpoint.id),
      await rotate(stranger, endpoint.id),
      await get(stranger, `${base}/deliveries`),
      await resend(stranger, endpoint.id, delivery.id),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(404);
      expect(answer.json().code).toBe('webhook_endpoint_not_found');
    }
    expect((await get(stranger, '/v1/webhook-endpoints')).json()).toEqual({ items: [] });

    const stored = await t.app.webhookStore.getEndpointById(endpoint.id);
    expect(stored).toMatchObject({ status: 'enabled', secret: endpoint.secret });
    expect(await t.app.webhookStore.getDeliveryById(delivery.id)).toEqual(delivery);
    // And the stranger's resend sent nothing.
    const messages = jsonBodies(await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 }));
    expect(messages.filter((message) => message.deliveryId === delivery.id)).toEqual([]);
  });

  it('needs webhooks:write to create and webhooks:read to list', async () => {
    const user = await t.createUser({ scopes: ['exports:read', 'exports:write'] });
    const token = await t.login(user);
    const who = { user, token };
    expect((await create(who, { url: PUBLIC_URL, events: ['export.failed'] })).json()).toMatchObject({
      status: 403,
      code: 'insufficient_scope',
    });
    expect((await get(who, '/v1/webhook-endpoints')).statusCode).toBe(403);

    const reader = await t.createUser({ scopes: ['webhooks:read'] });
    const readerToken = { user: reader, token: await t.login(reader) };
    expect((await get(readerToken, '/v1/webhook-endpoints')).statusCode).toBe(200);
    expect((await create(readerToken, { url: PUBLIC_URL, events: ['export.failed'] })).statusCode).toBe(403);
  });
});

describe('deliveries', () => {
  it('lists an endpoint’s deliveries newest first, in pages, without their payload', async () => {
    const who = await t.member();
    const endpoint = await created(who);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push((await deliveryOf(endpoint.id, `job-list-${n}`)).id);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const first = await get(who, `${endpoint.links.deliveries}?limit=2`);
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.items.map((d: Json) => d.id)).toEqual([ids[2], ids[1]]);
    expect(page.items[0]).toEqual({
      id: ids[2],
      event_id: eventIdOf('job-list-3', 'export.succeeded'),
      event_type: 'export.succeeded',
      job_id: 'job-list-3',
      status: 'pending',
      attempt_count: 0,
      attempts: [],
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const second = (await get(who, `${endpoint.links.deliveries}?limit=2&cursor=${encodeURIComponent(page.next_cursor)}`)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[0] })] });

    const badCursor = await get(who, `${endpoint.links.deliveries}?cursor=abc`);
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().code).toBe('invalid_cursor');
    // A cursor of one endpoint does not page through another's.
    const other = await created(who);
    expect((await get(who, `${other.links.deliveries}?cursor=${encodeURIComponent(page.next_cursor)}`)).json().code).toBe('invalid_cursor');
    expect((await get(who, `${endpoint.links.deliveries}?limit=0`)).statusCode).toBe(400);
    expect((await get(who, `${endpoint.links.deliveries}?limit=101`)).statusCode).toBe(400);
  });

  it('resend makes the delivery pending again and sends one webhook.delivery (trigger manual) to the webhook queue', async () => {
    const who = await t.member();
    const endpoint = await created(who);
    const delivery = await deliveryOf(endpoint.id, 'job-resend');
    await t.app.webhookStore.recordAttempt(
      delivery.id,
      { at: new Date().toISOString(), responseStatus: 500, durationMs: 12, error: 'http_500', trigger: 'automatic' },
      { status: 'failed' },
    );
    await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 });

    const response = await resend(who, endpoint.id, delivery.id);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({
      id: delivery.id,
      status: 'pending',
      attempt_count: 1,
      next_retry_at: expect.any(String),
      attempts: [{ response_status: 500, duration_ms: 12, error: 'http_500', trigger: 'automatic' }],
    });
    expect(await t.app.webhookStore.getDeliveryById(delivery.id)).toMatchObject({ status: 'pending' });

    const messages = jsonBodies(await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 }));
    expect(messages).toEqual([
      { type: 'webhook.delivery', version: 1, deliveryId: delivery.id, endpointId: endpoint.id, userId: who.user.id, trigger: 'manual' },
    ]);
  });

  it('resend answers 404 for an unknown delivery and 409 while the endpoint is disabled, and sends nothing', async () => {
    const who = await t.member();
    const endpoint = await created(who);
    const delivery = await deliveryOf(endpoint.id, 'job-disabled');
    const unknown = await resend(who, endpoint.id, deliveryIdOf(endpoint.id, 'evt_nothing'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('webhook_delivery_not_found');
    // A delivery of another of the user's endpoints is not one of this endpoint's.
    const other = await created(who);
    expect((await resend(who, other.id, delivery.id)).json().code).toBe('webhook_delivery_not_found');

    await patch(who, endpoint.id, { enabled: false });
    const disabled = await resend(who, endpoint.id, delivery.id);
    expect(disabled.statusCode).toBe(409);
    expect(disabled.json().code).toBe('webhook_endpoint_disabled');

    const messages = jsonBodies(await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 }));
    expect(messages.filter((message) => message.type === 'webhook.delivery' && message.userId === who.user.id)).toEqual([]);
  });
});

describe('POST /v1/exports/{id}/cancel', () => {
  it('sends exactly one event.occurred export.canceled to the webhook queue, on the transition only', async () => {
    const who = await t.member();
    await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 });
    const { id } = (await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(who.token) })).json();
    const canceled = await t.request({ method: 'POST', url: `/v1/exports/${id}/cancel`, headers: bearer(who.token) });
    expect(canceled.statusCode).toBe(200);
    // A second cancel is a 409 and emits nothing more.
    expect((await t.request({ method: 'POST', url: `/v1/exports/${id}/cancel`, headers: bearer(who.token) })).statusCode).toBe(409);

    const messages = jsonBodies(await drainQueue(t.harness.sqs, t.platform.webhookQueueUrl, { waitSeconds: 1 }));
    expect(messages).toEqual([
      {
        type: 'event.occurred',
        version: 1,
        eventId: eventIdOf(id, 'export.canceled'),
        eventType: 'export.canceled',
        jobId: id,
        userId: who.user.id,
        occurredAt: canceled.json().finished_at,
      },
    ]);
  });

  it('stays a done cancel (200, canceled) when the event cannot be sent; a resend then answers 503', async () => {
    const broken = await startTestApp({
      platform: t.platform,
      keys: t.keys,
      env: { WEBHOOK_QUEUE_URL: `${t.platform.aws.endpoints.sqs}/000000000000/no-such-webhook-queue-${randomUUID()}` },
    });
    try {
      const who = await t.member();
      const { id } = (await broken.request({ method: 'POST', url: '/v1/exports', headers: bearer(who.token) })).json();
      const canceled = await broken.request({ method: 'POST', url: `/v1/exports/${id}/cancel`, headers: bearer(who.token) });
      expect(canceled.statusCode).toBe(200);
      expect(canceled.json().state).toBe('canceled');

      const endpoint = await created(who);
      const delivery = await deliveryOf(endpoint.id, 'job-broken-queue');
      const queued = await broken.request({
        method: 'POST',
        url: `/v1/webhook-endpoints/${endpoint.id}/deliveries/${delivery.id}/resend`,
        headers: bearer(who.token),
      });
      expect(queued.statusCode).toBe(503);
      expect(queued.json()).toMatchObject({ code: 'webhook_queue_unavailable' });
      expect(queued.headers['retry-after']).toBe('5');
      // In AWS the task role may send only to its queues: every attempt was refused (three for the cancel, one for the resend).
      expect(await acknowledgeIamDenials('no-such-webhook-queue-')).toBeGreaterThanOrEqual(4);
    } finally {
      await broken.close();
    }
  });
});
