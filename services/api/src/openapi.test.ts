import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { loadConfig } from './config';
import { generateSigningKeys } from './testing/keys';

/**
 * The OpenAPI document generated from the route schemas is what the SDK and
 * the CLI will be generated from (issue 3): it must be valid OpenAPI 3.1 and
 * complete. Building the document needs no AWS or database connection.
 */

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};

let app: FastifyInstance;
let document: { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

beforeAll(async () => {
  const keys = generateSigningKeys();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    USERS_TABLE: 'doc-users',
    JOBS_TABLE: 'doc-export-jobs',
    GUARDS_TABLE: 'doc-export-guards',
    EXPORT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/doc-export-requests',
    EXPORT_BUCKET: 'doc-export-files',
    DATABASE_URL: 'postgres://doc:doc@127.0.0.1:5432/doc',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
  });
  app = buildApp(config);
  await app.ready();
  document = app.swagger() as unknown as typeof document;
});

afterAll(async () => {
  await app?.close();
});

function operations(): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${route}`, operation] as [string, Operation]),
  );
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
    // The validator is ESM-only, which Jest cannot load on Node 20: validate in a child Node process.
    const script = `
      import { Validator } from '@seriousme/openapi-schema-validator';
      let input = '';
      for await (const chunk of process.stdin) input += chunk;
      const result = await new Validator().validate(JSON.parse(input));
      process.stdout.write(JSON.stringify(result));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: path.join(__dirname, '..'),
      input: JSON.stringify(document),
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ valid: true });
  });

  it('documents every route', () => {
    expect(operations().map(([name]) => name).sort()).toEqual([
      'GET /healthz',
      'GET /readyz',
      'GET /v1/exports',
      'GET /v1/exports/{id}',
      'GET /v1/exports/{id}/download',
      'POST /v1/auth/token',
      'POST /v1/exports',
    ]);
  });

  it('gives every operation a unique operationId, a tag and a summary', () => {
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [name, operation] of operations()) {
      expect({ name, operationId: operation.operationId }).toEqual({ name, operationId: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
      expect({ name, tags: operation.tags?.length }).toEqual({ name, tags: 1 });
      expect({ name, summary: typeof operation.summary }).toEqual({ name, summary: 'string' });
    }
  });

  it('describes every error response as application/problem+json Problem', () => {
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect({ name, status, content: response.content }).toEqual({
          name,
          status,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        });
      }
    }
  });

  it('marks the export operations as needing a bearer token, with their 401 and 403', () => {
    for (const [name, operation] of operations().filter(([name]) => name.includes('/v1/exports'))) {
      expect({ name, security: operation.security }).toEqual({ name, security: [{ bearerAuth: [] }] });
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '500']));
    }
  });

  it('never exposes internal job fields', () => {
    const job = document.components.schemas.ExportJob as { properties: Record<string, unknown> };
    for (const internal of ['userId', 'user_id', 'leaseOwner', 'lease_owner', 'key', 'expiresAt']) {
      expect(job.properties).not.toHaveProperty(internal);
    }
    expect(JSON.stringify(job)).not.toMatch(/"key"/);
  });
});
