import { createUser, startTestPlatform, type TestPlatform } from '@memberships/local-platform';
import { ApiError, createClient, type MembershipsClient } from './index.js';

/**
 * client.webhooks against the real API on the emulators of the jest global
 * setup. The local platform allows http://127.0.0.1 receivers (as production
 * does not), which is what these endpoints point at; nothing listens there,
 * as no export finishes in these tests.
 */
describe('SDK webhooks against the real platform', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 5 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  /** A client for a new user of its own, so each test starts with no endpoints. */
  async function newUserClient(): Promise<MembershipsClient> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    return createClient({ baseUrl: platform.apiUrl, credentials: { email: user.email, password: user.password } });
  }

  it('creates an endpoint with its secret, then lists, gets, changes, rotates and deletes it', async () => {
    const client = await newUserClient();

    const created = await client.webhooks.create({
      url: 'http://127.0.0.1:9999/hooks',
      events: ['export.succeeded', 'export.failed'],
      description: 'billing sync',
    });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^we_[0-9a-f]{24}$/),
      url: 'http://127.0.0.1:9999/hooks',
      events: ['export.succeeded', 'export.failed'],
      description: 'billing sync',
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const { secret, ...withoutSecret } = created;

    // The secret is shown on creation only.
    const fetched = await client.webhooks.get(created.id);
    expect(fetched).toEqual(withoutSecret);
    expect(fetched).not.toHaveProperty('secret');
    const { items } = await client.webhooks.list();
    expect(items).toEqual([withoutSecret]);
    expect(JSON.stringify(items)).not.toContain(secret);

    const changed = await client.webhooks.update(created.id, { events: ['export.canceled'], description: null });
    expect(changed).toMatchObject({ id: created.id, events: ['export.canceled'], status: 'enabled' });
    expect(changed).not.toHaveProperty('description');
    const disabled = await client.webhooks.update(created.id, { enabled: false });
    expect(disabled).toMatchObject({ status: 'disabled', disabled_at: expect.any(String) });
    await expect(client.webhooks.update(created.id, { enabled: true })).resolves.toMatchObject({ status: 'enabled' });

    const rotated = await client.webhooks.rotateSecret(created.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(secret);
    expect(Date.parse(rotated.previous_secret_expires_at ?? '')).toBeGreaterThan(Date.now());

    await expect(client.webhooks.deliveries(created.id)).resolves.toEqual({ items: [] });
    const all = [];
    for await (const delivery of client.webhooks.allDeliveries(created.id)) all.push(delivery);
    expect(all).toEqual([]);

    await client.webhooks.delete(created.id);
    const gone = { name: 'ApiError', status: 404, code: 'webhook_endpoint_not_found' };
    await expect(client.webhooks.get(created.id)).rejects.toMatchObject(gone);
    await expect(client.webhooks.delete(created.id)).rejects.toMatchObject(gone);
    expect((await client.webhooks.list()).items).toEqual([]);
  });

  it('refuses URLs the platform does not send to, with the reason, creating nothing', async () => {
    const client = await newUserClient();

    const privateAddress = client.webhooks.create({ url: 'https://10.0.0.8/hooks', events: ['export.succeeded'] });
    await expect(privateAddress).rejects.toBeInstanceOf(ApiError);
    await expect(privateAddress).rejects.toMatchObject({
      status: 422,
      code: 'webhook_url_refused',
      problem: { reason: 'address_refused' },
    });
    await expect(client.webhooks.create({ url: 'ftp://127.0.0.1/hooks', events: ['export.succeeded'] })).rejects.toMatchObject({
      status: 422,
      code: 'webhook_url_refused',
      problem: { reason: 'scheme_not_allowed' },
    });
    await expect(client.webhooks.create({ url: 'http://127.0.0.1:9999/', events: [] })).rejects.toMatchObject({ status: 400 });
    expect((await client.webhooks.list()).items).toEqual([]);
  });

  it("does not let one user see, change or resend to another user's endpoint", async () => {
    const owner = await newUserClient();
    const stranger = await newUserClient();
    const endpoint = await owner.webhooks.create({ url: 'http://127.0.0.1:9999/', events: ['export.expired'] });

    const notFound = { name: 'ApiError', status: 404, code: 'webhook_endpoint_not_found' };
    await expect(stranger.webhooks.get(endpoint.id)).rejects.toMatchObject(notFound);
    await expect(stranger.webhooks.update(endpoint.id, { enabled: false })).rejects.toMatchObject(notFound);
    await expect(stranger.webhooks.rotateSecret(endpoint.id)).rejects.toMatchObject(notFound);
    await expect(stranger.webhooks.deliveries(endpoint.id)).rejects.toMatchObject(notFound);
    await expect(stranger.webhooks.delete(endpoint.id)).rejects.toMatchObject(notFound);
    await expect(owner.webhooks.resend(endpoint.id, 'wd_0123456789abcdef01234567')).rejects.toMatchObject({
      status: 404,
      code: 'webhook_delivery_not_found',
    });
    expect((await stranger.webhooks.list()).items).toEqual([]);
    await expect(owner.webhooks.get(endpoint.id)).resolves.toMatchObject({ id: endpoint.id, status: 'enabled' });
  });
});
