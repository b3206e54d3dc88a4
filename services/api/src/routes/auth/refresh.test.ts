import { DeleteItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { hashRefreshToken } from '@memberships/core/dynamodb';
import type { CreatedUser } from '@memberships/local-platform';
import type { HttpResponse } from '../../testing/http-client';
import { decodeJwt } from '../../testing/keys';
import { bearer, startTestApp, type TestApp } from '../../testing/test-app';

/**
 * Refresh tokens against the real DynamoDB Local: rotation on every use,
 * reuse detection revoking the whole family, logout, expiry, and a refresh
 * seeing the account as it is now.
 */
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

const refresh = (refreshToken: unknown) => t.request({ method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } });
const logout = (refreshToken: unknown) => t.request({ method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: refreshToken } });
const listExports = (token: string) => t.request({ method: 'GET', url: '/v1/exports', headers: bearer(token) });

function expectInvalidRefreshToken(response: HttpResponse): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json()).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
}

async function member(scopes?: CreatedUser['scopes']): Promise<CreatedUser> {
  return t.createUser(scopes ? { scopes } : {});
}

describe('POST /v1/auth/refresh', () => {
  it('rotates: each refresh returns new tokens, and the refresh token sent stops working', async () => {
    const user = await member();
    const login = await t.loginForTokens(user);

    const first = await refresh(login.refresh_token);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const rotated = first.json();
    expect(rotated).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_expires_in: 30 * 86_400,
    });
    expect(rotated.refresh_token).not.toBe(login.refresh_token);
    expect(decodeJwt(rotated.access_token).payload).toMatchObject({ sub: user.id, scope: user.scopes.join(' ') });
    expect((await listExports(rotated.access_token)).statusCode).toBe(200);

    // The chain goes on with the newest token.
    const second = await refresh(rotated.refresh_token);
    expect(second.statusCode).toBe(200);
    expect((await listExports(second.json().access_token)).statusCode).toBe(200);
  });

  it('revokes the whole family when a rotated token is presented again: the newest token stops working too', async () => {
    const user = await member();
    const stolen = (await t.loginForTokens(user)).refresh_token;
    const otherDevice = (await t.loginForTokens(user)).refresh_token;

    // The legitimate client refreshes twice; the thief replays the token it copied earlier.
    const r2 = (await refresh(stolen)).json().refresh_token as string;
    const r3 = (await refresh(r2)).json().refresh_token as string;
    expectInvalidRefreshToken(await refresh(stolen));

    expectInvalidRefreshToken(await refresh(r3));
    expectInvalidRefreshToken(await refresh(r2));
    // Another login of the same user is another family: untouched.
    expect((await refresh(otherDevice)).statusCode).toBe(200);
  });

  it('lets at most one of two simultaneous refreshes with the same token through, and then revokes the family', async () => {
    const user = await member();
    const { refresh_token } = await t.loginForTokens(user);

    const answers = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
    const succeeded = answers.filter((response) => response.statusCode === 200);
    expect(succeeded.length).toBeLessThanOrEqual(1);
    for (const response of answers.filter((answer) => answer.statusCode !== 200)) expectInvalidRefreshToken(response);
    for (const response of succeeded) expectInvalidRefreshToken(await refresh(response.json().refresh_token));
  });

  it('issues the access token from the account as it is now: changed scopes apply, a deleted user is refused', async () => {
    const user = await member(['exports:read', 'exports:write']);
    const { refresh_token } = await t.loginForTokens(user);

    await t.harness.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.config.tables.users,
        Key: { id: { S: user.id } },
        UpdateExpression: 'SET scopes = :scopes',
        ExpressionAttributeValues: { ':scopes': { L: [{ S: 'exports:read' }] } },
      }),
    );
    const narrowed = await refresh(refresh_token);
    expect(narrowed.statusCode).toBe(200);
    const { access_token, refresh_token: next } = narrowed.json();
    expect(decodeJwt(access_token).payload.scope).toBe('exports:read');
    const create = await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(access_token) });
    expect(create.statusCode).toBe(403);
    expect(create.json()).toMatchObject({ code: 'insufficient_scope' });

    await t.harness.dynamodb.send(new DeleteItemCommand({ TableName: t.config.tables.users, Key: { id: { S: user.id } } }));
    expectInvalidRefreshToken(await refresh(next));
  });

  it('refuses a refresh token after its 30 days, and each rotation starts 30 new days', async () => {
    const user = await member();
    const { refresh_token } = await t.loginForTokens(user);
    try {
      t.clock.advance(29 * 86_400_000);
      const renewed = await refresh(refresh_token);
      expect(renewed.statusCode).toBe(200);
      expect(renewed.json().refresh_expires_in).toBe(30 * 86_400);

      t.clock.advance(29 * 86_400_000);
      const again = await refresh(renewed.json().refresh_token);
      expect(again.statusCode).toBe(200);

      t.clock.advance(30 * 86_400_000 + 1_000);
      expectInvalidRefreshToken(await refresh(again.json().refresh_token));
    } finally {
      t.clock.reset();
    }
  });

  it('answers the same 401 for an unknown, a malformed and a made-up token', async () => {
    const unknown = await refresh('A'.repeat(43));
    const odd = await refresh('not a refresh token');
    for (const response of [unknown, odd]) expectInvalidRefreshToken(response);
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    expect(strip(unknown.json())).toEqual(strip(odd.json()));
  });

  it('rejects a body without refresh_token, with another type, or with unknown fields', async () => {
    for (const payload of [{}, { refresh_token: { $ne: '' } }, { refresh_token: 'x', keep: true }]) {
      const response = await t.request({ method: 'POST', url: '/v1/auth/refresh', payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed' });
    }
  });

  it('stores refresh tokens only as their SHA-256', async () => {
    const user = await member();
    const { refresh_token } = await t.loginForTokens(user);
    const { Items = [] } = await t.harness.dynamodb.send(new ScanCommand({ TableName: t.config.tables.refreshTokens }));
    const stored = JSON.stringify(Items);
    expect(stored).not.toContain(refresh_token);
    expect(stored).toContain(hashRefreshToken(refresh_token));
  });
});

describe('POST /v1/auth/logout', () => {
  it('answers 204 and revokes the login: its refresh tokens stop working, other logins go on', async () => {
    const user = await member();
    const session = await t.loginForTokens(user);
    const other = await t.loginForTokens(user);
    const rotated = (await refresh(session.refresh_token)).json().refresh_token as string;

    const response = await logout(rotated);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expectInvalidRefreshToken(await refresh(rotated));
    expect((await refresh(other.refresh_token)).statusCode).toBe(200);
  });

  it('is idempotent and silent about unknown tokens', async () => {
    const user = await member();
    const { refresh_token } = await t.loginForTokens(user);
    expect((await logout(refresh_token)).statusCode).toBe(204);
    expect((await logout(refresh_token)).statusCode).toBe(204);
    expect((await logout('B'.repeat(43))).statusCode).toBe(204);
    expect((await logout('garbage')).statusCode).toBe(204);
  });

  it('rejects a body without refresh_token', async () => {
    const response = await t.request({ method: 'POST', url: '/v1/auth/logout', payload: {} });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field: 'refresh_token' }] });
  });
});
