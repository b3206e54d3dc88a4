import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app';
import { loadConfig } from './config';

/** An OpenAPI document as plain JSON. */
export type OpenApiDocument = Record<string, unknown>;

/** Where `npm run openapi` writes the document, relative to services/api. */
export const OPENAPI_FILE = 'openapi.json';

/** The command that regenerates the checked-in document (say it wherever drift is reported). */
export const OPENAPI_COMMAND = 'npx tsc --build && npm run openapi -w @memberships/api';

/**
 * The document in a stable order: paths, operations, responses and components
 * sorted by key, so the file changes only when the API does (not when a route
 * is registered earlier or later). Everything else keeps the generator's order.
 */
export function stableOpenApiDocument(document: unknown): OpenApiDocument {
  const doc = structuredClone(document) as OpenApiDocument;
  const paths = sortKeys(doc.paths as Record<string, Record<string, Record<string, unknown>>> | undefined);
  if (paths) {
    for (const [route, operations] of Object.entries(paths)) {
      const sorted = sortKeys(operations)!;
      for (const operation of Object.values(sorted)) {
        if (operation && typeof operation === 'object' && 'responses' in operation) {
          operation.responses = sortKeys(operation.responses as Record<string, unknown>);
        }
      }
      paths[route] = sorted;
    }
    doc.paths = paths;
  }
  const components = doc.components as Record<string, Record<string, unknown>> | undefined;
  if (components) {
    doc.components = Object.fromEntries(Object.entries(components).map(([kind, entries]) => [kind, sortKeys(entries)]));
  }
  // Top level in reading order: what it is, then the operations, then what they reference.
  const order = ['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'webhooks', 'components', 'externalDocs'];
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return Object.fromEntries(
    Object.keys(doc)
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
      .map((key) => [key, doc[key]]),
  );
}

function sortKeys<T>(map: Record<string, T> | undefined): Record<string, T> | undefined {
  if (!map) return map;
  return Object.fromEntries(
    Object.keys(map)
      .sort()
      .map((key) => [key, map[key]!]),
  );
}

/** The file's text: two-space JSON with a trailing newline. */
export function serialiseOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Builds the app with a throw-away configuration that names no real resource
 * and reads nothing from the environment, and returns its document. Nothing
 * connects anywhere: the AWS clients and the database connect on first use.
 */
export async function generateOpenApiDocument(): Promise<OpenApiDocument> {
  const keys = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    USERS_TABLE: 'openapi-users',
    JOBS_TABLE: 'openapi-export-jobs',
    GUARDS_TABLE: 'openapi-export-guards',
    EXPORT_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/openapi-export-requests',
    EXPORT_BUCKET: 'openapi-export-files',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/openapi-export-scheduler',
    EXPORT_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:openapi-export-requests',
    EXPORT_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:openapi-export-requests-dlq',
    DATABASE_URL: 'postgres://openapi:openapi@127.0.0.1:5432/openapi',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    JWT_KEY_ID: 'openapi',
  });
  // Swagger UI adds no operation to the document (its routes are hidden): leave it out, so this runs under Jest too.
  const app: FastifyInstance = buildApp(config, { swaggerUi: false });
  try {
    await app.ready();
    return stableOpenApiDocument(app.swagger());
  } finally {
    await app.close();
  }
}
