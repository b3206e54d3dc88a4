import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWebhookListener, type ReceivedRequest, type WebhookListener } from './webhook-listener.js';

/**
 * The listener of `webhooks listen` on a real port, sent requests by fetch:
 * signed with the header's documented HMAC, unsigned, altered; answered
 * itself or relayed to a receiver of the test's.
 */
const secret = 'whsec_bGlzdGVuZXItdGVzdC1zZWNyZXQtb2YtMzItYnl0ZXM';
const event = {
  id: 'evt_0123456789abcdef01234567',
  object: 'event',
  type: 'export.failed',
  created_at: new Date().toISOString(),
  data: { object: { id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c', state: 'failed' } },
};
const body = JSON.stringify(event);

function signed(payload: string, key = secret): Record<string, string> {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', key).update(`${t}.${payload}`).digest('hex');
  return {
    'content-type': 'application/json',
    'memberships-signature': `t=${t},v1=${v1}`,
    'memberships-event-id': event.id,
    'memberships-delivery-id': 'wd_0123456789abcdef01234567',
  };
}

describe('webhook listener', () => {
  let listener: WebhookListener | undefined;
  let receiver: Server | undefined;
  const received: ReceivedRequest[] = [];

  afterEach(async () => {
    await listener?.close();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    listener = undefined;
    receiver = undefined;
    received.length = 0;
  });

  async function start(forwardTo?: URL): Promise<WebhookListener> {
    listener = await startWebhookListener({ port: 0, forwardTo, onRequest: (request) => received.push(request) });
    return listener;
  }

  it('listens on 127.0.0.1 on a free port and answers a correctly signed delivery 200, VERIFIED', async () => {
    const { url, port, useSecrets } = await start();
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    expect(port).toBeGreaterThan(0);
    useSecrets([secret]);

    const response = await fetch(url, { method: 'POST', headers: signed(body), body });

    expect(response.status).toBe(200);
    expect(received).toEqual([expect.objectContaining({ verified: true, event, body: Buffer.from(body) })]);
  });

  it('answers 400, UNVERIFIED with the reason, to a request without a signature, with another secret, or altered', async () => {
    const { url, useSecrets } = await start();
    useSecrets([secret]);

    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const foreign = await fetch(url, { method: 'POST', headers: signed(body, `${secret}x`), body });
    const altered = await fetch(url, { method: 'POST', headers: signed(body), body: body.replace('failed', 'succeeded') });

    expect([unsigned.status, foreign.status, altered.status]).toEqual([400, 400, 400]);
    expect(received.map(({ verified, problem }) => [verified, problem])).toEqual([
      [false, 'missing_header'],
      [false, 'signature_mismatch'],
      [false, 'signature_mismatch'],
    ]);
    // What the body claims is still shown, for the person to see what arrived.
    expect(received[0]?.event?.type).toBe('export.failed');
  });

  it('verifies nothing before it has the secret', async () => {
    const { url } = await start();
    const response = await fetch(url, { method: 'POST', headers: signed(body), body });
    expect(response.status).toBe(400);
    expect(received[0]).toMatchObject({ verified: false, problem: 'no_secret_yet' });
  });

  it('refuses what is not a delivery: other methods, and bodies over 1 MiB', async () => {
    const { url, useSecrets } = await start();
    useSecrets([secret]);
    expect((await fetch(url)).status).toBe(405);
    expect((await fetch(url, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) })).status).toBe(413);
    expect(received).toEqual([]);
  });

  it('relays the body and signature headers unchanged to --forward-to and answers with its status', async () => {
    const relayed: { headers: Record<string, unknown>; body: string }[] = [];
    receiver = createServer((request, response) => {
      let text = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      request.on('end', () => {
        relayed.push({ headers: request.headers, body: text });
        response.writeHead(202).end('taken');
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const target = new URL(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`);
    const { url, useSecrets } = await start(target);
    useSecrets([secret]);
    const headers = signed(body);

    const response = await fetch(url, { method: 'POST', headers, body });

    expect(response.status).toBe(202);
    expect(await response.text()).toBe('taken');
    expect(relayed).toEqual([
      {
        body,
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'memberships-signature': headers['memberships-signature'],
          'memberships-event-id': event.id,
          'memberships-delivery-id': 'wd_0123456789abcdef01234567',
        }),
      },
    ]);
    expect(received[0]).toMatchObject({ verified: true, forwarded: 202 });
  });

  it('answers 502 when the --forward-to receiver is not there', async () => {
    // A port that was free a moment ago: nothing listens on it now.
    const probe = await startWebhookListener({ port: 0, onRequest: () => undefined });
    const gone = new URL(probe.url);
    await probe.close();
    const { url, useSecrets } = await start(gone);
    useSecrets([secret]);

    const response = await fetch(url, { method: 'POST', headers: signed(body), body });

    expect(response.status).toBe(502);
    expect(received[0]).toMatchObject({ verified: true, forwarded: 'connection_failed' });
  });
});
