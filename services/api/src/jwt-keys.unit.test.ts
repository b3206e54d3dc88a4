import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@memberships/core/contract';
import { checkJwtKeys, jwkThumbprint, parsePublicKeys, unescapePem, verificationKeys } from './jwt-keys';
import { generateSigningKeys } from './testing/keys';

const keys = generateSigningKeys();

describe('unescapePem', () => {
  it('turns `\\n` escapes back into newlines and leaves real PEM alone', () => {
    expect(unescapePem(keys.publicKey.replace(/\n/g, '\\n'))).toBe(keys.publicKey);
    expect(unescapePem(keys.publicKey)).toBe(keys.publicKey);
  });
});

describe('parsePublicKeys', () => {
  it('reads a JSON object of PEM strings by kid, escapes accepted', () => {
    expect(parsePublicKeys(JSON.stringify({ old: keys.publicKey.replace(/\n/g, '\\n') }))).toEqual({ old: keys.publicKey });
  });

  it('refuses anything else with a ConfigError naming JWT_PUBLIC_KEYS', () => {
    for (const [raw, message] of [
      ['not json', /JWT_PUBLIC_KEYS must be a JSON object/],
      ['null', /JWT_PUBLIC_KEYS must be a JSON object/],
      ['["a"]', /JWT_PUBLIC_KEYS must be a JSON object/],
      [JSON.stringify({ old: 42 }), /JWT_PUBLIC_KEYS\["old"\] must be a PEM string/],
    ] as const) {
      expect(() => parsePublicKeys(raw)).toThrow(ConfigError);
      expect(() => parsePublicKeys(raw)).toThrow(message);
    }
  });
});

describe('checkJwtKeys', () => {
  it('returns the configured kid, or the RFC 7638 thumbprint of the public key', () => {
    expect(checkJwtKeys({ ...keys, keyId: 'key-1' })).toBe('key-1');
    const thumbprint = checkJwtKeys({ ...keys, keyId: '' });
    // RFC 7638: SHA-256 of the required members of the JWK, in lexicographic order, base64url.
    const jwk = createPublicKey(keys.publicKey).export({ format: 'jwk' });
    const expected = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
    expect(thumbprint).toBe(expected);
    expect(jwkThumbprint(createPublicKey(keys.publicKey))).toBe(expected);
    expect(checkJwtKeys({ ...generateSigningKeys(), keyId: '' })).not.toBe(thumbprint);
  });

  it('refuses a pair that is not two matching P-256 PEM keys', () => {
    const other = generateSigningKeys();
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const cases: [Parameters<typeof checkJwtKeys>[0], RegExp][] = [
      [{ ...keys, privateKey: 'not a key', keyId: '' }, /JWT_PRIVATE_KEY is not a PEM private key/],
      [{ ...keys, publicKey: 'not a key', keyId: '' }, /JWT_PUBLIC_KEY is not a PEM public key/],
      [{ ...keys, publicKey: other.publicKey, keyId: '' }, /JWT_PUBLIC_KEY does not belong to JWT_PRIVATE_KEY/],
      [{ ...rsa, keyId: '' }, /JWT_PRIVATE_KEY must be an EC P-256 key/],
    ];
    for (const [given, message] of cases) expect(() => checkJwtKeys(given)).toThrow(message);
  });

  it('accepts more public keys, and refuses private ones, foreign curves and another key under the current kid', () => {
    const previous = generateSigningKeys();
    expect(
      checkJwtKeys({ ...keys, keyId: 'current', additionalPublicKeys: { previous: previous.publicKey, current: keys.publicKey } }),
    ).toBe('current');
    const rsa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const cases: [Record<string, string>, RegExp][] = [
      [{ ' ': previous.publicKey }, /JWT_PUBLIC_KEYS has an empty key id/],
      [{ old: previous.privateKey }, /JWT_PUBLIC_KEYS\["old"\] must be a public key, not a private one/],
      [{ old: 'not a key' }, /JWT_PUBLIC_KEYS\["old"\] is not a PEM public key/],
      [{ old: rsa.publicKey }, /JWT_PUBLIC_KEYS\["old"\] must be an EC P-256 key/],
      [{ current: previous.publicKey }, /"current" is the current key id \(JWT_KEY_ID\)/],
    ];
    for (const [additionalPublicKeys, message] of cases) {
      expect(() => checkJwtKeys({ ...keys, keyId: 'current', additionalPublicKeys })).toThrow(message);
    }
  });
});

describe('verificationKeys', () => {
  it('holds the additional keys and the current one under its kid', () => {
    expect(verificationKeys({ keyId: 'now', publicKey: 'PEM-now', additionalPublicKeys: { before: 'PEM-before' } })).toEqual({
      before: 'PEM-before',
      now: 'PEM-now',
    });
    expect(verificationKeys({ keyId: 'now', publicKey: 'PEM-now' })).toEqual({ now: 'PEM-now' });
  });
});
