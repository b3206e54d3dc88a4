import { createServer } from 'node:net';
import { acknowledgeIamDenials } from '@memberships/local-platform';
import { startTestApp, type TestApp } from '../../testing/test-app';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe('GET /healthz', () => {
  it('answers ok without touching any dependency', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('is ready when DynamoDB, SQS and PostgreSQL answer', async () => {
    const response = await t.request({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { dynamodb: 'ok', sqs: 'ok', postgres: 'ok' } });
  });

  it('answers 503 not_ready naming PostgreSQL when it is unreachable, and stays alive', async () => {
    const port = await closedPort();
    const unreachable = await startTestApp({
      platform: { ...t.platform, databaseUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` },
      keys: t.keys,
    });
    try {
      const response = await unreachable.request({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        status: 503,
        code: 'not_ready',
        checks: { dynamodb: 'ok', sqs: 'ok', postgres: expect.stringMatching(/^(failed|timeout)$/) },
      });
      expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);

      expect((await unreachable.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await unreachable.close();
    }
  });

  it('names DynamoDB and SQS when their resources are missing', async () => {
    const missing = await startTestApp({
      platform: {
        ...t.platform,
        names: { ...t.platform.names, tables: { ...t.platform.names.tables, exportJobs: 'no-such-table' } },
        exportQueueUrl: `${t.platform.aws.endpoints.sqs}/000000000000/no-such-queue`,
      },
      keys: t.keys,
    });
    try {
      const response = await missing.request({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 'not_ready', checks: { dynamodb: 'failed', sqs: 'failed', postgres: 'ok' } });
      // With the task role's policy, AWS refuses calls on resources it does not name: AccessDenied.
      expect(await acknowledgeIamDenials(':table/no-such-table')).toBeGreaterThanOrEqual(1);
      expect(await acknowledgeIamDenials(':no-such-queue ')).toBeGreaterThanOrEqual(1);
    } finally {
      await missing.close();
    }
  });
});
