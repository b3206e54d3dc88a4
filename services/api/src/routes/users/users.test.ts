import { randomUUID } from 'node:crypto';
import { DEFAULT_SCOPES } from '@memberships/core/contract';
import type { CreatedUser } from '@memberships/local-platform';
import { decodeJwt } from '../../testing/keys';
import { bearer, startTestApp, type TestApp } from '../../testing/test-app';

let t: TestApp;
let admin: CreatedUser;
let adminToken: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.createUser({ scopes: ['users:admin', 'exports:read'], email: `admin-${randomUUID()}@example.test` });
  adminToken = await t.login(admin);
});

afterAll(async () => {
  await t?.close();
});

const createUser = (token: string, payload: unknown) =>
  t.request({ method: 'POST', url: '/v1/admin/users', headers: bearer(token), payload });
const me = (token: string) => t.request({ method: 'GET', url: '/v1/me', headers: bearer(token) });

const PASSWORD = 'a long enough passphrase';

describe('GET /v1/me', () => {
  it('returns your own account, without the password hash', async () => {
    const user = await t.createUser({ profile: { displayName: 'Ada', locale: 'en-GB' } });
    const response = await me(await t.login(user));

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: user.id,
      email: user.email,
      scopes: [...user.scopes],
      profile: { displayName: 'Ada', locale: 'en-GB' },
      created_at: user.createdAt,
      // New accounts get download links by email until they turn them off (PATCH /v1/me).
      emailed_download_links: true,
    });
    expect(response.body).not.toMatch(/scrypt|password/i);
  });

  it('needs a valid token but no particular scope', async () => {
    const nobody = await t.createUser({ scopes: [] });
    expect((await me(await t.login(nobody))).statusCode).toBe(200);

    const anonymous = await t.request({ method: 'GET', url: '/v1/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'authentication_required' });
  });
});

describe('POST /v1/admin/users', () => {
  it('creates a user (201, no hash) who can then log in with the scopes given', async () => {
    const email = `New.Member-${randomUUID()}@Example.test`;
    const response = await createUser(adminToken, { email, password: PASSWORD, scopes: ['exports:read'], profile: { displayName: 'New' } });

    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      scopes: ['exports:read'],
      profile: { displayName: 'New' },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      // New accounts get download links by email until they turn them off (PATCH /v1/me).
      emailed_download_links: true,
    });
    expect(response.body).not.toMatch(/scrypt|passwordHash|password_hash/);

    const token = await t.login({ email, password: PASSWORD });
    expect(decodeJwt(token).payload).toMatchObject({ sub: created.id, scope: 'exports:read' });
    expect((await me(token)).json()).toEqual(created);
  });

  it('gives a new user the default member scopes when none are given', async () => {
    const response = await createUser(adminToken, { email: `default-${randomUUID()}@example.test`, password: PASSWORD });
    expect(response.statusCode).toBe(201);
    expect(response.json().scopes).toEqual([...DEFAULT_SCOPES]);
    expect(response.json().profile).toEqual({});
  });

  it('answers 409 email_taken for an address in use, whatever its case', async () => {
    const email = `taken-${randomUUID()}@example.test`;
    expect((await createUser(adminToken, { email, password: PASSWORD })).statusCode).toBe(201);

    const again = await createUser(adminToken, { email: email.toUpperCase(), password: PASSWORD });
    expect(again.statusCode).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json()).toMatchObject({ status: 409, code: 'email_taken' });
  });

  it('enforces the password policy: 12 to 256 characters, not only spaces', async () => {
    for (const password of ['short', 'x'.repeat(11), 'x'.repeat(257), ' '.repeat(12)]) {
      const response = await createUser(adminToken, { email: `weak-${randomUUID()}@example.test`, password });
      expect({ password, status: response.statusCode }).toEqual({ password, status: 400 });
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field: 'password' }] });
    }
    const emoji = '🔑'.repeat(12); // 12 characters, 24 UTF-16 units
    expect((await createUser(adminToken, { email: `emoji-${randomUUID()}@example.test`, password: emoji })).statusCode).toBe(201);
  });

  it('rejects a malformed email, unknown scopes and unknown fields, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'not-an-email', password: PASSWORD }, 'email'],
      [{ email: `s-${randomUUID()}@example.test`, password: PASSWORD, scopes: ['root'] }, 'scopes.0'],
      [{ email: `u-${randomUUID()}@example.test`, password: PASSWORD, role: 'admin' }, 'role'],
    ];
    for (const [payload, field] of cases) {
      const response = await createUser(adminToken, payload);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field }] });
    }
  });

  it('answers 403 insufficient_scope naming users:admin to a member, and 401 without a token', async () => {
    const member = await t.createUser();
    const response = await createUser(await t.login(member), { email: `x-${randomUUID()}@example.test`, password: PASSWORD });
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="users:admin"');
    expect(response.json()).toMatchObject({ code: 'insufficient_scope', detail: expect.stringContaining('users:admin') });

    const anonymous = await t.request({ method: 'POST', url: '/v1/admin/users', payload: { email: 'a@b.co', password: PASSWORD } });
    expect(anonymous.statusCode).toBe(401);
  });
});
