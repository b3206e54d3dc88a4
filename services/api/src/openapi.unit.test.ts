import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { loadConfig } from './config';
import type { OpenApiDocument } from './plugins/openapi';
import { generateOpenApiDocument, OPENAPI_COMMAND, OPENAPI_FILE, serialiseOpenApiDocument } from './scripts/openapi-document';
import { listenOnLoopback, request } from './testing/http-client';
import { generateSigningKeys } from './testing/keys';

/**
 * The OpenAPI document generated from the route schemas is what the SDK and
 * the CLI are generated from: it must be valid OpenAPI 3.1, complete, served
 * at /openapi.json, and the checked-in services/api/openapi.json must be what
 * the code generates. Nothing here needs AWS or a database.
 */

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
};

type Document = {
  openapi: string;
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

let app: FastifyInstance;
let baseUrl: string;
let document: Document;
/** Every route the app serves (but Swagger UI's files and the CORS preflight, which are not API operations). */
const servedRoutes: string[] = [];

beforeAll(async () => {
  document = (await generateOpenApiDocument()) as unknown as Document;

  const keys = generateSigningKeys();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    USERS_TABLE: 'doc-users',
    JOBS_TABLE: 'doc-export-jobs',
    GUARDS_TABLE: 'doc-export-guards',
    EXPORT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/doc-export-requests',
    EXPORT_BUCKET: 'doc-export-files',
    WEBHOOKS_TABLE: 'doc-webhooks',
    WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/doc-webhook-events',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/doc-export-scheduler',
    EXPORT_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:doc-export-requests',
    EXPORT_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:doc-export-requests-dlq',
    DATABASE_URL: 'postgres://doc:doc@127.0.0.1:5432/doc',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:doc/link-signing-key-AbCdEf',
  });
  app = buildApp(config, { swaggerUi: false });
  app.addHook('onRoute', (route) => {
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide;
    for (const method of [route.method].flat()) {
      if (!hidden && method !== 'HEAD') servedRoutes.push(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    }
  });
  baseUrl = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
});

function operations(): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${route}`, operation] as [string, Operation]),
  );
}

/** Validates with @seriousme/openapi-schema-validator, in a child Node process: it is ESM-only, which Jest cannot load without --experimental-vm-modules. */
function validate(doc: unknown): unknown {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const result = await new Validator().validate(JSON.parse(input));
    process.stdout.write(JSON.stringify(result));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.join(__dirname, '..'),
    input: JSON.stringify(doc),
    encoding: 'utf8',
  });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout);
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validate(document)).toEqual({ valid: true });
  });

  it('is served at GET /openapi.json, the same document, valid', async () => {
    const response = await request(baseUrl, { url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const served = response.json();
    expect(served).toEqual(document);
    expect(validate(served)).toEqual({ valid: true });
  });

  it('documents every route the app serves, and only those', () => {
    const documented = operations()
      .map(([name]) => name)
      .sort();
    expect(documented).toEqual([...new Set(servedRoutes)].sort());
    expect(documented).toEqual(
      [
        'DELETE /v1/export-schedules/{id}',
        'DELETE /v1/exports/{id}/link',
        'GET /healthz',
        'GET /openapi.json',
        'GET /readyz',
        'GET /v1/export-schedules',
        'GET /v1/export-schedules/{id}',
        'GET /v1/export-schedules/{id}/pause-link',
        'GET /v1/exports',
        'GET /v1/exports/{id}',
        'GET /v1/exports/{id}/download',
        'GET /v1/exports/{id}/downloads',
        'GET /v1/exports/{id}/file',
        'GET /v1/me',
        'PATCH /v1/export-schedules/{id}',
        'PATCH /v1/me',
        'POST /v1/admin/users',
        'POST /v1/auth/logout',
        'POST /v1/auth/refresh',
        'POST /v1/auth/token',
        'POST /v1/export-schedules',
        'POST /v1/export-schedules/{id}/pause',
        'POST /v1/export-schedules/{id}/pause-link',
        'POST /v1/export-schedules/{id}/resume',
        'POST /v1/exports',
        'POST /v1/exports/{id}/cancel',
        'DELETE /v1/webhook-endpoints/{id}',
        'GET /v1/webhook-endpoints',
        'GET /v1/webhook-endpoints/{id}',
        'GET /v1/webhook-endpoints/{id}/deliveries',
        'PATCH /v1/webhook-endpoints/{id}',
        'POST /v1/webhook-endpoints',
        'POST /v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend',
        'POST /v1/webhook-endpoints/{id}/rotate-secret',
      ].sort(),
    );
  });

  it('gives every operation a unique operationId, one declared tag and a summary', () => {
    const ids = operations().map(([, operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const declaredTags = document.tags.map((tag) => tag.name);
    for (const [name, operation] of operations()) {
      expect({ name, operationId: operation.operationId }).toEqual({ name, operationId: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
      expect({ name, tags: operation.tags }).toEqual({ name, tags: [expect.any(String)] });
      expect({ name, tagDeclared: declaredTags.includes(operation.tags![0]!) }).toEqual({ name, tagDeclared: true });
      expect({ name, summary: typeof operation.summary }).toEqual({ name, summary: 'string' });
    }
  });

  it('describes every error response as application/problem+json Problem (and as a page too on the emailed links)', () => {
    for (const [name, operation] of operations()) {
      const statuses = Object.keys(operation.responses);
      expect({ name, hasError: statuses.some((status) => Number(status) >= 400) }).toEqual({ name, hasError: true });
      const page = operation.tags?.[0] === 'links' ? { 'text/html': { schema: { type: 'string' } } } : {};
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect({ name, status, content: response.content }).toEqual({
          name,
          status,
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } }, ...page },
        });
      }
    }
  });

  it('states the security of every operation: the bearer scheme with the scope needed, or none for public ones', () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    const security = Object.fromEntries(operations().map(([name, operation]) => [name, operation.security]));
    expect(security).toEqual({
      'GET /healthz': [],
      'GET /openapi.json': [],
      'GET /readyz': [],
      'POST /v1/auth/token': [],
      'POST /v1/auth/refresh': [],
      'POST /v1/auth/logout': [],
      'GET /v1/me': [{ bearerAuth: [] }],
      'PATCH /v1/me': [{ bearerAuth: ['exports:write'] }],
      'POST /v1/admin/users': [{ bearerAuth: ['users:admin'] }],
      'GET /v1/exports': [{ bearerAuth: ['exports:read'] }],
      'GET /v1/exports/{id}': [{ bearerAuth: ['exports:read'] }],
      'GET /v1/exports/{id}/download': [{ bearerAuth: ['exports:read'] }],
      'GET /v1/exports/{id}/downloads': [{ bearerAuth: ['exports:read'] }],
      'POST /v1/exports': [{ bearerAuth: ['exports:write'] }],
      'POST /v1/exports/{id}/cancel': [{ bearerAuth: ['exports:write'] }],
      'DELETE /v1/exports/{id}/link': [{ bearerAuth: ['exports:write'] }],
      // The emailed links: the signed token in the URL is the credential.
      'GET /v1/exports/{id}/file': [],
      'GET /v1/export-schedules/{id}/pause-link': [],
      'POST /v1/export-schedules/{id}/pause-link': [],
      'GET /v1/export-schedules': [{ bearerAuth: ['schedules:read'] }],
      'GET /v1/export-schedules/{id}': [{ bearerAuth: ['schedules:read'] }],
      'POST /v1/export-schedules': [{ bearerAuth: ['schedules:write'] }],
      'PATCH /v1/export-schedules/{id}': [{ bearerAuth: ['schedules:write'] }],
      'DELETE /v1/export-schedules/{id}': [{ bearerAuth: ['schedules:write'] }],
      'POST /v1/export-schedules/{id}/pause': [{ bearerAuth: ['schedules:write'] }],
      'POST /v1/export-schedules/{id}/resume': [{ bearerAuth: ['schedules:write'] }],
      'GET /v1/webhook-endpoints': [{ bearerAuth: ['webhooks:read'] }],
      'GET /v1/webhook-endpoints/{id}': [{ bearerAuth: ['webhooks:read'] }],
      'GET /v1/webhook-endpoints/{id}/deliveries': [{ bearerAuth: ['webhooks:read'] }],
      'POST /v1/webhook-endpoints': [{ bearerAuth: ['webhooks:write'] }],
      'PATCH /v1/webhook-endpoints/{id}': [{ bearerAuth: ['webhooks:write'] }],
      'DELETE /v1/webhook-endpoints/{id}': [{ bearerAuth: ['webhooks:write'] }],
      'POST /v1/webhook-endpoints/{id}/rotate-secret': [{ bearerAuth: ['webhooks:write'] }],
      'POST /v1/webhook-endpoints/{id}/deliveries/{delivery_id}/resend': [{ bearerAuth: ['webhooks:write'] }],
    });
    for (const [name, operation] of operations()) {
      const required = operation.security?.[0]?.bearerAuth;
      if (!required) continue;
      const statuses = Object.keys(operation.responses);
      expect({ name, has401: statuses.includes('401') }).toEqual({ name, has401: true });
      expect({ name, has403: statuses.includes('403') }).toEqual({ name, has403: required.length > 0 });
    }
  });

  it('describes the JSON body of every operation that takes one, and the 429 of limited ones', () => {
    for (const name of ['POST /v1/auth/token', 'POST /v1/auth/refresh', 'POST /v1/auth/logout', 'POST /v1/admin/users', 'PATCH /v1/me']) {
      const operation = operations().find(([candidate]) => candidate === name)![1];
      expect({ name, body: operation.requestBody?.content['application/json']?.schema }).toEqual({ name, body: expect.any(Object) });
      expect({ name, statuses: Object.keys(operation.responses) }).toEqual({
        name,
        statuses: expect.arrayContaining(['400', '413', '415']),
      });
    }
    for (const [name, operation] of operations().filter(([name]) => name.includes('/v1/exports') || name === 'POST /v1/auth/token')) {
      expect({ name, statuses: Object.keys(operation.responses) }).toEqual({ name, statuses: expect.arrayContaining(['429']) });
    }
  });

  it('shows a webhook secret only in the create and rotate-secret answers, and no owner or payload anywhere', () => {
    const properties = (name: string) => Object.keys((document.components.schemas[name] as { properties: object }).properties);
    for (const name of ['WebhookEndpoint', 'WebhookEndpointWithSecret', 'WebhookDelivery']) {
      for (const internal of ['previous_secret', 'previousSecret', 'owner_id', 'ownerId', 'user_id', 'userId', 'payload', 'expires_at']) {
        expect({ name, internal, shown: properties(name).includes(internal) }).toEqual({ name, internal, shown: false });
      }
    }
    expect(properties('WebhookEndpoint')).not.toContain('secret');
    expect(properties('WebhookEndpointWithSecret')).toContain('secret');
    const withSecret = operations()
      .filter(([, operation]) => JSON.stringify(operation.responses).includes('WebhookEndpointWithSecret'))
      .map(([name]) => name);
    expect(withSecret.sort()).toEqual(['POST /v1/webhook-endpoints', 'POST /v1/webhook-endpoints/{id}/rotate-secret']);
  });

  it('never exposes internal job or user fields', () => {
    const job = document.components.schemas.ExportJob as { properties: Record<string, unknown> };
    for (const internal of [
      'userId',
      'user_id',
      'leaseOwner',
      'lease_owner',
      'key',
      'expiresAt',
      'requeuedAt',
      'downloads',
      'linksRevokedAt',
    ]) {
      expect(job.properties).not.toHaveProperty(internal);
    }
    expect(JSON.stringify(job)).not.toMatch(/"key"/);
    const user = document.components.schemas.User as { properties: Record<string, unknown> };
    expect(Object.keys(user.properties).sort()).toEqual(['created_at', 'email', 'emailed_download_links', 'id', 'profile', 'scopes']);
  });
});

describe(`checked-in ${OPENAPI_FILE}`, () => {
  it('is what the code generates (else regenerate it and commit the change)', () => {
    const file = path.join(__dirname, '..', OPENAPI_FILE);
    const generated = serialiseOpenApiDocument(document as unknown as OpenApiDocument);
    let checkedIn: string;
    try {
      checkedIn = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`${file} is missing. Generate it: ${OPENAPI_COMMAND}`);
    }
    if (checkedIn !== generated) {
      const left = checkedIn.split('\n');
      const right = generated.split('\n');
      const line = left.findIndex((text, index) => text !== right[index]);
      throw new Error(
        `${file} differs from the document the route schemas generate (first difference at line ${line + 1}:\n` +
          `  checked in: ${left[line] ?? '<end of file>'}\n  generated:  ${right[line] ?? '<end of file>'}).\n` +
          `Regenerate it: ${OPENAPI_COMMAND}`,
      );
    }
  });
});
