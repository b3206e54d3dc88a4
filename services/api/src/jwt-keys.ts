import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '@memberships/core/contract';

/**
 * The access-token keys the API is configured with, checked at start-up
 * rather than at the first login: the ES256 (P-256) signing pair, its `kid`,
 * and the further public keys that verify tokens during a key rotation.
 * config.ts reads the variables; this file is the crypto behind them.
 */
export interface JwtKeys {
  /** PEM of the private key that signs (JWT_PRIVATE_KEY). */
  readonly privateKey: string;
  /** PEM of the matching public key (JWT_PUBLIC_KEY). */
  readonly publicKey: string;
  /** `kid` of issued tokens (JWT_KEY_ID); empty: the key's thumbprint. */
  readonly keyId: string;
  /** More verification keys by `kid` (JWT_PUBLIC_KEYS). */
  readonly additionalPublicKeys?: Readonly<Record<string, string>> | undefined;
}

/** Orchestrators often cannot hold multi-line values: accept `\n` escapes in PEM variables. */
export function unescapePem(value: string): string {
  return value.includes('\\n') ? value.replace(/\\n/g, '\n') : value;
}

/** JWT_PUBLIC_KEYS: a JSON object `{"<kid>": "<PEM>"}`; the keys themselves are checked by checkJwtKeys(). */
export function parsePublicKeys(raw: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEYS must be a JSON object {"<kid>": "<PEM public key>"}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('JWT_PUBLIC_KEYS must be a JSON object {"<kid>": "<PEM public key>"}');
  }
  const keys: Record<string, string> = {};
  for (const [kid, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] must be a PEM string`);
    keys[kid] = unescapePem(value);
  }
  return keys;
}

/**
 * Checks every key (a usable P-256 pair that belongs together; public keys
 * only among the additional ones; no other key under the current `kid`) and
 * returns the `kid` of issued tokens: the configured one, or the RFC 7638
 * thumbprint of the public key. Throws a ConfigError naming the variable.
 */
export function checkJwtKeys(keys: JwtKeys): string {
  const publicKey = checkSigningKeys(keys.privateKey, keys.publicKey);
  const keyId = keys.keyId || jwkThumbprint(publicKey);
  checkAdditionalPublicKeys(keys.additionalPublicKeys ?? {}, keyId, publicKey);
  return keyId;
}

/** RFC 7638 thumbprint: a stable key id that changes exactly when the key does. */
export function jwkThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Both must be P-256 keys and the public key must belong to the private one. */
function checkSigningKeys(privatePem: string, publicPem: string): KeyObject {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY is not a PEM private key');
  }
  try {
    publicKey = createPublicKey(publicPem);
  } catch {
    throw new ConfigError('JWT_PUBLIC_KEY is not a PEM public key');
  }
  checkP256('JWT_PRIVATE_KEY', privateKey);
  checkP256('JWT_PUBLIC_KEY', publicKey);
  if (!sameKey(createPublicKey(privateKey), publicKey)) {
    throw new ConfigError('JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY');
  }
  return publicKey;
}

function checkAdditionalPublicKeys(keys: Readonly<Record<string, string>>, currentKid: string, currentKey: KeyObject): void {
  for (const [kid, pemText] of Object.entries(keys)) {
    if (!kid.trim()) throw new ConfigError('JWT_PUBLIC_KEYS has an empty key id');
    // createPublicKey would happily derive a public key from a private one: refuse to hold private keys here.
    if (pemText.includes('PRIVATE KEY')) throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] must be a public key, not a private one`);
    let key: KeyObject;
    try {
      key = createPublicKey(pemText);
    } catch {
      throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] is not a PEM public key`);
    }
    checkP256(`JWT_PUBLIC_KEYS["${kid}"]`, key);
    if (kid === currentKid && !sameKey(key, currentKey)) {
      throw new ConfigError(`JWT_PUBLIC_KEYS["${kid}"] is not the current key, but "${kid}" is the current key id (JWT_KEY_ID)`);
    }
  }
}

function checkP256(name: string, key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError(`${name} must be an EC P-256 key (ES256)`);
  }
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ format: 'der', type: 'spki' }).equals(b.export({ format: 'der', type: 'spki' }));
}

/** Every key that verifies access tokens, by `kid`: the additional ones and the current one. */
export function verificationKeys(jwt: Pick<JwtKeys, 'keyId' | 'publicKey' | 'additionalPublicKeys'>): Readonly<Record<string, string>> {
  return { ...jwt.additionalPublicKeys, [jwt.keyId]: jwt.publicKey };
}
