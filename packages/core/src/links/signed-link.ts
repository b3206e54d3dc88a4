import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed links: the tokens in the links the emails carry (download a file,
 * pause a monthly export). A token grants one thing (`purpose`) on one
 * resource (`subject`: a job id or a schedule id) to one user, until
 * `expiresAt`. It is an HMAC-SHA256 over its own claims with a key from the
 * platform's secrets, so the API can check it without a lookup, and every
 * click is answered afresh (a 5-minute presigned URL for a download), so the
 * link outlives any credential of the worker that sent it.
 *
 * Format: `<base64url(JSON claims)>.<base64url(MAC)>`, claims
 * `{"v":1,"p":purpose,"s":subject,"u":userId,"iat":s,"exp":s,"k":keyId}`.
 * The MAC covers a domain prefix too, so a token of this kind can never be
 * mistaken for any other HMAC the platform might make with the same key.
 *
 * Keys rotate (Secrets Manager's AWSCURRENT and AWSPREVIOUS): a token signed
 * with the previous key is accepted only when it was issued before the
 * current key became active, so a leaked previous key cannot mint new links,
 * and since a token lives at most one retention period, the previous key's
 * tokens are all expired one retention period after the rotation.
 */

export const LINK_PURPOSES = ['download', 'pause'] as const;
export type LinkPurpose = (typeof LINK_PURPOSES)[number];

/** What a token grants. */
export interface LinkGrant {
  readonly purpose: LinkPurpose;
  /** The job id (download) or the schedule id (pause). */
  readonly subject: string;
  readonly userId: string;
  readonly expiresAt: Date;
}

export interface VerifiedLink extends LinkGrant {
  readonly issuedAt: Date;
  readonly keyId: string;
}

export interface SigningKey {
  /** Derived from the secret (not the secret): which key signed a token. */
  readonly id: string;
  readonly secret: Buffer;
  /** When this key became the current one (its secret version's creation date), when known. */
  readonly activeSince?: Date | undefined;
}

export interface LinkKeyring {
  readonly current: SigningKey;
  readonly previous?: SigningKey | undefined;
}

/** Why a token was refused; the API answers each with its own problem. */
export type LinkRefusal =
  /** Not a token of ours at all: cut, altered, wrong shape. */
  | 'malformed'
  /** Well formed, but no key we hold signed it (altered, or signed with a retired key). */
  | 'signature'
  /** A valid token, for another job, schedule, user or purpose than the one asked for. */
  | 'other_link'
  | 'expired';

export type LinkCheck = { readonly valid: true; readonly link: VerifiedLink } | { readonly valid: false; readonly reason: LinkRefusal };

/** How long a monthly email's pause link works: past the next month's email, which brings a new one. */
export const PAUSE_LINK_DAYS = 62;

/** The least length of a signing key's secret: 32 characters (≥ 190 bits from Terraform's random_password). */
export const MIN_LINK_KEY_LENGTH = 32;
/** Longest token accepted; real ones are about 250 characters. */
const MAX_TOKEN_LENGTH = 1024;
const MAC_PREFIX = 'memberships-link/v1.';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class InvalidLinkKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidLinkKeyError';
  }
}

/** A signing key from its secret (the `key` of the secret's JSON). */
export function signingKey(secret: string, activeSince?: Date): SigningKey {
  if (secret.length < MIN_LINK_KEY_LENGTH) {
    throw new InvalidLinkKeyError(
      `A link signing key must be at least ${MIN_LINK_KEY_LENGTH} characters long; this one has ${secret.length}.`,
    );
  }
  const id = createHash('sha256').update(`memberships-link-key-id:${secret}`).digest('base64url').slice(0, 12);
  return { id, secret: Buffer.from(secret, 'utf8'), activeSince };
}

/** A token granting `grant`, signed with `key`, issued at `now`. */
export function signLink(grant: LinkGrant, key: SigningKey, now: Date): string {
  const claims = {
    v: 1,
    p: grant.purpose,
    s: grant.subject,
    u: grant.userId,
    iat: Math.floor(now.getTime() / 1000),
    exp: Math.floor(grant.expiresAt.getTime() / 1000),
    k: key.id,
  };
  const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * Checks `token` for `expected` (the purpose and subject of the URL it came
 * in) as of `now`. The signature is checked before anything the token says
 * is believed, so an altered token learns nothing about what a valid one
 * would need.
 */
export function verifyLink(
  token: string,
  expected: {
    readonly purpose: LinkPurpose;
    readonly subject: string;
    /**
     * The longest life a token of this purpose is ever issued with (a download link: the file
     * retention; a pause link: PAUSE_LINK_DAYS). A token claiming more is refused: the previous
     * key is trusted for tokens issued before the rotation, and a token states its own issue
     * date, so without this bound a leaked previous key could mint a backdated link that never
     * expires; with it, such a link dies at most one lifetime after the rotation.
     */
    readonly maxLifetimeSeconds: number;
  },
  keyring: LinkKeyring,
  now: Date,
): LinkCheck {
  const claims = parseToken(token);
  if (!claims) return refused('malformed');
  const key = [keyring.current, keyring.previous].find((candidate) => candidate?.id === claims.k);
  if (!key) return refused('signature');
  const issuedAt = new Date(claims.iat * 1000);
  const currentSince = keyring.current.activeSince;
  // A retired key signs nothing new: only tokens issued while it was current count.
  if (key !== keyring.current && currentSince && issuedAt.getTime() >= currentSince.getTime()) return refused('signature');
  const expectedMac = mac(key, claims.payload);
  if (claims.mac.length !== expectedMac.length || !timingSafeEqual(claims.mac, expectedMac)) return refused('signature');
  // Signed by us, but not as we issue them: longer-lived than any link of its kind, or ending before it begins.
  if (claims.exp <= claims.iat || claims.exp - claims.iat > expected.maxLifetimeSeconds) return refused('signature');
  if (claims.p !== expected.purpose || claims.s !== expected.subject) return refused('other_link');
  if (now.getTime() >= claims.exp * 1000) return refused('expired');
  return {
    valid: true,
    link: { purpose: claims.p, subject: claims.s, userId: claims.u, issuedAt, expiresAt: new Date(claims.exp * 1000), keyId: key.id },
  };
}

/** The key id a token names (unchecked), so a caller can refresh its keys when it does not know it. */
export function linkKeyId(token: string): string | undefined {
  return parseToken(token)?.k;
}

interface ParsedToken {
  readonly payload: string;
  readonly mac: Buffer;
  readonly p: LinkPurpose;
  readonly s: string;
  readonly u: string;
  readonly iat: number;
  readonly exp: number;
  readonly k: string;
}

function parseToken(token: string): ParsedToken | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload, signature] = parts as [string, string];
  if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return undefined;
  const macBytes = Buffer.from(signature, 'base64url');
  // Canonical encodings only: base64url's spare low bits would otherwise give one token several spellings.
  if (macBytes.toString('base64url') !== signature) return undefined;
  const payloadBytes = Buffer.from(payload, 'base64url');
  if (payloadBytes.toString('base64url') !== payload) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(payloadBytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { v, p, s, u, iat, exp, k } = claims as Record<string, unknown>;
  if (v !== 1 || !LINK_PURPOSES.includes(p as LinkPurpose)) return undefined;
  if (typeof s !== 'string' || typeof u !== 'string' || typeof k !== 'string' || s === '' || u === '') return undefined;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return undefined;
  return { payload, mac: macBytes, p: p as LinkPurpose, s, u, iat: iat as number, exp: exp as number, k };
}

function mac(key: SigningKey, payload: string): Buffer {
  return createHmac('sha256', key.secret).update(MAC_PREFIX).update(payload).digest();
}

function refused(reason: LinkRefusal): LinkCheck {
  return { valid: false, reason };
}
