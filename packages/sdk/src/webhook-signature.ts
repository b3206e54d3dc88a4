import { createHmac, timingSafeEqual } from 'node:crypto';
import { MembershipsError } from './errors.js';
import type { WebhookEvent } from './types.js';

/**
 * The receiving side of the platform's webhooks: is this request really from
 * the platform, about this body, and recent? The platform signs every
 * delivery with the endpoint's secret:
 *
 *   Memberships-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…]
 *
 * The SDK checks this with code of its own (it is published alone, without
 * the platform's packages), so the two sides are held together by a test
 * that signs with the platform's function and verifies with this one.
 */

/** The request header that carries the signature, lower-case as Node's `request.headers` has it. */
export const WEBHOOK_SIGNATURE_HEADER = 'memberships-signature';

/** How far a signature's timestamp may be from now, either way, by default: 5 minutes. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export type WebhookSignatureErrorCode =
  /** No Memberships-Signature header (or an empty one). */
  | 'missing_header'
  /** The header is not `t=<unix seconds>,v1=<64 hex>[,v1=…]`. */
  | 'malformed_header'
  /** Correctly signed, but the timestamp is more than the tolerance away from now (in the past: a replay; in the future: a clock far off). */
  | 'timestamp_too_old'
  /** No v1 signature matches any of the secrets: another secret, or the body or timestamp was changed on the way. */
  | 'signature_mismatch'
  /** Correctly signed, but the body is not an event (not UTF-8 JSON with id, type, created_at and data.object). */
  | 'invalid_payload';

/** The request is not a genuine, recent webhook of the platform: answer it 400 and do not act on it. */
export class WebhookSignatureError extends MembershipsError {
  declare readonly code: WebhookSignatureErrorCode;

  constructor(code: WebhookSignatureErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface VerifyWebhookOptions {
  /** Reject a timestamp further than this from now (past or future), in seconds. Default 300. */
  readonly toleranceSeconds?: number | undefined;
  /** The current time, for tests. Default: now. */
  readonly now?: Date | undefined;
}

/** What a signature header may come as: Node's `request.headers[…]` (a string, or several), fetch's `headers.get()` (null). */
export type SignatureHeader = string | readonly string[] | null | undefined;

const SIGNATURE = /^[0-9a-f]{64}$/i;
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Checks a webhook request and returns its event.
 *
 * - `body`: the request body exactly as received, as bytes or the string they
 *   decode to. Not a parsed and re-serialised object: a single space of
 *   difference changes the signature.
 * - `header`: the `Memberships-Signature` header.
 * - `secret`: the endpoint's signing secret (`whsec_…`), or several: during a
 *   rotation pass the new and the old one, and a delivery signed with either
 *   is accepted.
 *
 * Accepts when ANY v1 signature of the header matches ANY of the secrets
 * (the platform adds a second v1 with the previous secret for a day after a
 * rotation), compared in constant time, and the timestamp is within
 * `toleranceSeconds` of now. Throws a WebhookSignatureError otherwise.
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  header: SignatureHeader,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookEvent {
  const secrets: readonly unknown[] = typeof secret === 'string' ? [secret] : secret == null ? [] : [...secret];
  // An unset environment variable is the usual cause; without this it would read as every request forged.
  if (secrets.length === 0 || secrets.some((value) => typeof value !== 'string' || value === '')) {
    throw new TypeError('verifyWebhookSignature needs the endpoint secret (whsec_…): it was empty or not given.');
  }
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new TypeError(`toleranceSeconds must be a number of seconds, 0 or more; got ${String(tolerance)}.`);
  }

  const { timestamp, signatures } = parseSignatureHeader(header);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);

  let matched = false;
  for (const key of secrets as readonly string[]) {
    const expected = createHmac('sha256', key).update(`${timestamp}.`, 'utf8').update(bytes).digest();
    for (const candidate of signatures) {
      // Both are 32 bytes (the header's were checked to be 64 hex digits), as timingSafeEqual requires.
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  if (!matched) {
    throw new WebhookSignatureError(
      'signature_mismatch',
      'No signature of the Memberships-Signature header matches the secret: it was signed with another secret, or the body or ' +
        'timestamp was changed. Verify the raw body as received, with the secret of this endpoint.',
    );
  }

  const now = (options.now ?? new Date()).getTime() / 1000;
  const age = now - timestamp;
  if (Math.abs(age) > tolerance) {
    throw new WebhookSignatureError(
      'timestamp_too_old',
      age > 0
        ? `The signature is ${Math.round(age)} s old, more than the ${tolerance} s allowed: a replayed request, or this clock is behind.`
        : `The signature is dated ${Math.round(-age)} s in the future, more than the ${tolerance} s allowed: a clock is far off.`,
    );
  }
  return parseEvent(bytes);
}

function parseSignatureHeader(header: SignatureHeader): { timestamp: number; signatures: Buffer[] } {
  const value = (typeof header === 'string' ? header : (header ?? []).join(',')).trim();
  if (value === '') {
    throw new WebhookSignatureError(
      'missing_header',
      'The request has no Memberships-Signature header: it did not come from the platform.',
    );
  }
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of value.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 1) throw malformed(`"${part.trim()}" is not a key=value pair`);
    const key = part.slice(0, separator).trim();
    const item = part.slice(separator + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) throw malformed('it has more than one t=');
      if (!TIMESTAMP.test(item)) throw malformed(`t=${item} is not a Unix time in seconds`);
      timestamp = Number(item);
    } else if (key === 'v1') {
      if (!SIGNATURE.test(item)) throw malformed('a v1= is not 64 hexadecimal digits');
      signatures.push(Buffer.from(item, 'hex'));
    }
    // Other keys (a later scheme, v2=) are left for the SDK versions that know them.
  }
  if (timestamp === undefined) throw malformed('it has no t=');
  if (signatures.length === 0) throw malformed('it has no v1=');
  return { timestamp, signatures };
}

function malformed(why: string): WebhookSignatureError {
  return new WebhookSignatureError('malformed_header', `The Memberships-Signature header is malformed: ${why}.`);
}

function parseEvent(bytes: Buffer): WebhookEvent {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new WebhookSignatureError('invalid_payload', 'The body is signed but is not UTF-8 JSON.', { cause });
  }
  const record = isObject(event) ? event : undefined;
  const data = isObject(record?.data) ? record.data : undefined;
  if (
    typeof record?.id !== 'string' ||
    typeof record.type !== 'string' ||
    typeof record.created_at !== 'string' ||
    !isObject(data?.object) ||
    (data.download_url !== undefined && typeof data.download_url !== 'string')
  ) {
    throw new WebhookSignatureError(
      'invalid_payload',
      'The body is signed but is not an event: id, type, created_at or data.object is missing.',
    );
  }
  return event as WebhookEvent;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
