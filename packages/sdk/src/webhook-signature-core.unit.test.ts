import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, type WEBHOOK_EVENT_TYPES } from '@memberships/core/contract';
import { signatureHeader } from '@memberships/core/webhooks';
import { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER, type WebhookEventType } from './index.js';

/**
 * The two sides of the signature, written apart (the SDK ships without the
 * platform's packages), held together here: what the worker's signer
 * (core's signatureHeader) signs, the SDK's verifier accepts, and no more.
 */
const now = new Date('2026-03-01T06:00:10.000Z');
const t = Math.floor(now.getTime() / 1000);
const current = 'whsec_Y3VycmVudC1zZWNyZXQtb2YtdGhlLWVuZHBvaW50LTMy';
const previous = 'whsec_cHJldmlvdXMtc2VjcmV0LW9mLXRoZS1lbmRwb2ludC0z';
// Non-ASCII text, as a club name in the job may hold: the signer and the verifier must agree on its UTF-8 bytes.
const body = JSON.stringify({
  id: 'evt_0123456789abcdef01234567',
  object: 'event',
  type: 'export.succeeded',
  created_at: now.toISOString(),
  data: { object: { id: 'b3a1c9e2-4f6d-4e8a-9b2c-1d3e5f7a9b0c', state: 'succeeded', note: 'Sportverein Köln – 🏊' } },
});

describe("the platform's signature, verified by the SDK", () => {
  it('verifies a header signed with one secret, from the body as text or bytes', () => {
    const header = signatureHeader(body, [current], t);
    expect(verifyWebhookSignature(body, header, current, { now }).id).toBe('evt_0123456789abcdef01234567');
    expect(verifyWebhookSignature(Buffer.from(body, 'utf8'), header, current, { now }).type).toBe('export.succeeded');
  });

  it('verifies a header signed during a rotation with whichever secret the receiver has', () => {
    const header = signatureHeader(body, [current, previous], t);
    expect(verifyWebhookSignature(body, header, current, { now }).id).toBeDefined();
    expect(verifyWebhookSignature(body, header, previous, { now }).id).toBeDefined();
    expect(() => verifyWebhookSignature(body, signatureHeader(body, [previous], t), current, { now })).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
  });

  it('rejects what the platform signed once the body or the time is not what it signed', () => {
    const header = signatureHeader(body, [current], t);
    expect(() => verifyWebhookSignature(body.replace('Köln', 'Koln'), header, current, { now })).toThrow(
      expect.objectContaining({ code: 'signature_mismatch' }),
    );
    const later = new Date(now.getTime() + (SIGNATURE_TOLERANCE_SECONDS + 1) * 1000);
    expect(() => verifyWebhookSignature(body, header, current, { now: later })).toThrow(
      expect.objectContaining({ code: 'timestamp_too_old' }),
    );
  });

  it('shares the header name, the tolerance and the event types with the platform', () => {
    expect(WEBHOOK_SIGNATURE_HEADER).toBe(SIGNATURE_HEADER.toLowerCase());
    expect(DEFAULT_WEBHOOK_TOLERANCE_SECONDS).toBe(SIGNATURE_TOLERANCE_SECONDS);
    // Checked by the compiler both ways: a type added on either side and not the other fails `npx tsc --build`.
    type PlatformType = (typeof WEBHOOK_EVENT_TYPES)[number];
    const same: [PlatformType] extends [WebhookEventType] ? ([WebhookEventType] extends [PlatformType] ? true : false) : false = true;
    expect(same).toBe(true);
  });
});
