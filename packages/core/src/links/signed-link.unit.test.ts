import { InvalidLinkKeyError, linkKeyId, signingKey, signLink, verifyLink, type LinkGrant, type LinkKeyring } from './signed-link';

const now = new Date('2026-12-01T10:00:00Z');
const day = 86_400_000;
const current = signingKey('c'.repeat(40), new Date('2026-11-20T00:00:00Z'));
const previous = signingKey('p'.repeat(40), new Date('2026-10-01T00:00:00Z'));
const keyring: LinkKeyring = { current, previous };
const grant: LinkGrant = { purpose: 'download', subject: 'job-1', userId: 'user-1', expiresAt: new Date(now.getTime() + 7 * day) };
const WEEK = 7 * 86_400;
const expected = { purpose: 'download', subject: 'job-1', maxLifetimeSeconds: WEEK } as const;

describe('signed links', () => {
  it('verifies a token it signed, with what it grants', () => {
    const check = verifyLink(signLink(grant, current, now), expected, keyring, now);
    expect(check).toEqual({
      valid: true,
      link: { ...grant, issuedAt: now, keyId: current.id },
    });
  });

  it('is valid until its expiry and expired from that second on', () => {
    const token = signLink(grant, current, now);
    expect(verifyLink(token, expected, keyring, new Date(grant.expiresAt.getTime() - 1000)).valid).toBe(true);
    expect(verifyLink(token, expected, keyring, grant.expiresAt)).toEqual({ valid: false, reason: 'expired' });
  });

  it('refuses a token for another job, another purpose', () => {
    const token = signLink(grant, current, now);
    expect(verifyLink(token, { purpose: 'download', subject: 'job-2', maxLifetimeSeconds: WEEK }, keyring, now)).toEqual({
      valid: false,
      reason: 'other_link',
    });
    expect(verifyLink(token, { purpose: 'pause', subject: 'job-1', maxLifetimeSeconds: WEEK }, keyring, now)).toEqual({
      valid: false,
      reason: 'other_link',
    });
  });

  it('refuses any altered character of the claims or the signature', () => {
    const token = signLink(grant, current, now);
    const [payload, signature] = token.split('.') as [string, string];
    // Claims that say another job, re-encoded: the MAC no longer matches.
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, s: 'job-2' })).toString('base64url');
    expect(verifyLink(`${forged}.${signature}`, { purpose: 'download', subject: 'job-2', maxLifetimeSeconds: WEEK }, keyring, now)).toEqual(
      {
        valid: false,
        reason: 'signature',
      },
    );
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 })).toString('base64url');
    expect(verifyLink(`${longer}.${signature}`, expected, keyring, now).valid).toBe(false);
    for (let index = 0; index < token.length; index += 7) {
      if (token[index] === '.') continue;
      const flipped = token.slice(0, index) + (token[index] === 'A' ? 'B' : 'A') + token.slice(index + 1);
      expect(verifyLink(flipped, expected, keyring, now).valid).toBe(false);
    }
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b.c/d'],
    ['not JSON', `${Buffer.from('nope').toString('base64url')}.abc`],
    ['JSON of another version', `${Buffer.from('{"v":2}').toString('base64url')}.abc`],
    ['too long', `${'a'.repeat(2000)}.b`],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(verifyLink(token, expected, keyring, now)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('refuses a token signed with a key it does not hold', () => {
    const stranger = signingKey('s'.repeat(40));
    expect(verifyLink(signLink(grant, stranger, now), expected, keyring, now)).toEqual({ valid: false, reason: 'signature' });
  });

  it('accepts the previous key only for tokens issued before the current key became active', () => {
    const issuedBeforeRotation = new Date('2026-11-19T12:00:00Z');
    const old = signLink({ ...grant, expiresAt: new Date(issuedBeforeRotation.getTime() + 7 * day) }, previous, issuedBeforeRotation);
    expect(verifyLink(old, expected, keyring, new Date('2026-11-25T00:00:00Z')).valid).toBe(true);
    // Minted with the retired key after the rotation: a leaked previous key cannot make new links.
    expect(verifyLink(signLink(grant, previous, now), expected, keyring, now)).toEqual({ valid: false, reason: 'signature' });
    // After the next rotation the key is gone altogether.
    expect(verifyLink(old, expected, { current }, new Date('2026-11-25T00:00:00Z'))).toEqual({ valid: false, reason: 'signature' });
  });

  it('refuses a token signed by us but living longer than its kind is issued for, or ending before it begins', () => {
    const longer = signLink({ ...grant, expiresAt: new Date(now.getTime() + 8 * day) }, current, now);
    expect(verifyLink(longer, expected, keyring, now)).toEqual({ valid: false, reason: 'signature' });
    // A leaked previous key cannot backdate a link that never expires: at most one lifetime after the rotation.
    const backdated = new Date('2026-11-19T00:00:00Z');
    const forever = signLink({ ...grant, expiresAt: new Date('2036-01-01T00:00:00Z') }, previous, backdated);
    expect(verifyLink(forever, expected, keyring, now)).toEqual({ valid: false, reason: 'signature' });
    const reversed = signLink({ ...grant, expiresAt: new Date(now.getTime() - 1000) }, current, now);
    expect(verifyLink(reversed, expected, keyring, new Date(now.getTime() - 5000))).toEqual({ valid: false, reason: 'signature' });
  });

  it('names the key that signed a token, and none for garbage', () => {
    expect(linkKeyId(signLink(grant, current, now))).toBe(current.id);
    expect(linkKeyId('garbage')).toBeUndefined();
  });

  it('derives key ids that do not reveal the key, and refuses short keys', () => {
    expect(current.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(current.id).not.toContain('c'.repeat(4));
    expect(signingKey('c'.repeat(40)).id).toBe(current.id);
    expect(previous.id).not.toBe(current.id);
    expect(() => signingKey('short')).toThrow(InvalidLinkKeyError);
  });
});
