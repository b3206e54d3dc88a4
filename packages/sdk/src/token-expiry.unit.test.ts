import { DEFAULT_REFRESH_LEEWAY_MS, decodeJwtExpiry, expiryFromExpiresIn, refreshDueAt } from './token-expiry.js';

function jwt(claims: object): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('decodeJwtExpiry', () => {
  it('reads exp (seconds) as epoch milliseconds without verifying the signature', () => {
    expect(decodeJwtExpiry(jwt({ sub: 'u1', exp: 1_700_000_300 }))).toBe(1_700_000_300_000);
  });

  it('gives undefined for opaque tokens, broken payloads and tokens without a numeric exp', () => {
    expect(decodeJwtExpiry('opaque-token')).toBeUndefined();
    expect(decodeJwtExpiry('a.%%%not-base64%%%.c')).toBeUndefined();
    expect(decodeJwtExpiry(jwt({ sub: 'u1' }))).toBeUndefined();
    expect(decodeJwtExpiry(jwt({ exp: '1700000300' }))).toBeUndefined();
  });
});

describe('expiryFromExpiresIn', () => {
  it('counts from the moment the response arrived, by the local clock', () => {
    expect(expiryFromExpiresIn(300, 1_000_000)).toBe(1_300_000);
  });
});

describe('refreshDueAt', () => {
  it('refreshes a 5-minute token 30 seconds before it expires', () => {
    const seenAt = 1_000_000;
    const expiresAt = seenAt + 300_000;
    expect(refreshDueAt(expiresAt, seenAt)).toBe(expiresAt - DEFAULT_REFRESH_LEEWAY_MS);
  });

  it('uses at most a quarter of the remaining lifetime for short-lived tokens', () => {
    // A 4-second token would otherwise be "due" the moment it arrives.
    expect(refreshDueAt(14_000, 10_000)).toBe(13_000);
  });

  it('treats an already expired token as due at once', () => {
    expect(refreshDueAt(5_000, 10_000)).toBe(5_000);
  });
});
