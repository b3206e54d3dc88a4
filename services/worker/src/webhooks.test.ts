/**
 * Completion events through the worker in-process, against the real
 * emulators (DynamoDB Local, the SQS and SES stand-ins, the EventBridge
 * stand-in behind the IAM gate) and a real PostgreSQL database: an export's
 * event is put on the bus and delivered, signed, to the user's endpoint (a
 * receiver on 127.0.0.1, the local loopback allowance on); a receiver that
 * fails is retried until it answers; one that stays down for the whole
 * (short) retry window has its delivery failed, its endpoint disabled and its
 * owner emailed once; a name that resolves to a refused address at delivery
 * time is never contacted. The attempt's own rules (redirects, 4 KB of the
 * answer, deadline) are webhook-sender.unit.test.ts's.
 */
import { createHmac, randomUUID } from 'node:crypto';
import {
  eventIdOf,
  deliveryIdOf,
  isFinal,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from '@memberships/core/contract';
import { EndpointAddressPolicy, WebhookStore } from '@memberships/core/webhooks';
import { acknowledgeIamDenials, busEvents, seedMemberships, waitFor } from '@memberships/local-platform';
import { DnsStandIn } from './testing/dns-stand-in';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WebhookReceiver } from './testing/webhook-receiver';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

let dns: DnsStandIn;
const receivers: WebhookReceiver[] = [];
const startWorker = inProcessWorkers({
  defaults: {
    ...SHORT_WAITS,
    // A short window, so a receiver can be down for all of it within a test.
    WEBHOOK_RETRY_WINDOW_SECONDS: '20',
    WEBHOOK_RETRY_BASE_SECONDS: '1',
    WEBHOOK_RETRY_MAX_SECONDS: '4',
    WEBHOOK_TIMEOUT_MS: '2000',
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
  },
  beforeStop: () => Promise.all(receivers.splice(0).map((receiver) => receiver.close())),
});

beforeAll(async () => {
  dns = await DnsStandIn.start();
});
afterAll(() => dns.close());

const receiver = async () => {
  const started = await WebhookReceiver.start();
  receivers.push(started);
  return started;
};

/** Lets the worker run on, so that a late second request or email would have arrived. */
const settle = (ms = 2500) => new Promise((resolve) => setTimeout(resolve, ms));

describe('completion events and webhooks', () => {
  const env = WorkerTestEnvironment.forSuite();
  let store: WebhookStore;
  beforeAll(() => {
    store = new WebhookStore({ client: env.dynamodb, table: env.names.tables.webhooks });
  });

  const worker = () => startWorker(env, { WEBHOOK_DNS_SERVERS: dns.server });

  async function endpointFor(userId: string, url: string, events: WebhookEventType[] = ['export.succeeded']): Promise<WebhookEndpoint> {
    return store.createEndpoint({ userId, url, events });
  }

  /** A user with 12 memberships to export. */
  async function userWithMemberships(): Promise<{ userId: string; email: string }> {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 12);
    return { userId: user.id, email: user.email };
  }

  function waitForDelivery(id: string, done: (delivery: WebhookDelivery) => boolean, timeoutMs = 30_000): Promise<WebhookDelivery> {
    return waitFor(
      `delivery ${id}`,
      async () => {
        const delivery = await store.getDeliveryById(id);
        return delivery && done(delivery) ? delivery : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  it('a succeeded export puts its event on the bus and delivers it once, signed, to the subscribed endpoint', async () => {
    const { userId } = await userWithMemberships();
    const hooks = await receiver();
    const endpoint = await endpointFor(userId, hooks.url('/memberships'));
    // Subscribed to failures only: gets nothing for a success.
    const other = await receiver();
    await endpointFor(userId, other.url(), ['export.failed']);
    await worker();

    const { job, body } = await env.requestExport(userId);
    await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [request] = await hooks.waitForRequests(1);
    await settle();

    expect(hooks.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);
    const eventId = eventIdOf(job.id, 'export.succeeded');
    const event = JSON.parse(request!.body) as Record<string, any>;
    expect(event).toMatchObject({
      id: eventId,
      object: 'event',
      type: 'export.succeeded',
      data: { object: { id: job.id, state: 'succeeded', file: { rows: 12 }, links: { self: `/v1/exports/${job.id}` } } },
    });
    expect(event.data.download_url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:9/v1/exports/${job.id}/file\\?token=`));
    expect(event.data.object).not.toHaveProperty('userId');
    expect(request!.headers).toMatchObject({
      'memberships-event-id': eventId,
      'memberships-event-type': 'export.succeeded',
      'memberships-delivery-id': deliveryIdOf(endpoint.id, eventId),
    });
    // Verified as a receiver would, with its own HMAC over "<t>.<raw body>".
    const [t, v1] = String(request!.headers['memberships-signature']).split(',');
    const seconds = t!.replace('t=', '');
    expect(v1).toBe(`v1=${createHmac('sha256', endpoint.secret).update(`${seconds}.${request!.body}`).digest('hex')}`);

    const delivery = await store.getDeliveryById(deliveryIdOf(endpoint.id, eventId));
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1, payload: request!.body });
    expect(delivery!.attempts[0]).toMatchObject({ responseStatus: 200, trigger: 'automatic' });

    const onBus = (await busEvents(env.aws.endpoints.events!, env.names.eventBus)).filter((e) => e.detail.id === eventId);
    expect(onBus).toHaveLength(1);
    expect(onBus[0]).toMatchObject({ source: 'memberships.exports', detailType: 'export.succeeded', detail: JSON.parse(request!.body) });

    // The export message again (a redelivery): the job is final, its event is sent again — the same event,
    // put on the bus once more, and not delivered a second time.
    await env.send(body);
    await waitFor('the event put again', async () => {
      const events = await busEvents(env.aws.endpoints.events!, env.names.eventBus);
      return events.filter((e) => e.detail.id === eventId).length >= 2;
    });
    await settle();
    expect(hooks.received).toHaveLength(1);
  });

  it('a failed export sends export.failed to an endpoint subscribed to it', async () => {
    const { userId } = await userWithMemberships();
    const hooks = await receiver();
    const endpoint = await endpointFor(userId, hooks.url(), ['export.failed']);
    // A bucket outside the worker's policy: the upload is refused, a permanent failure.
    await startWorker(env, { WEBHOOK_DNS_SERVERS: dns.server, EXPORT_BUCKET: `no-such-bucket-${randomUUID()}` });

    const { job } = await env.requestExport(userId);
    await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [request] = await hooks.waitForRequests(1);
    await env.drainDeadLetters(1);
    expect(await acknowledgeIamDenials(':::no-such-bucket-')).toBeGreaterThanOrEqual(1);

    const event = JSON.parse(request!.body) as Record<string, any>;
    expect(event).toMatchObject({
      id: eventIdOf(job.id, 'export.failed'),
      type: 'export.failed',
      data: { object: { id: job.id, state: 'failed', error: { code: 'storage_rejected' } } },
    });
    expect(event.data).not.toHaveProperty('download_url');
    expect(request!.headers['memberships-delivery-id']).toBe(deliveryIdOf(endpoint.id, event.id));
  });

  it('a receiver answering 500 three times, then 200, gets the event delivered on the 4th attempt', async () => {
    const { userId } = await userWithMemberships();
    const hooks = await receiver();
    hooks.respond = (_request, response, n) => {
      response.statusCode = n <= 3 ? 500 : 200;
      response.end(n <= 3 ? 'not now' : 'ok');
    };
    const endpoint = await endpointFor(userId, hooks.url());
    await worker();

    const { job } = await env.requestExport(userId);
    const id = deliveryIdOf(endpoint.id, eventIdOf(job.id, 'export.succeeded'));
    const delivery = await waitForDelivery(id, (d) => d.status === 'succeeded');
    await settle();

    expect(hooks.received).toHaveLength(4);
    // The same bytes every time.
    expect(new Set(hooks.received.map((r) => r.body)).size).toBe(1);
    expect(delivery.attemptCount).toBe(4);
    expect(delivery.attempts.map((a) => [a.responseStatus, a.error])).toEqual([
      [500, 'http_500'],
      [500, 'http_500'],
      [500, 'http_500'],
      [200, undefined],
    ]);
    expect(delivery.nextRetryAt).toBeUndefined();
    // The run of failures ended with the delivered attempt.
    expect((await store.getEndpointById(endpoint.id))?.failingSince).toBeUndefined();
  });

  it('a receiver down for the whole window: delivery failed, endpoint disabled, its owner emailed once', async () => {
    const { userId, email } = await userWithMemberships();
    const down = await WebhookReceiver.start();
    const url = down.url('/gone');
    await down.close();
    const endpoint = await endpointFor(userId, url);
    await worker();

    const { job } = await env.requestExport(userId);
    const id = deliveryIdOf(endpoint.id, eventIdOf(job.id, 'export.succeeded'));
    const delivery = await waitForDelivery(id, (d) => d.status === 'failed', 60_000);
    const disabled = await store.getEndpointById(endpoint.id);
    const subject = 'Your memberships webhook endpoint was disabled';
    const [notice] = await waitFor('the endpoint notice', async () => {
      const emails = (await env.emailsTo(email)).filter((e) => e.subject === subject);
      return emails.length > 0 ? emails : undefined;
    });
    await settle(4000);

    expect(delivery.attemptCount).toBeGreaterThanOrEqual(4);
    expect(delivery.attempts.every((a) => a.responseStatus === null && a.error === 'connection_failed')).toBe(true);
    // Retried with growing waits, and not beyond the window.
    const times = delivery.attempts.map((a) => Date.parse(a.at));
    expect(times.at(-1)! - Date.parse(delivery.createdAt)).toBeLessThan(26_000);
    expect(disabled).toMatchObject({ status: 'disabled', disabledReason: 'failing_deliveries' });
    expect((await env.emailsTo(email)).filter((e) => e.subject === subject)).toHaveLength(1);
    expect(notice!.body.text).toContain(url);
    expect(notice!.body.text).toContain(`memberships webhooks enable ${endpoint.id}`);
    expect(notice!.body.html).toContain(endpoint.id);
  });

  it('a name that resolved public when the endpoint was made, and to a refused address at delivery time, is never contacted', async () => {
    const { userId } = await userWithMemberships();
    const hooks = await receiver();
    const host = `hooks-${randomUUID().slice(0, 8)}.receiver.test`;
    // Creation: the name resolves to a public address, and the policy (the API's check) accepts it.
    dns.set(host, '93.184.216.34');
    const url = hooks.url('/hook', host);
    const atCreation = await new EndpointAddressPolicy({ allowLoopbackHttp: true, dnsServers: [dns.server] }).check(url);
    expect(atCreation).toMatchObject({ ok: true, address: '93.184.216.34' });
    const endpoint = await endpointFor(userId, url);
    // Delivery time: the same name now answers with the receiver's loopback address AND the metadata address.
    dns.set(host, '127.0.0.1', '169.254.169.254');
    await worker();

    const { job } = await env.requestExport(userId);
    const id = deliveryIdOf(endpoint.id, eventIdOf(job.id, 'export.succeeded'));
    const delivery = await waitForDelivery(id, (d) => d.attemptCount >= 2);
    await store.deleteEndpoint(userId, endpoint.id);

    expect(delivery.attempts.slice(0, 2).map((a) => [a.responseStatus, a.error])).toEqual([
      [null, 'address_refused'],
      [null, 'address_refused'],
    ]);
    expect(hooks.received).toHaveLength(0);
  });
});
