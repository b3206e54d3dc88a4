import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '@memberships/core/config';
import {
  createUser,
  isAddressedTo,
  listEmails,
  seedMemberships,
  startTestPlatform,
  waitFor,
  waitForEmails,
  type CreatedUser,
  type TestPlatform,
} from '@memberships/local-platform';
import { verifyWebhookSignature, WebhookSignatureError, type WebhookEvent } from '@memberships/sdk';
import { DnsStandIn } from '../../services/worker/src/testing/dns-stand-in';
import { WebhookReceiver, type ReceivedWebhook } from '../../services/worker/src/testing/webhook-receiver';
import { getJson, login, waitForFinalJob, type JobBody } from './support/http';

/**
 * Completion events, end to end, the way an integration meets them: the
 * built API and worker as processes behind the IAM gate (so every call on the
 * delivery path is held to the synthesized policies; the suite's teardown
 * fails on any denial nobody acknowledged), a receiver on 127.0.0.1 (the local
 * platform allows loopback http, production only https), and the SDK's
 * verifyWebhookSignature as a receiver would call it. The retry window is
 * 20 s here instead of 24 h, with the backoff from 1 s up to 4 s: the same
 * code paths, in a test's time.
 */
const RETRY_WINDOW_SECONDS = 20;

interface Account {
  readonly user: CreatedUser;
  readonly token: string;
}

interface CreatedEndpoint {
  readonly id: string;
  readonly secret: string;
  readonly status: string;
}

describe('completion events, end to end', () => {
  let platform: TestPlatform;
  let dynamodb: DynamoDBClient;
  let dns: DnsStandIn;

  beforeAll(async () => {
    // Names are resolved by a DNS server the test controls, for the API (at creation) and the worker (at each attempt).
    dns = await DnsStandIn.start();
    platform = await startTestPlatform({
      memberships: 0,
      apiEnv: { WEBHOOK_DNS_SERVERS: dns.server },
      workerEnv: {
        WEBHOOK_DNS_SERVERS: dns.server,
        WEBHOOK_RETRY_WINDOW_SECONDS: String(RETRY_WINDOW_SECONDS),
        WEBHOOK_RETRY_BASE_SECONDS: '1',
        WEBHOOK_RETRY_MAX_SECONDS: '4',
      },
    });
    dynamodb = new DynamoDBClient(clientOptions(platform.resources.aws, 'dynamodb'));
  });

  afterAll(async () => {
    dynamodb?.destroy();
    await platform?.stop();
    await dns?.close();
  });

  async function account(rows: number): Promise<Account> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    if (rows > 0) await seedMemberships(platform.database.url, user.id, rows, { tricky: true, seed: rows });
    return { user, token: await login(platform.apiUrl, user.email, user.password) };
  }

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${platform.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function createEndpoint(owner: Account, url: string, events: string[]): Promise<CreatedEndpoint> {
    const created = await call('POST', '/v1/webhook-endpoints', owner.token, { url, events });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    return created.body as CreatedEndpoint;
  }

  async function startExport(owner: Account): Promise<string> {
    const created = await fetch(`${platform.apiUrl}/v1/exports`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}` } });
    expect(created.status).toBe(202);
    return created.headers.get('location')!;
  }

  /** The deliveries of an endpoint as its owner sees them. */
  async function deliveries(owner: Account, endpointId: string): Promise<any[]> {
    const listed = await call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, owner.token);
    expect(listed.status).toBe(200);
    return listed.body.items;
  }

  function verified(request: ReceivedWebhook, secret: string): WebhookEvent {
    return verifyWebhookSignature(request.body, request.headers['memberships-signature'] as string | undefined, secret);
  }

  it('sends an export’s success, failure and cancel once each, signed, to the endpoint and to the event bus', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const owner = await account(30_000);
      const endpoint = await createEndpoint(owner, receiver.url('/events'), ['export.succeeded', 'export.failed', 'export.canceled']);

      // Success.
      const succeeded = await waitForFinalJob(platform.apiUrl, await startExport(owner), owner.token);
      expect(succeeded.state).toBe('succeeded');
      const [first] = await receiver.waitForRequests(1, 30_000);
      const success = verified(first!, endpoint.secret);
      expect(success).toMatchObject({ type: 'export.succeeded', object: 'event', id: expect.stringMatching(/^evt_/) });
      expect(success.data.object).toMatchObject({ id: succeeded.id, state: 'succeeded', file: { sha256: succeeded.file!.sha256 } });
      // The signed API link, which downloads the file with no other credential (while the account exists).
      const download = await fetch(success.data.download_url!, { redirect: 'manual' });
      expect(download.status).toBe(302);
      // Cancel: right after the request, while the 30,000 rows are still being exported (or before they started).
      const cancelLocation = await startExport(owner);
      const canceled = await call('POST', `${new URL(cancelLocation, platform.apiUrl).pathname}/cancel`, owner.token);
      expect([200, 202]).toContain(canceled.status);
      await waitFor('the job to be canceled', async () => {
        const job = (await getJson<JobBody>(new URL(cancelLocation, platform.apiUrl).toString(), owner.token)).body;
        return job.state === 'canceled' ? job : undefined;
      });
      const canceledId = new URL(cancelLocation, platform.apiUrl).pathname.split('/').pop()!;
      // Failure: the account's record is gone by the time the worker looks for its address.
      await dynamodb.send(new DeleteItemCommand({ TableName: platform.resources.names.tables.users, Key: { id: { S: owner.user.id } } }));
      const failed = await waitForFinalJob(platform.apiUrl, await startExport(owner), owner.token);
      expect(failed).toMatchObject({ state: 'failed', error: { code: 'user_not_found' } });

      const requests = await receiver.waitForRequests(3, 30_000);
      const events = requests.map((request) => verified(request, endpoint.secret));
      expect(events.map((event) => [event.type, event.data.object.id]).sort()).toEqual(
        [
          ['export.canceled', canceledId],
          ['export.failed', failed.id],
          ['export.succeeded', succeeded.id],
        ].sort(),
      );
      expect(events.find((event) => event.type === 'export.succeeded')).toEqual(success);
      for (const request of requests) {
        expect(request.method).toBe('POST');
        expect(request.path).toBe('/events');
        expect(request.headers['content-type']).toMatch(/^application\/json/);
      }

      // A receiver rejects what was not signed by us, and a replay of a genuine request after 5 minutes.
      const genuine = requests[0]!;
      const header = genuine.headers['memberships-signature'] as string;
      expect(() => verifyWebhookSignature(genuine.body.replace('"object":"event"', '"object":"evil"'), header, endpoint.secret)).toThrow(
        expect.objectContaining({ code: 'signature_mismatch' }),
      );
      const signedAt = Number(/t=(\d+)/.exec(header)![1]);
      const replayed = () => verifyWebhookSignature(genuine.body, header, endpoint.secret, { now: new Date((signedAt + 301) * 1000) });
      expect(replayed).toThrow(WebhookSignatureError);
      expect(replayed).toThrow(expect.objectContaining({ code: 'timestamp_too_old' }));

      // Once each: nothing else arrives, and the delivery log says one attempt each, delivered.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(receiver.received).toHaveLength(3);
      const log = await deliveries(owner, endpoint.id);
      expect(log).toHaveLength(3);
      for (const delivery of log)
        expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 1, attempts: [{ response_status: 200 }] });

      // The same three events on the platform's bus, the same event ids.
      const onBus = await waitFor('the three events on the bus', async () => {
        const mine = (await platform.events()).filter((event) => events.some((e) => e.id === (event.detail as { id?: string }).id));
        return mine.length >= 3 ? mine : undefined;
      });
      expect(onBus).toHaveLength(3);
      expect(onBus.map((event) => event.source)).toEqual(['memberships.exports', 'memberships.exports', 'memberships.exports']);
      expect(onBus.map((event) => event.detailType).sort()).toEqual(['export.canceled', 'export.failed', 'export.succeeded']);
    } finally {
      await receiver.close();
    }
  });

  it('gets the event to a receiver that answered 500 three times once it recovers, with every attempt in the delivery log', async () => {
    const receiver = await WebhookReceiver.start((_request, response, n) => {
      response.statusCode = n <= 3 ? 500 : 200;
      response.end(n <= 3 ? 'down for maintenance' : 'ok');
    });
    try {
      const owner = await account(200);
      const endpoint = await createEndpoint(owner, receiver.url(), ['export.succeeded']);
      const job = await waitForFinalJob(platform.apiUrl, await startExport(owner), owner.token);
      expect(job.state).toBe('succeeded');

      const requests = await receiver.waitForRequests(4, 30_000);
      // The same event each time, each signature good.
      const ids = requests.map((request) => verified(request, endpoint.secret).id);
      expect(new Set(ids).size).toBe(1);
      // Backed off: each retry later than the one before it.
      const gaps = requests.slice(1).map((request, index) => request.at - requests[index]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(500);
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);

      const [delivery] = await waitFor('the delivery to be recorded as delivered', async () => {
        const log = await deliveries(owner, endpoint.id);
        return log[0]?.status === 'succeeded' ? log : undefined;
      });
      expect(delivery).toMatchObject({ event_type: 'export.succeeded', job_id: job.id, attempt_count: 4 });
      expect(delivery.attempts.map((attempt: { response_status: number | null }) => attempt.response_status)).toEqual([500, 500, 500, 200]);
      for (const attempt of delivery.attempts) expect(attempt.duration_ms).toEqual(expect.any(Number));
      expect(delivery.next_retry_at).toBeUndefined();
      const after = await call('GET', `/v1/webhook-endpoints/${endpoint.id}`, owner.token);
      expect(after.body).toMatchObject({ status: 'enabled' });
      expect(after.body.failing_since).toBeUndefined();
    } finally {
      await receiver.close();
    }
  });

  it('disables an endpoint that is down for the whole window and emails its owner once', async () => {
    // A port that was free a moment ago: every attempt is refused.
    const closed = await WebhookReceiver.start();
    const deadUrl = closed.url('/gone');
    await closed.close();
    const owner = await account(50);
    const endpoint = await createEndpoint(owner, deadUrl, ['export.succeeded']);
    const job = await waitForFinalJob(platform.apiUrl, await startExport(owner), owner.token);
    expect(job.state).toBe('succeeded');

    const disabled = await waitFor(
      'the endpoint to be disabled',
      async () => {
        const current = await call('GET', `/v1/webhook-endpoints/${endpoint.id}`, owner.token);
        return current.body.status === 'disabled' ? current.body : undefined;
      },
      { timeoutMs: (RETRY_WINDOW_SECONDS + 30) * 1000, intervalMs: 500 },
    );
    expect(disabled).toMatchObject({ disabled_at: expect.any(String), disabled_reason: expect.any(String) });
    // The attempt that disabled the endpoint is recorded on the delivery right after.
    const [delivery] = await waitFor('the delivery to have failed for good', async () => {
      const log = await deliveries(owner, endpoint.id);
      return log[0]?.status === 'failed' ? log : undefined;
    });
    expect(delivery).toMatchObject({ status: 'failed', job_id: job.id });
    expect(delivery.attempt_count).toBeGreaterThanOrEqual(3);
    for (const attempt of delivery.attempts) expect(attempt).toMatchObject({ response_status: null, error: expect.any(String) });

    const isNotice = (email: { subject: string }) => /webhook|endpoint/i.test(email.subject);
    const [notice] = await waitForEmails(platform.sesEndpoint, (email) => isAddressedTo(email, owner.user.email) && isNotice(email));
    expect(`${notice!.body.text}`).toContain(deadUrl);
    // One email: the export's own, and the one notice, however many attempts failed after the window.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const toOwner = (await listEmails(platform.sesEndpoint)).filter((email) => isAddressedTo(email, owner.user.email));
    expect(toOwner.filter(isNotice)).toHaveLength(1);
  });

  it('refuses endpoints on private, link-local and metadata addresses at creation, as literals and as names', async () => {
    const owner = await account(0);
    for (const url of [
      'https://10.0.0.8/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[fe80::1]/hook',
      'https://[fd00:ec2::254]/hook',
      'https://[::ffff:10.0.0.1]/hook',
    ]) {
      const refused = await call('POST', '/v1/webhook-endpoints', owner.token, { url, events: ['export.succeeded'] });
      expect({ url, status: refused.status, code: refused.body?.code }).toEqual({ url, status: 422, code: 'webhook_url_refused' });
    }
    // A name is judged by what it resolves to: any refused address refuses it.
    dns.set('hooks.internal.example', '10.20.30.40');
    dns.set('mixed.example', '127.0.0.1', '169.254.169.254');
    for (const url of ['https://hooks.internal.example/hook', 'http://mixed.example:8080/hook']) {
      const refused = await call('POST', '/v1/webhook-endpoints', owner.token, { url, events: ['export.succeeded'] });
      expect({ url, status: refused.status, code: refused.body?.code }).toEqual({ url, status: 422, code: 'webhook_url_refused' });
    }
    const listed = await call('GET', '/v1/webhook-endpoints', owner.token);
    expect(listed.body.items).toEqual([]);
  });

  it('refuses a delivery to a name that resolves to a private address by the time it is sent, without contacting it', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const owner = await account(50);
      // Loopback is allowed on the local platform, so the name passes at creation...
      dns.set('rebinding.example', '127.0.0.1');
      const endpoint = await createEndpoint(owner, receiver.url('/hook', 'rebinding.example'), ['export.succeeded']);
      // ...and then points at the metadata service and a private address (DNS rebinding).
      dns.set('rebinding.example', '169.254.169.254', '10.0.0.7');
      const job = await waitForFinalJob(platform.apiUrl, await startExport(owner), owner.token);
      expect(job.state).toBe('succeeded');
      const [delivery] = await waitFor('a refused attempt in the delivery log', async () => {
        const log = await deliveries(owner, endpoint.id);
        return (log[0]?.attempt_count ?? 0) >= 1 ? log : undefined;
      });
      expect(delivery.attempts[0]).toMatchObject({ response_status: null, error: 'address_refused' });
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });
});
