import { SCOPES } from '@memberships/core/contract';
import { createUser } from '@memberships/local-platform';
import type { FastifyInstance } from 'fastify';
import { buildApp, BODY_LIMIT_BYTES } from './app';
import { loadConfig } from './config';
import { listenOnLoopback, request, type HttpResponse } from './testing/http-client';
import { generateSigningKeys } from './testing/keys';
import { apiEnvironment, bearer, provisionTestPlatform, type TestPlatform } from './testing/test-app';

let platform: TestPlatform;
const keys = generateSigningKeys();
let app: FastifyInstance;
let baseUrl: string;
const logLines: string[] = [];

beforeAll(async () => {
  platform = await provisionTestPlatform();
  const config = loadConfig(apiEnvironment(platform, keys, { LOG_LEVEL: 'debug' }));
  app = buildApp(config, { logStream: { write: (line) => void logLines.push(line) }, swaggerUi: false });
  // A route that fails unexpectedly, to see what a client gets then.
  app.get('/test/explode', { config: { access: 'public' } }, async () => {
    throw new Error('connection to secret-db.internal:5432 refused');
  });
  baseUrl = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
});

function expectProblem(response: HttpResponse, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, code, type: expect.stringContaining(code), title: expect.any(String), detail: expect.any(String) });
  return body;
}

const postToken = (payload: string, contentType = 'application/json') =>
  request(baseUrl, { method: 'POST', url: '/v1/auth/token', headers: { 'content-type': contentType }, payload });

describe('errors are problem documents, never a 500 for bad input', () => {
  it('malformed JSON → 400 malformed_json', async () => {
    expectProblem(await postToken('{"email": "a@b.c", '), 400, 'malformed_json');
    expectProblem(await postToken(''), 400, 'malformed_json');
  });

  it('prototype pollution attempt → 400', async () => {
    const response = await postToken('{"email":"a@b.c","password":"x","__proto__":{"admin":true}}');
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('oversized body → 413 payload_too_large', async () => {
    const payload = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(BODY_LIMIT_BYTES) });
    expectProblem(await postToken(payload), 413, 'payload_too_large');
  });

  it('unknown field → 400 validation_failed naming it', async () => {
    const body = expectProblem(await postToken(JSON.stringify({ email: 'a@b.c', password: 'x', admin: true })), 400, 'validation_failed');
    expect(body.errors).toEqual([{ in: 'body', field: 'admin', message: expect.any(String) }]);
  });

  it('wrong type → 400 validation_failed naming the field', async () => {
    const body = expectProblem(await postToken(JSON.stringify({ email: 'a@b.c', password: { $ne: '' } })), 400, 'validation_failed');
    expect(body.errors).toEqual([{ in: 'body', field: 'password', message: expect.any(String) }]);
  });

  it('a body that is not JSON → 415 unsupported_media_type', async () => {
    expectProblem(await postToken('email=a@b.c&password=x', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
    expectProblem(await postToken('hello', 'text/plain'), 415, 'unsupported_media_type');
  });

  it('unknown route → 404 route_not_found', async () => {
    const body = expectProblem(await request(baseUrl, { method: 'GET', url: '/v2/everything' }), 404, 'route_not_found');
    expect(body.instance).toBe('/v2/everything');
    expectProblem(await request(baseUrl, { method: 'DELETE', url: '/v1/auth/token' }), 404, 'route_not_found');
  });

  it('malformed URL → 400 bad_url', async () => {
    expectProblem(await request(baseUrl, { url: '/v1/exports/%E0%A4%A' }), 400, 'bad_url');
  });

  it('an unexpected failure → 500 internal_error without internals, logged with the cause', async () => {
    const response = await request(baseUrl, { method: 'GET', url: '/test/explode' });
    const body = expectProblem(response, 500, 'internal_error');
    expect(response.body).not.toContain('secret-db');
    expect(body.request_id).toBe(response.headers['x-request-id']);
    expect(logLines.join('\n')).toContain('connection to secret-db.internal:5432 refused');
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const kept = await request(baseUrl, { method: 'GET', url: '/healthz', headers: { 'x-request-id': 'lb-1234.abcd' } });
    expect(kept.headers['x-request-id']).toBe('lb-1234.abcd');

    const replaced = await request(baseUrl, {
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'evil value with "quotes" and spaces' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('bad bodies on every route that takes one: 4xx problem+json, never a 500', () => {
  let token: string;

  beforeAll(async () => {
    const user = await createUser({ aws: platform.aws, table: platform.names.tables.users, scopes: [...SCOPES] });
    const login = await request(baseUrl, {
      method: 'POST',
      url: '/v1/auth/token',
      payload: { email: user.email, password: user.password },
    });
    token = login.json().access_token;
  });

  const routes = ['/v1/auth/token', '/v1/auth/refresh', '/v1/auth/logout', '/v1/admin/users', '/v1/exports'];
  const bodies: [name: string, payload: string, contentType: string, status: number][] = [
    ['malformed JSON', '{"email": ', 'application/json', 400],
    ['oversized', JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(BODY_LIMIT_BYTES) }), 'application/json', 413],
    ['an array', '[1, 2, 3]', 'application/json', 400],
    ['a string', '"hello"', 'application/json', 400],
    ['deeply nested', `${'{"a":'.repeat(2_000)}1${'}'.repeat(2_000)}`, 'application/json', 400],
    ['prototype pollution', '{"__proto__": {"admin": true}}', 'application/json', 400],
    ['not JSON', 'email=a@b.c', 'application/x-www-form-urlencoded', 415],
  ];

  for (const url of routes) {
    it(`POST ${url}`, async () => {
      for (const [name, payload, contentType, status] of bodies) {
        const response = await request(baseUrl, {
          method: 'POST',
          url,
          headers: { ...bearer(token), 'content-type': contentType },
          payload,
        });
        expect({ name, status: response.statusCode }).toEqual({ name, status });
        expect({ name, type: response.headers['content-type'] }).toEqual({
          name,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }
    });
  }
});

describe('security basics', () => {
  it('sends protective headers suited to a JSON API', async () => {
    const response = await request(baseUrl, { method: 'GET', url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(response.headers['content-security-policy']).toBe(
      "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps CORS closed by default: no Access-Control headers for any origin', async () => {
    const simple = await request(baseUrl, { method: 'GET', url: '/healthz', headers: { origin: 'https://app.example.test' } });
    expect(simple.statusCode).toBe(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await request(baseUrl, {
      method: 'OPTIONS',
      url: '/v1/exports',
      headers: {
        origin: 'https://app.example.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('never logs passwords, bearer tokens or refresh tokens', async () => {
    const password = 'p4ssw0rd-that-must-not-leak';
    await postToken(JSON.stringify({ email: 'someone@example.test', password }));
    await request(baseUrl, { method: 'GET', url: '/v1/exports', headers: bearer('token-that-must-not-leak') });
    const refreshToken = 'R'.repeat(43);
    await request(baseUrl, { method: 'POST', url: '/v1/auth/refresh', payload: { refresh_token: refreshToken } });
    await request(baseUrl, { method: 'POST', url: '/v1/auth/logout', payload: { refresh_token: refreshToken } });
    const logs = logLines.join('\n');
    expect(logs).toContain('refresh token rejected');
    expect(logs).not.toContain(refreshToken);
    expect(logs).toContain('/v1/auth/token');
    expect(logs).not.toContain(password);
    expect(logs).not.toContain('token-that-must-not-leak');
  });
});

describe('CORS_ORIGINS', () => {
  let corsApp: FastifyInstance;
  let corsUrl: string;
  const allowed = 'https://app.example.test';

  beforeAll(async () => {
    corsApp = buildApp(loadConfig(apiEnvironment(platform, keys, { CORS_ORIGINS: `${allowed}, https://admin.example.test` })), {
      swaggerUi: false,
    });
    corsUrl = await listenOnLoopback(corsApp);
  });

  afterAll(async () => {
    await corsApp?.close();
  });

  const preflight = (origin: string) =>
    request(corsUrl, {
      method: 'OPTIONS',
      url: '/v1/exports',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, idempotency-key' },
    });

  it('answers the preflight of a listed origin, without credentials', async () => {
    const response = await preflight(allowed);
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(allowed);
    expect(response.headers['access-control-allow-headers']).toContain('authorization');
    expect(response.headers['access-control-allow-headers']).toContain('idempotency-key');
    expect(response.headers['access-control-allow-methods']).toContain('POST');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets a listed origin read responses and their headers; any other origin gets nothing', async () => {
    const listed = await request(corsUrl, { method: 'GET', url: '/healthz', headers: { origin: allowed } });
    expect(listed.headers['access-control-allow-origin']).toBe(allowed);
    expect(listed.headers['access-control-expose-headers']).toContain('location');
    expect(listed.headers.vary).toMatch(/origin/i);

    for (const origin of ['https://evil.example', 'https://app.example.test.evil.example', 'http://app.example.test']) {
      expect((await preflight(origin)).headers['access-control-allow-origin']).toBeUndefined();
      const simple = await request(corsUrl, { method: 'GET', url: '/healthz', headers: { origin } });
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
