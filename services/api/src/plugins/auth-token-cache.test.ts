import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import type { HttpResponse } from '../testing/http-client';
import { decodeJwt, forgeJwt, generateSigningKeys } from '../testing/keys';
import { bearer, startTestApp, type TestApp } from '../testing/test-app';

/**
 * The verified-token cache (JWT_VERIFY_CACHE_SIZE) may only save the
 * signature check: each case first gets the token accepted (so, with the
 * cache on, remembered) and then shows that what must still refuse it does,
 * the same with the cache on and off.
 */
describe.each([
  ['on', '10000'],
  ['off', '0'],
])('authentication with the verified-token cache %s', (_mode, size) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_VERIFY_CACHE_SIZE: size } });
  });

  afterAll(async () => {
    await t?.close();
  });

  afterEach(() => t.clock.reset());

  const listExports = (token: string) => t.request({ method: 'GET', url: '/v1/exports', headers: bearer(token) });
  const me = (token: string) => t.request({ method: 'GET', url: '/v1/me', headers: bearer(token) });
  const expiresAtMs = (token: string) => (decodeJwt(token).payload.exp as number) * 1000;

  function expectInvalidToken(response: HttpResponse): void {
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ status: 401, code: 'invalid_token' });
  }

  it('uses the configured size', () => {
    expect(t.config.jwt.verifiedTokenCacheSize).toBe(Number(size));
  });

  it('refuses an accepted token once it expires, and accepts it up to then', async () => {
    const { token } = await t.member();
    expect((await listExports(token)).statusCode).toBe(200);
    t.clock.set(expiresAtMs(token) - 1_000);
    expect((await listExports(token)).statusCode).toBe(200);
    t.clock.set(expiresAtMs(token) + 1);
    expectInvalidToken(await listExports(token));
    // Not served again once the clock is back within its lifetime either: it is verified afresh (and passes).
    t.clock.reset();
    expect((await listExports(token)).statusCode).toBe(200);
  });

  it('refuses a forged signature over the claims of an accepted token', async () => {
    const { token } = await t.member();
    expect((await listExports(token)).statusCode).toBe(200);
    const [head, payload] = token.split('.');
    const { header, payload: claims } = decodeJwt(token);
    const otherKey = forgeJwt(header, claims, { alg: 'ES256', key: generateSigningKeys().privateKey }).split('.')[2];
    expectInvalidToken(await listExports(`${head}.${payload}.${otherKey}`));
    expectInvalidToken(await listExports(`${head}.${payload}.`));
    expect((await listExports(token)).statusCode).toBe(200);
  });

  it('checks the scope on every request', async () => {
    const user = await t.createUser({ scopes: ['exports:read'] });
    const token = await t.login(user);
    expect((await listExports(token)).statusCode).toBe(200);
    const create = await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(token) });
    expect(create.statusCode).toBe(403);
    expect(create.json()).toMatchObject({ code: 'insufficient_scope' });
  });

  it('refuses an accepted token at /v1/me once its account is deleted', async () => {
    const { user, token } = await t.member();
    expect((await me(token)).statusCode).toBe(200);
    await t.harness.dynamodb.send(new DeleteItemCommand({ TableName: t.config.tables.users, Key: { id: { S: user.id } } }));
    expectInvalidToken(await me(token));
  });

  it('after logout refuses the refresh token at once and the accepted access token at its expiry', async () => {
    const user = await t.createUser();
    const session = await t.loginForTokens(user);
    expect((await listExports(session.access_token)).statusCode).toBe(200);
    const logout = await t.request({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: session.refresh_token } });
    expect(logout.statusCode).toBe(204);
    const refresh = await t.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: session.refresh_token } });
    expect(refresh.statusCode).toBe(401);
    // Documented (POST /v1/auth/logout): access tokens issued before run out on their own, within their 5 minutes.
    expect((await listExports(session.access_token)).statusCode).toBe(200);
    t.clock.set(expiresAtMs(session.access_token) + 1);
    expectInvalidToken(await listExports(session.access_token));
  });

  it('tells two users apart: each token is served as its own principal', async () => {
    const first = await t.member();
    const second = await t.member();
    for (let round = 0; round < 2; round += 1) {
      expect((await me(first.token)).json()).toMatchObject({ id: first.user.id });
      expect((await me(second.token)).json()).toMatchObject({ id: second.user.id });
    }
  });
});
