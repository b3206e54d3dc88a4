import { createHmac } from 'node:crypto';
import { MembershipsError, verifyWebhookSignature, WebhookSignatureError, type WebhookEvent } from './index.js';
import { DEFAULT_JOB_OPTIONS } from './testing/job-fixtures.js';

/**
 * verifyWebhookSignature against deliveries signed here with a plain HMAC, the
 * way the platform's header is documented (and the platform's own signer in
 * webhook-signature-core.unit.test.ts).
 */
const secret = 'whsec_aW5zdGVhZC1vZi1hLXJlYWwtc2VjcmV0LTMyYnl0ZXM';
const otherSecret = 'whsec_YW5vdGhlci1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXQ';

const event: WebhookEvent = {
  id: 'evt_0123456789abcdef01234567',
  object: 'event',
  type: 'export.succeeded',
  created_at: '2026-03-01T06:00:05.000Z',
  data: {
    object: {
      id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c',
      state: 'succeeded',
      progress: { rows_written: 3, percent: 100 },
      options: DEFAULT_JOB_OPTIONS,
      created_at: '2026-03-01T06:00:00.000Z',
      finished_at: '2026-03-01T06:00:05.000Z',
      links: { self: '/v1/exports/b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c' },
    } as unknown as WebhookEvent['data']['object'],
    download_url: 'https://api.example.test/v1/exports/b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c/file?token=abc',
  },
};
// Spaces and key order as a sender might write them: the signature is over these exact bytes.
const body = JSON.stringify(event, null, 1);
const now = new Date('2026-03-01T06:00:10.000Z');
const t = Math.floor(now.getTime() / 1000) - 5;

const hmac = (key: string, timestamp: number, payload: string | Buffer): string =>
  createHmac('sha256', key).update(`${timestamp}.`).update(payload).digest('hex');
const header = (timestamp: number, ...signatures: string[]): string => [`t=${timestamp}`, ...signatures.map((s) => `v1=${s}`)].join(',');

function rejection(run: () => unknown): WebhookSignatureError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookSignatureError);
    return error as WebhookSignatureError;
  }
  throw new Error('expected verifyWebhookSignature to throw');
}

describe('verifyWebhookSignature', () => {
  it('returns the event of a correctly signed, recent delivery, from the body as a string or as bytes', () => {
    const signature = header(t, hmac(secret, t, body));
    expect(verifyWebhookSignature(body, signature, secret, { now })).toEqual(event);
    expect(verifyWebhookSignature(Buffer.from(body), signature, secret, { now })).toEqual(event);
    expect(verifyWebhookSignature(new TextEncoder().encode(body), signature, secret, { now }).data.object.id).toBe(event.data.object.id);
  });

  it('verifies bytes inside a larger buffer as just those bytes', () => {
    const pool = Buffer.concat([Buffer.from('xxxx'), Buffer.from(body), Buffer.from('yyyy')]);
    const slice = pool.subarray(4, 4 + Buffer.byteLength(body));
    expect(verifyWebhookSignature(slice, header(t, hmac(secret, t, body)), secret, { now }).id).toBe(event.id);
  });

  it('rejects a body changed by one character as signature_mismatch', () => {
    const signature = header(t, hmac(secret, t, body));
    const altered = body.replace('"rows_written": 3', '"rows_written": 4');
    expect(altered).not.toBe(body);
    expect(rejection(() => verifyWebhookSignature(altered, signature, secret, { now })).code).toBe('signature_mismatch');
    // Re-serialising the parsed body (what a JSON body parser hands over) changes the bytes too.
    expect(rejection(() => verifyWebhookSignature(JSON.stringify(JSON.parse(body)), signature, secret, { now })).code).toBe(
      'signature_mismatch',
    );
  });

  it('rejects a timestamp changed after signing as signature_mismatch, even a recent one', () => {
    const signed = hmac(secret, t, body);
    expect(rejection(() => verifyWebhookSignature(body, header(t + 1, signed), secret, { now })).code).toBe('signature_mismatch');
  });

  it('rejects a correctly signed delivery older than the tolerance as timestamp_too_old', () => {
    const old = t - 301;
    const error = rejection(() => verifyWebhookSignature(body, header(old, hmac(secret, old, body)), secret, { now }));
    expect(error.code).toBe('timestamp_too_old');
    expect(error.message).toMatch(/306 s old/);
    // Within a tolerance of one's own it passes.
    expect(verifyWebhookSignature(body, header(old, hmac(secret, old, body)), secret, { now, toleranceSeconds: 600 }).id).toBe(event.id);
  });

  it('rejects a timestamp too far in the future as timestamp_too_old, and takes one within the tolerance', () => {
    const ahead = Math.floor(now.getTime() / 1000) + 301;
    const error = rejection(() => verifyWebhookSignature(body, header(ahead, hmac(secret, ahead, body)), secret, { now }));
    expect(error.code).toBe('timestamp_too_old');
    expect(error.message).toMatch(/future/);
    const near = ahead - 2;
    expect(verifyWebhookSignature(body, header(near, hmac(secret, near, body)), secret, { now }).id).toBe(event.id);
  });

  it('defaults to the real clock', () => {
    const current = Math.floor(Date.now() / 1000);
    expect(verifyWebhookSignature(body, header(current, hmac(secret, current, body)), secret).id).toBe(event.id);
    expect(rejection(() => verifyWebhookSignature(body, header(t, hmac(secret, t, body)), secret)).code).toBe('timestamp_too_old');
  });

  it('accepts during a rotation: any v1 of the header against any of the secrets', () => {
    const both = header(t, hmac(secret, t, body), hmac(otherSecret, t, body));
    expect(verifyWebhookSignature(body, both, secret, { now }).id).toBe(event.id);
    expect(verifyWebhookSignature(body, both, otherSecret, { now }).id).toBe(event.id);
    // A receiver that already has the new secret, and still the old one, in either order.
    const oldOnly = header(t, hmac(otherSecret, t, body));
    expect(verifyWebhookSignature(body, oldOnly, [secret, otherSecret], { now }).id).toBe(event.id);
    expect(verifyWebhookSignature(body, oldOnly, [otherSecret, secret], { now }).id).toBe(event.id);
    expect(rejection(() => verifyWebhookSignature(body, oldOnly, [secret], { now })).code).toBe('signature_mismatch');
  });

  it('rejects a signature made with another secret as signature_mismatch', () => {
    const error = rejection(() => verifyWebhookSignature(body, header(t, hmac(otherSecret, t, body)), secret, { now }));
    expect(error).toBeInstanceOf(MembershipsError);
    expect(error).toMatchObject({ name: 'WebhookSignatureError', code: 'signature_mismatch' });
    // The key is the whole secret string: without its whsec_ prefix it is another key.
    const unprefixed = hmac(secret.slice('whsec_'.length), t, body);
    expect(rejection(() => verifyWebhookSignature(body, header(t, unprefixed), secret, { now })).code).toBe('signature_mismatch');
  });

  it('rejects a missing or empty header as missing_header', () => {
    for (const missing of [undefined, null, '', '   ', []]) {
      expect(rejection(() => verifyWebhookSignature(body, missing, secret, { now })).code).toBe('missing_header');
    }
  });

  it('rejects a garbage header as malformed_header', () => {
    const good = hmac(secret, t, body);
    for (const garbage of [
      'garbage',
      `v1=${good}`,
      `t=${t}`,
      `t=${t},v1=`,
      `t=${t},v1=${good.slice(0, 63)}`,
      `t=${t},v1=${'z'.repeat(64)}`,
      `t=soon,v1=${good}`,
      `t=-${t},v1=${good}`,
      `t=${t},t=${t},v1=${good}`,
      `t=${t},,v1=${good}`,
    ]) {
      expect([garbage, rejection(() => verifyWebhookSignature(body, garbage, secret, { now })).code]).toEqual([
        garbage,
        'malformed_header',
      ]);
    }
  });

  it('reads the header leniently where nothing is lost: spaces, upper-case hex, unknown schemes, a header sent twice', () => {
    const good = hmac(secret, t, body);
    for (const lenient of [` t=${t} , v1=${good} `, `t=${t},v1=${good.toUpperCase()}`, `t=${t},v0=abc,v1=${good},v2=xyz`]) {
      expect(verifyWebhookSignature(body, lenient, secret, { now }).id).toBe(event.id);
    }
    expect(verifyWebhookSignature(body, [`t=${t}`, `v1=${good}`], secret, { now }).id).toBe(event.id);
  });

  it('rejects a correctly signed body that is not an event as invalid_payload', () => {
    for (const payload of ['not json', '[]', '{"id":"evt_1"}', JSON.stringify({ ...event, data: { object: 'job' } }), '\u00ff']) {
      const bytes = payload === '\u00ff' ? Buffer.from([0xff, 0xfe]) : Buffer.from(payload);
      const signature = header(t, hmac(secret, t, bytes));
      expect([payload, rejection(() => verifyWebhookSignature(bytes, signature, secret, { now })).code]).toEqual([
        payload,
        'invalid_payload',
      ]);
    }
  });

  it('says so when the secret is missing, rather than calling every delivery forged', () => {
    const signature = header(t, hmac(secret, t, body));
    for (const missing of ['', [], [secret, ''], undefined as unknown as string]) {
      expect(() => verifyWebhookSignature(body, signature, missing, { now })).toThrow(/needs the endpoint secret/);
    }
    expect(() => verifyWebhookSignature(body, signature, secret, { now, toleranceSeconds: -1 })).toThrow(/toleranceSeconds/);
  });
});
