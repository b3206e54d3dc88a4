import { createHmac } from 'node:crypto';
import { EndpointAddressPolicy } from '@memberships/core/webhooks';
import { DnsStandIn } from './testing/dns-stand-in';
import { WebhookReceiver } from './testing/webhook-receiver';
import { MAX_RESPONSE_BYTES, WebhookSender, type WebhookRequest } from './webhook-sender';

// Local servers only (an HTTP receiver and a DNS stand-in on 127.0.0.1): no emulator.
let dns: DnsStandIn;
let receiver: WebhookReceiver;
const policy = () => new EndpointAddressPolicy({ allowLoopbackHttp: true, dnsServers: [dns.server] });
const sender = (timeoutMs = 2000) => new WebhookSender({ policy: policy(), timeoutMs });
const payload = JSON.stringify({ id: 'evt_0123456789abcdef01234567', object: 'event', type: 'export.succeeded', note: 'zoë' });
const webhook = (url: string, secrets = ['whsec_current']): WebhookRequest => ({
  url,
  payload,
  secrets,
  eventId: 'evt_0123456789abcdef01234567',
  eventType: 'export.succeeded',
  deliveryId: 'wd_0123456789abcdef01234567',
});

beforeAll(async () => {
  dns = await DnsStandIn.start();
});
afterAll(() => dns.close());
beforeEach(async () => {
  receiver = await WebhookReceiver.start();
  dns.questions.length = 0;
});
afterEach(() => receiver.close());

describe('WebhookSender', () => {
  it('posts the exact payload with the event headers, signed with each secret over "<t>.<body>"', async () => {
    const outcome = await sender().send(webhook(receiver.url(), ['whsec_current', 'whsec_previous']));
    expect(outcome).toMatchObject({ delivered: true, responseStatus: 200 });
    expect(outcome.error).toBeUndefined();
    const [request] = receiver.received;
    expect(request).toMatchObject({ method: 'POST', path: '/hook', body: payload });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'memberships-webhooks/1',
      'memberships-event-id': 'evt_0123456789abcdef01234567',
      'memberships-event-type': 'export.succeeded',
      'memberships-delivery-id': 'wd_0123456789abcdef01234567',
    });
    const [t, ...v1] = String(request!.headers['memberships-signature']).split(',');
    const seconds = Number(t!.replace('t=', ''));
    expect(Math.abs(seconds - Date.now() / 1000)).toBeLessThan(5);
    const mac = (secret: string) => createHmac('sha256', secret).update(`${seconds}.${payload}`).digest('hex');
    expect(v1).toEqual([`v1=${mac('whsec_current')}`, `v1=${mac('whsec_previous')}`]);
  });

  it('counts a 500 as failed, with its status', async () => {
    receiver.respond = (_request, response) => {
      response.statusCode = 500;
      response.end('broken');
    };
    await expect(sender().send(webhook(receiver.url()))).resolves.toMatchObject({
      delivered: false,
      responseStatus: 500,
      error: 'http_500',
    });
  });

  it('does not follow a redirect: the target is never contacted', async () => {
    const target = await WebhookReceiver.start();
    try {
      receiver.respond = (_request, response) => {
        response.writeHead(307, { location: target.url('/elsewhere') });
        response.end();
      };
      const outcome = await sender().send(webhook(receiver.url()));
      expect(outcome).toMatchObject({ delivered: false, responseStatus: 307, error: 'redirect_not_followed' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(target.received).toHaveLength(0);
    } finally {
      await target.close();
    }
  });

  it('reads no more than 4 KB of an endless response body, then drops the connection', async () => {
    let written = 0;
    let closedEarly = false;
    receiver.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!response.destroyed && written < 1024 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
      };
      response.on('close', () => {
        closedEarly = !response.writableFinished;
      });
      pump();
    };
    const outcome = await sender(10_000).send(webhook(receiver.url()));
    expect(outcome).toMatchObject({ delivered: true, responseStatus: 200 });
    // Well under the 10 s deadline: it stopped reading, it did not wait for the gigabyte.
    expect(outcome.durationMs).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closedEarly).toBe(true);
    expect(written).toBeGreaterThan(MAX_RESPONSE_BYTES);
    expect(written).toBeLessThan(1024 * 1024 * 1024);
  });

  it('gives up at the deadline when the receiver never answers', async () => {
    receiver.respond = () => undefined;
    const outcome = await sender(500).send(webhook(receiver.url()));
    expect(outcome).toMatchObject({ delivered: false, responseStatus: null, error: 'timeout' });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(450);
    expect(outcome.durationMs).toBeLessThan(3000);
  });

  it('reports a receiver that is down as connection_failed', async () => {
    const url = receiver.url();
    await receiver.close();
    await expect(sender().send(webhook(url))).resolves.toMatchObject({
      delivered: false,
      responseStatus: null,
      error: 'connection_failed',
    });
  });

  it('resolves the name once, through the policy, and connects to the address it checked', async () => {
    dns.set('hooks.receiver.test', '127.0.0.1');
    const outcome = await sender().send(webhook(receiver.url('/hook', 'hooks.receiver.test')));
    expect(outcome).toMatchObject({ delivered: true, responseStatus: 200 });
    // The Host header is the URL's; there was exactly one lookup (A and AAAA), the policy's.
    expect(receiver.received[0]!.headers.host).toBe(`hooks.receiver.test:${receiver.port}`);
    expect([...dns.questions].sort()).toEqual(['hooks.receiver.test A', 'hooks.receiver.test AAAA']);
  });

  it.each([
    ['the metadata address', ['169.254.169.254']],
    ['a private address', ['10.1.2.3']],
    ['a public and a private address', ['127.0.0.1', '10.0.0.7']],
    ['an IPv6 unique-local address beside loopback', ['127.0.0.1', 'fd00::1']],
    ['the IPv4-mapped metadata address', ['::ffff:169.254.169.254']],
  ])('refuses a name that now resolves to %s, without contacting anyone', async (_what, addresses) => {
    dns.set('rebound.receiver.test', ...addresses);
    const outcome = await sender().send(webhook(receiver.url('/hook', 'rebound.receiver.test')));
    expect(outcome).toMatchObject({ delivered: false, responseStatus: null, error: 'address_refused' });
    expect(receiver.received).toHaveLength(0);
  });

  it.each([['127.0.0.1'], ['::1'], ['::ffff:127.0.0.1']])(
    'refuses a name that resolves to loopback (%s) when the local allowance is off, as in AWS',
    async (address) => {
      dns.set('loopback.receiver.test', address);
      const strict = new WebhookSender({
        policy: new EndpointAddressPolicy({ allowLoopbackHttp: false, dnsServers: [dns.server] }),
        timeoutMs: 2000,
      });
      // https, so the scheme passes and the address decides; the receiver listens on that port of loopback.
      const outcome = await strict.send(webhook(`https://loopback.receiver.test:${receiver.port}/hook`));
      expect(outcome).toMatchObject({ delivered: false, responseStatus: null, error: 'address_refused' });
      expect(receiver.received).toHaveLength(0);
    },
  );

  it('reports a name that does not resolve as dns_failed', async () => {
    await expect(sender().send(webhook(receiver.url('/hook', 'nowhere.receiver.test')))).resolves.toMatchObject({
      delivered: false,
      error: 'dns_failed',
    });
  });
});
