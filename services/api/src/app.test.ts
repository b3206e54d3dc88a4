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
  app = buildApp(config, { logStream: { write: (line) => void logLines.push(line) } });
  // A route that fails unexpectedly, to see what a client gets then.
  app.get('/test/explode', async () => {
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
    const body = expectProblem(
      await postToken(JSON.stringify({ email: 'a@b.c', password: 'x', admin: true })),
      400,
      'validation_failed',
    );
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

    const replaced = await request(baseUrl, { method: 'GET', url: '/healthz', headers: { 'x-request-id': 'evil value with "quotes" and spaces' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('security basics', () => {
  it('sends protective headers', async () => {
    const response = await request(baseUrl, { method: 'GET', url: '/healthz' });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
  });

  it('never logs passwords or bearer tokens', async () => {
    const password = 'p4ssw0rd-that-must-not-leak';
    await postToken(JSON.stringify({ email: 'someone@example.test', password }));
    await request(baseUrl, { method: 'GET', url: '/v1/exports', headers: bearer('token-that-must-not-leak') });
    const logs = logLines.join('\n');
    expect(logs).toContain('/v1/auth/token');
    expect(logs).not.toContain(password);
    expect(logs).not.toContain('token-that-must-not-leak');
  });
});
