import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '@memberships/core/config';
import {
  DELIVERY_ATTEMPTS_KEPT,
  DELIVERY_RETENTION_DAYS,
  deliveryIdOf,
  eventIdOf,
  PREVIOUS_SECRET_VALIDITY_MS,
  type DeliveryAttempt,
} from '@memberships/core/contract';
import { InvalidCursorError } from '@memberships/core/dynamodb';
import {
  DISABLED_BY_USER,
  WebhookDeliveryNotFoundError,
  WebhookEndpointLimitError,
  WebhookEndpointNotFoundError,
  WebhookStore,
} from '@memberships/core/webhooks';
import { provisionTestResources, testAwsSettings } from '@memberships/local-platform';

// The webhook records' guarantees, against DynamoDB Local through the real
// SDK: the per-user limit under concurrent requests, one user never reaching
// another's endpoints, secret rotation, one delivery per endpoint and event,
// and exactly one lane disabling a failing endpoint.
describe('WebhookStore (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let clock: Date;
  let store: WebhookStore;

  beforeAll(async () => {
    const { names } = await provisionTestResources();
    client = new DynamoDBClient(clientOptions(testAwsSettings(), 'dynamodb'));
    clock = new Date('2026-12-02T10:00:00.000Z');
    store = new WebhookStore({ client, table: names.tables.webhooks, now: () => clock });
  });

  afterAll(() => client.destroy());

  const tick = (ms = 1000) => {
    clock = new Date(clock.getTime() + ms);
  };

  const endpointFor = (userId: string, url = 'https://hooks.example.com/memberships') =>
    store.createEndpoint({ userId, url, events: ['export.succeeded', 'export.failed'] });

  const attempt = (n: number): DeliveryAttempt => ({
    at: new Date(Date.parse('2026-12-02T10:00:00.000Z') + n * 1000).toISOString(),
    responseStatus: 500,
    durationMs: n,
    error: 'http_500',
    trigger: 'automatic',
  });

  it('creates an enabled endpoint with a fresh id and secret, and reads it back', async () => {
    const userId = randomUUID();
    const created = await store.createEndpoint({
      userId,
      url: 'https://hooks.example.com/a',
      events: ['export.succeeded'],
      description: 'billing',
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^we_[0-9a-f]{24}$/),
      userId,
      url: 'https://hooks.example.com/a',
      events: ['export.succeeded'],
      description: 'billing',
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
      createdAt: clock.toISOString(),
      updatedAt: clock.toISOString(),
    });
    expect(await store.getEndpoint(userId, created.id)).toEqual(created);
    expect(await store.getEndpointById(created.id)).toEqual(created);
    const other = await endpointFor(userId);
    expect(other.secret).not.toBe(created.secret);
    expect(other.id).not.toBe(created.id);
  });

  it('holds the per-user limit exactly under concurrent creates, and a delete frees a place', async () => {
    const userId = randomUUID();
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => endpointFor(userId, `https://h.example.com/${i}`)));
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(created).toHaveLength(5);
    for (const r of refused) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WebhookEndpointLimitError);
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'webhook_endpoint_limit_reached', limit: 5 });
    }
    const listed = await store.listEndpoints(userId);
    expect(listed).toHaveLength(5);

    await store.deleteEndpoint(userId, listed[0]!.id);
    await expect(endpointFor(userId)).resolves.toMatchObject({ userId });
    await expect(endpointFor(userId)).rejects.toBeInstanceOf(WebhookEndpointLimitError);
  });

  it('lists a user’s endpoints oldest first, and only theirs (deliveries and the count item are not endpoints)', async () => {
    const userId = randomUUID();
    const first = await endpointFor(userId);
    tick();
    const second = await endpointFor(userId);
    await endpointFor(randomUUID());
    await store.createDelivery({
      endpoint: first,
      eventId: eventIdOf('job-1', 'export.failed'),
      eventType: 'export.failed',
      jobId: 'job-1',
      payload: '{}',
    });

    expect((await store.listEndpoints(userId)).map((e) => e.id)).toEqual([first.id, second.id]);
    expect(await store.listEndpointsFor(userId)).toEqual(await store.listEndpoints(userId));
    expect(await store.listEndpoints(randomUUID())).toEqual([]);
  });

  it('hides another user’s endpoint and its deliveries: not readable, changeable, rotatable, deletable or resendable', async () => {
    const owner = randomUUID();
    const stranger = randomUUID();
    const endpoint = await endpointFor(owner);
    const eventId = eventIdOf('job-x', 'export.succeeded');
    const { delivery } = await store.createDelivery({ endpoint, eventId, eventType: 'export.succeeded', jobId: 'job-x', payload: '{}' });

    expect(await store.getEndpoint(stranger, endpoint.id)).toBeUndefined();
    await expect(store.updateEndpoint(stranger, endpoint.id, { enabled: false })).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    await expect(store.rotateSecret(stranger, endpoint.id)).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    await expect(store.deleteEndpoint(stranger, endpoint.id)).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    await expect(store.listDeliveries(stranger, endpoint.id, { limit: 10 })).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    expect(await store.getDelivery(stranger, endpoint.id, delivery.id)).toBeUndefined();
    await expect(store.markForResend(stranger, endpoint.id, delivery.id)).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    // A delivery asked for under another of the owner's endpoints is not found either.
    const second = await endpointFor(owner);
    expect(await store.getDelivery(owner, second.id, delivery.id)).toBeUndefined();
    await expect(store.markForResend(owner, second.id, delivery.id)).rejects.toBeInstanceOf(WebhookDeliveryNotFoundError);
    // Ids of another kind are simply not endpoints.
    expect(await store.getEndpoint(owner, `count#${owner}`)).toBeUndefined();
    expect(await store.getEndpointById(delivery.id)).toBeUndefined();

    // Nothing changed for the owner.
    expect(await store.getEndpoint(owner, endpoint.id)).toEqual(endpoint);
    expect(await store.getDelivery(owner, endpoint.id, delivery.id)).toEqual(delivery);
  });

  it('updates url, events and description; null clears the description; a deleted endpoint is gone', async () => {
    const userId = randomUUID();
    const endpoint = await store.createEndpoint({ userId, url: 'https://a.example.com/', events: ['export.failed'], description: 'x' });
    tick();
    const changed = await store.updateEndpoint(userId, endpoint.id, {
      url: 'https://b.example.com/hook',
      events: ['export.canceled', 'export.expired'],
      description: null,
    });
    expect(changed).toEqual({
      ...endpoint,
      url: 'https://b.example.com/hook',
      events: ['export.canceled', 'export.expired'],
      description: undefined,
      updatedAt: clock.toISOString(),
    });
    expect(changed).not.toHaveProperty('description');
    expect(await store.getEndpoint(userId, endpoint.id)).toEqual(changed);

    await store.deleteEndpoint(userId, endpoint.id);
    expect(await store.getEndpoint(userId, endpoint.id)).toBeUndefined();
    await expect(store.deleteEndpoint(userId, endpoint.id)).rejects.toBeInstanceOf(WebhookEndpointNotFoundError);
    await expect(store.updateEndpoint(userId, endpoint.id, { events: ['export.failed'] })).rejects.toBeInstanceOf(
      WebhookEndpointNotFoundError,
    );
  });

  it('rotation keeps the previous secret for 24 hours; a second rotation replaces it', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    tick();
    const rotated = await store.rotateSecret(userId, endpoint.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previousSecret).toBe(endpoint.secret);
    expect(rotated.previousSecretExpiresAt).toBe(new Date(clock.getTime() + PREVIOUS_SECRET_VALIDITY_MS).toISOString());
    expect(Date.parse(rotated.previousSecretExpiresAt!) - clock.getTime()).toBe(24 * 3600 * 1000);
    expect(await store.getEndpointById(endpoint.id)).toEqual(rotated);

    tick();
    const again = await store.rotateSecret(userId, endpoint.id);
    expect(again.previousSecret).toBe(rotated.secret);
    expect(new Set([endpoint.secret, rotated.secret, again.secret]).size).toBe(3);
  });

  it('two concurrent rotations both land, one after the other (neither loses the secret the other made)', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const [a, b] = await Promise.all([store.rotateSecret(userId, endpoint.id), store.rotateSecret(userId, endpoint.id)]);
    const final = await store.getEndpointById(endpoint.id);
    // The later of the two kept the earlier's new secret as its previous one.
    const [earlier, later] = final?.secret === a.secret ? [b, a] : [a, b];
    expect(final?.secret).toBe(later.secret);
    expect(later.previousSecret).toBe(earlier.secret);
    expect(earlier.previousSecret).toBe(endpoint.secret);
  });

  it('createDelivery writes one pending delivery per endpoint and event; a repeat returns it with created: false', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const eventId = eventIdOf('job-7', 'export.succeeded');
    const input = { endpoint, eventId, eventType: 'export.succeeded' as const, jobId: 'job-7', payload: '{"id":"evt"}' };

    const results = await Promise.all([store.createDelivery(input), store.createDelivery(input), store.createDelivery(input)]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const delivery = results.find((r) => r.created)!.delivery;
    expect(delivery).toEqual({
      id: deliveryIdOf(endpoint.id, eventId),
      endpointId: endpoint.id,
      userId,
      eventId,
      eventType: 'export.succeeded',
      jobId: 'job-7',
      status: 'pending',
      attemptCount: 0,
      attempts: [],
      payload: '{"id":"evt"}',
      createdAt: clock.toISOString(),
      updatedAt: clock.toISOString(),
      expiresAt: Math.floor(clock.getTime() / 1000) + DELIVERY_RETENTION_DAYS * 86_400,
    });
    for (const r of results) expect(r.delivery).toEqual(delivery);

    tick();
    const late = await store.createDelivery({ ...input, payload: 'changed' });
    expect(late).toEqual({ created: false, delivery });
    expect(await store.getDeliveryById(delivery.id)).toEqual(delivery);
  });

  it('recordAttempt counts every attempt, keeps the last ones, and sets or removes the next retry', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const { delivery } = await store.createDelivery({
      endpoint,
      eventId: eventIdOf('job-r', 'export.failed'),
      eventType: 'export.failed',
      jobId: 'job-r',
      payload: '{}',
    });
    const total = DELIVERY_ATTEMPTS_KEPT + 3;
    let last = delivery;
    for (let n = 1; n < total; n += 1) {
      last = await store.recordAttempt(delivery.id, attempt(n), {
        status: 'pending',
        nextRetryAt: `2026-12-02T11:00:${String(n % 60).padStart(2, '0')}.000Z`,
      });
    }
    expect(last.nextRetryAt).toBe(`2026-12-02T11:00:${String((total - 1) % 60).padStart(2, '0')}.000Z`);
    tick();
    const done = await store.recordAttempt(
      delivery.id,
      { ...attempt(total), responseStatus: 204, error: undefined },
      { status: 'succeeded' },
    );

    expect(done.attemptCount).toBe(total);
    expect(done.attempts).toHaveLength(DELIVERY_ATTEMPTS_KEPT);
    // The oldest went: the kept ones are the last DELIVERY_ATTEMPTS_KEPT, oldest first.
    expect(done.attempts[0]).toEqual(attempt(total - DELIVERY_ATTEMPTS_KEPT + 1));
    expect(done.attempts.at(-1)).toEqual({ at: attempt(total).at, responseStatus: 204, durationMs: total, trigger: 'automatic' });
    expect(done.status).toBe('succeeded');
    expect(done).not.toHaveProperty('nextRetryAt');
    expect(done.updatedAt).toBe(clock.toISOString());
    expect(await store.getDeliveryById(delivery.id)).toEqual(done);

    await expect(store.recordAttempt(deliveryIdOf(endpoint.id, 'evt_missing'), attempt(1), { status: 'failed' })).rejects.toBeInstanceOf(
      WebhookDeliveryNotFoundError,
    );
  });

  it('concurrent recordAttempt calls all count', async () => {
    const endpoint = await endpointFor(randomUUID());
    const { delivery } = await store.createDelivery({
      endpoint,
      eventId: eventIdOf('job-c', 'export.failed'),
      eventType: 'export.failed',
      jobId: 'job-c',
      payload: '{}',
    });
    await Promise.all(
      [1, 2, 3].map((n) => store.recordAttempt(delivery.id, attempt(n), { status: 'pending', nextRetryAt: clock.toISOString() })),
    );
    const stored = await store.getDeliveryById(delivery.id);
    expect(stored?.attemptCount).toBe(3);
    expect(stored?.attempts.map((a) => a.durationMs).sort()).toEqual([1, 2, 3]);
  });

  it('lists deliveries newest first in pages whose cursor only works for its endpoint', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const ids: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      tick();
      const jobId = `job-page-${n}`;
      const { delivery } = await store.createDelivery({
        endpoint,
        eventId: eventIdOf(jobId, 'export.succeeded'),
        eventType: 'export.succeeded',
        jobId,
        payload: '{}',
      });
      ids.push(delivery.id);
    }
    const first = await store.listDeliveries(userId, endpoint.id, { limit: 2 });
    expect(first.items.map((d) => d.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await store.listDeliveries(userId, endpoint.id, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    const third = await store.listDeliveries(userId, endpoint.id, { limit: 2, cursor: second.nextCursor });
    expect(third.items.map((d) => d.id)).toEqual([ids[0]]);

    const other = await endpointFor(userId);
    await expect(store.listDeliveries(userId, other.id, { limit: 2, cursor: first.nextCursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(store.listDeliveries(userId, endpoint.id, { limit: 2, cursor: 'not a cursor' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    expect(await store.listDeliveries(userId, other.id, { limit: 2 })).toEqual({ items: [] });
  });

  it('markForResend makes a finished delivery pending and due now', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const { delivery } = await store.createDelivery({
      endpoint,
      eventId: eventIdOf('job-s', 'export.failed'),
      eventType: 'export.failed',
      jobId: 'job-s',
      payload: '{}',
    });
    await store.recordAttempt(delivery.id, attempt(1), { status: 'failed' });
    tick();
    const again = await store.markForResend(userId, endpoint.id, delivery.id);
    expect(again).toMatchObject({ status: 'pending', nextRetryAt: clock.toISOString(), updatedAt: clock.toISOString(), attemptCount: 1 });
    await expect(store.markForResend(userId, endpoint.id, deliveryIdOf(endpoint.id, 'evt_none'))).rejects.toBeInstanceOf(
      WebhookDeliveryNotFoundError,
    );
  });

  it('records a run of failures from its first one, ends it on success, and disables exactly once', async () => {
    const userId = randomUUID();
    const endpoint = await endpointFor(userId);
    const failing = await store.recordEndpointFailure(endpoint.id, '2026-12-02T10:00:00.000Z');
    expect(failing?.failingSince).toBe('2026-12-02T10:00:00.000Z');
    expect((await store.recordEndpointFailure(endpoint.id, '2026-12-02T12:00:00.000Z'))?.failingSince).toBe('2026-12-02T10:00:00.000Z');
    await store.recordEndpointSuccess(endpoint.id);
    expect(await store.getEndpointById(endpoint.id)).not.toHaveProperty('failingSince');
    expect((await store.recordEndpointFailure(endpoint.id, '2026-12-02T13:00:00.000Z'))?.failingSince).toBe('2026-12-02T13:00:00.000Z');

    const results = await Promise.all(
      Array.from({ length: 6 }, () => store.disableEndpoint(endpoint.id, 'failing_for_24_hours', '2026-12-03T13:00:00.000Z')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.getEndpointById(endpoint.id)).toMatchObject({
      status: 'disabled',
      disabledAt: '2026-12-03T13:00:00.000Z',
      disabledReason: 'failing_for_24_hours',
    });
    expect(await store.disableEndpoint(endpoint.id, 'again', '2026-12-04T00:00:00.000Z')).toBe(false);

    // Enabling through the API clears what disabled it.
    const enabled = await store.updateEndpoint(userId, endpoint.id, { enabled: true });
    expect(enabled.status).toBe('enabled');
    for (const field of ['disabledAt', 'disabledReason', 'failingSince']) expect(enabled).not.toHaveProperty(field);
    // And a user's own disabling says so.
    expect(await store.updateEndpoint(userId, endpoint.id, { enabled: false })).toMatchObject({
      status: 'disabled',
      disabledAt: clock.toISOString(),
      disabledReason: DISABLED_BY_USER,
    });

    expect(await store.recordEndpointFailure('we_000000000000000000000000', clock.toISOString())).toBeUndefined();
    expect(await store.disableEndpoint('we_000000000000000000000000', 'x', clock.toISOString())).toBe(false);
    await expect(store.recordEndpointSuccess('we_000000000000000000000000')).resolves.toBeUndefined();
  });
});
