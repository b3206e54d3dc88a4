import { randomUUID } from 'node:crypto';
import type { CreatedUser } from '@memberships/local-platform';
import { decodeJwt, forgeJwt, generateSigningKeys } from '../../testing/keys';
import type { HttpResponse } from '../../testing/http-client';
import { bearer, startTestApp, type TestApp } from '../../testing/test-app';

let t: TestApp;
let user: CreatedUser;

beforeAll(async () => {
  t = await startTestApp();
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
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 300 });

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

  it('rejects a token missing a required claim', async () => {
    const { jti: _jti, ...withoutJti } = claims();
    const token = forgeJwt(header, withoutJti, { alg: 'ES256', key: t.keys.privateKey });
    expectInvalidToken(await listExports(token));
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
