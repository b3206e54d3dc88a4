import { randomUUID } from 'node:crypto';
import { dummyPasswordHash, verifyPassword } from '@memberships/core/dynamodb';
import type { CreatedUser } from '@memberships/local-platform';
import { decodeJwt, forgeJwt, generateSigningKeys } from '../../testing/keys';
import type { HttpResponse } from '../../testing/http-client';
import { buildApp } from '../../app';
import { bearer, startTestApp, type TestApp } from '../../testing/test-app';

let t: TestApp;
let user: CreatedUser;

/** Every password check the login made: the hash it verified against, and the answer. */
const verifications: { storedHash: string; valid: boolean }[] = [];

beforeAll(async () => {
  t = await startTestApp({
    // The real scrypt verification, observed: which hash each login verified against.
    verifyPassword: async (password, storedHash) => {
      const valid = await verifyPassword(password, storedHash);
      verifications.push({ storedHash, valid });
      return valid;
    },
  });
  user = await t.createUser({ email: `Member-${randomUUID()}@Example.test`, password: 'correct horse battery staple' });
});

afterAll(async () => {
  await t?.close();
});

const login = (payload: unknown) => t.request({ method: 'POST', url: '/v1/auth/token', payload: payload as object });
/** A request that needs `exports:read`: the cheapest way to see whether a token is accepted. */
const listExports = (token: string) => t.request({ method: 'GET', url: '/v1/exports', headers: bearer(token) });

describe('POST /v1/auth/token', () => {
  it('issues an ES256 access token for the right password', async () => {
    const response = await login({ email: user.email, password: user.password });

    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_expires_in: 30 * 86_400,
    });

    const { header, payload } = decodeJwt(body.access_token);
    expect(header).toMatchObject({ alg: 'ES256', kid: 'test-key' });
    expect(payload).toMatchObject({
      iss: 'https://api.memberships.test',
      aud: 'memberships-api-test',
      sub: user.id,
      email: user.email,
      scope: user.scopes.join(' '),
      jti: expect.any(String),
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);

    expect((await listExports(body.access_token)).statusCode).toBe(200);
  });

  it('finds the account whatever the case of the email', async () => {
    const response = await login({ email: user.email.toUpperCase(), password: user.password });
    expect(response.statusCode).toBe(200);
  });

  it('gives the same invalid_credentials problem for a wrong password and an unknown email', async () => {
    const wrongPassword = await login({ email: user.email, password: 'not the password' });
    const unknownEmail = await login({ email: `nobody-${randomUUID()}@example.test`, password: user.password });

    for (const response of [wrongPassword, unknownEmail]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    expect(strip(wrongPassword.json())).toEqual(strip(unknownEmail.json()));
    expect(wrongPassword.json()).toMatchObject({ status: 401, code: 'invalid_credentials', title: 'Invalid credentials' });
    const headers = (response: HttpResponse) =>
      Object.keys(response.headers)
        .filter((name) => !['date', 'x-request-id', 'content-length'].includes(name))
        .sort();
    expect(headers(wrongPassword)).toEqual(headers(unknownEmail));
  });

  it('runs one scrypt verification of the same cost for an unknown email as for a wrong password (so timing tells nothing)', async () => {
    verifications.length = 0;
    await login({ email: user.email, password: 'not the password either' });
    const [wrongPassword] = verifications.splice(0);
    await login({ email: `nobody-${randomUUID()}@example.test`, password: 'whatever it is' });
    const [unknownEmail] = verifications.splice(0);

    expect(wrongPassword).toEqual({ storedHash: user.passwordHash, valid: false });
    expect(unknownEmail).toEqual({ storedHash: await dummyPasswordHash(), valid: false });
    // scrypt$N$r$p$salt$hash: the same work factor on both paths.
    const cost = (hash: string) => hash.split('$').slice(0, 4).join('$');
    expect(cost(unknownEmail!.storedHash)).toBe(cost(wrongPassword!.storedHash));
    expect(cost(wrongPassword!.storedHash)).toMatch(/^scrypt\$\d+\$\d+\$\d+$/);
  });

  it('rejects a body without a password, naming the field', async () => {
    const response = await login({ email: user.email });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field: 'password' }] });
  });
});

describe('access token verification', () => {
  const claims = () => {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    return {
      iss: t.config.jwt.issuer,
      aud: t.config.jwt.audience,
      sub: user.id,
      email: user.email,
      scope: 'exports:read exports:write',
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
    };
  };
  const header = { alg: 'ES256', typ: 'JWT', kid: 'test-key' };

  function expectInvalidToken(response: HttpResponse) {
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(response.json()).toMatchObject({ status: 401, code: 'invalid_token' });
  }

  it('accepts a token with our key and claims (the control for the forgeries below)', async () => {
    const token = forgeJwt(header, claims(), { alg: 'ES256', key: t.keys.privateKey });
    expect((await listExports(token)).statusCode).toBe(200);
  });

  it('rejects an expired token, and accepts it until then', async () => {
    const token = await t.login(user);
    const expiresAtMs = (decodeJwt(token).payload.exp as number) * 1000;
    try {
      t.clock.set(expiresAtMs - 1_000);
      expect((await listExports(token)).statusCode).toBe(200);
      t.clock.set(expiresAtMs + 1);
      expectInvalidToken(await listExports(token));
    } finally {
      t.clock.reset();
    }
  });

  it('rejects an access token older than 5 minutes (issued at T, presented at T + 5 min + 1 s)', async () => {
    const token = await t.login(user);
    // T is the token's own `iat`: a login slowed by a busy machine must not move the deadline.
    const { iat } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number };
    const issuedAt = iat * 1000;
    try {
      t.clock.set(issuedAt + 4 * 60_000);
      expect((await listExports(token)).statusCode).toBe(200);
      t.clock.set(issuedAt + 5 * 60_000 + 1_000);
      expectInvalidToken(await listExports(token));
    } finally {
      t.clock.reset();
    }
  });

  it('rejects a token for another audience', async () => {
    const token = forgeJwt(header, { ...claims(), aud: 'some-other-api' }, { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(token));
  });

  it('rejects a token from another issuer', async () => {
    const token = forgeJwt(header, { ...claims(), iss: 'https://evil.example' }, { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(token));
  });

  it('rejects a tampered token', async () => {
    const token = await t.login(user);
    const [head, , signature] = token.split('.');
    const payload = { ...decodeJwt(token).payload, sub: randomUUID() };
    const tampered = `${head}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
    expectInvalidToken(await listExports(tampered));
  });

  it('rejects an unsigned token (alg none)', async () => {
    const token = forgeJwt({ alg: 'none', typ: 'JWT' }, claims(), { alg: 'none' });
    expectInvalidToken(await listExports(token));
  });

  it('rejects a token signed with another key', async () => {
    const token = forgeJwt(header, claims(), { alg: 'ES256', key: generateSigningKeys().privateKey });
    expectInvalidToken(await listExports(token));
  });

  it('rejects an HS256 token keyed with our public key (algorithm confusion)', async () => {
    const token = forgeJwt({ ...header, alg: 'HS256' }, claims(), { alg: 'HS256', secret: t.keys.publicKey });
    expectInvalidToken(await listExports(token));
  });

  it('rejects a token naming a key id we do not hold, or none', async () => {
    const signed = (head: Record<string, unknown>) => forgeJwt(head, claims(), { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(signed({ ...header, kid: 'some-other-key' })));
    const { kid: _kid, ...withoutKid } = header;
    expectInvalidToken(await listExports(signed(withoutKid)));
  });

  it('rejects a token whose signature was made for other claims (payload swapped in)', async () => {
    const mine = await t.login(user);
    const other = await t.createUser({ scopes: ['exports:read', 'exports:write', 'users:admin'] });
    const theirs = await t.login(other);
    const [head, , signature] = mine.split('.');
    const [, theirPayload] = theirs.split('.');
    expectInvalidToken(await listExports(`${head}.${theirPayload}.${signature}`));
  });

  it('rejects a token missing a required claim', async () => {
    const { jti: _jti, ...withoutJti } = claims();
    const token = forgeJwt(header, withoutJti, { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(token));
  });

  // RFC 8725 §3.8-3.9: a token that names no issuer or no audience could have been
  // issued for anything; one without exp never ends; one without sub is nobody's.
  it.each(['iss', 'aud', 'exp', 'sub'] as const)('rejects a correctly signed token without %s', async (claim) => {
    const { [claim]: _dropped, ...rest } = claims();
    const token = forgeJwt(header, rest, { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(token));
  });

  it('rejects a token whose iss or aud is empty, or of the wrong type', async () => {
    for (const wrong of [{ iss: '' }, { aud: '' }, { iss: 42 }, { aud: [42] }, { iss: null }, { aud: null }]) {
      const token = forgeJwt(header, { ...claims(), ...wrong }, { alg: 'ES256', key: t.keys.privateKey });
      const response = await listExports(token);
      expect({ wrong, status: response.statusCode }).toEqual({ wrong, status: 401 });
    }
  });

  it('rejects garbage and other schemes', async () => {
    expectInvalidToken(await listExports('not-a-jwt'));
    const basic = await t.request({ method: 'GET', url: '/v1/exports', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expectInvalidToken(basic);
  });

  it('asks for a token when there is none', async () => {
    const response = await t.request({ method: 'GET', url: '/v1/exports' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json()).toMatchObject({ code: 'authentication_required' });
  });

  it('answers 403 insufficient_scope when the token lacks the scope', async () => {
    const readOnly = await t.createUser({ scopes: ['exports:read'] });
    const token = await t.login(readOnly);

    expect((await listExports(token)).statusCode).toBe(200);
    const response = await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(token) });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="exports:write"');
    expect(response.json()).toMatchObject({ code: 'insufficient_scope' });
  });
});

describe('signing key rotation (JWT_PUBLIC_KEYS)', () => {
  const previous = generateSigningKeys();
  const next = generateSigningKeys();
  let before: TestApp;
  let after: TestApp;

  beforeAll(async () => {
    // Before the rotation: signs with the previous key, knows only it.
    before = await startTestApp({ platform: t.platform, keys: previous, env: { JWT_KEY_ID: 'key-2025' } });
    // After: signs with the next key and still accepts the previous one's tokens.
    after = await startTestApp({
      platform: t.platform,
      keys: next,
      env: { JWT_KEY_ID: 'key-2026', JWT_PUBLIC_KEYS: JSON.stringify({ 'key-2025': previous.publicKey }) },
    });
  });

  afterAll(async () => {
    await before?.close();
    await after?.close();
  });

  const list = (app: TestApp, token: string) => app.request({ method: 'GET', url: '/v1/exports', headers: bearer(token) });

  it('keeps accepting tokens of the previous key while new ones are signed with the next key', async () => {
    const oldToken = await before.login(user);
    const newToken = await after.login(user);
    expect(decodeJwt(oldToken).header.kid).toBe('key-2025');
    expect(decodeJwt(newToken).header.kid).toBe('key-2026');

    expect((await list(after, oldToken)).statusCode).toBe(200);
    expect((await list(after, newToken)).statusCode).toBe(200);
    // An instance that does not know the next key yet refuses its tokens.
    expect((await list(before, newToken)).statusCode).toBe(401);
  });

  it('checks the signature with the key the kid names, not with any key it holds', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: after.config.jwt.issuer,
      aud: after.config.jwt.audience,
      sub: user.id,
      email: user.email,
      scope: 'exports:read',
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
    };
    // Signed with the next key but claiming to be the previous one.
    const mislabelled = forgeJwt({ alg: 'ES256', typ: 'JWT', kid: 'key-2025' }, claims, { alg: 'ES256', key: next.privateKey });
    const response = await list(after, mislabelled);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'invalid_token' });
  });
});

describe('route access declarations', () => {
  it('refuses to start an app with a route that does not declare who may call it', async () => {
    const app = buildApp(t.config, { swaggerUi: false });
    const attempt = async () => {
      app.get('/v1/forgotten', async () => ({ secret: true }));
      await app.ready();
    };
    await expect(attempt()).rejects.toThrow(/GET \/v1\/forgotten must declare config.access/);
    await app.close();
  });

  it('protects the HEAD twin of a protected GET route too', async () => {
    const anonymous = await t.request({ method: 'HEAD', url: '/v1/exports' });
    expect(anonymous.statusCode).toBe(401);
    const token = await t.login(user);
    expect((await t.request({ method: 'HEAD', url: '/v1/exports', headers: bearer(token) })).statusCode).toBe(200);
  });
});
