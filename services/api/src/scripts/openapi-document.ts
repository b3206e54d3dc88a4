import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app';
import { loadConfig } from '../config';
import { stableOpenApiDocument, type OpenApiDocument } from '../plugins/openapi';

/**
 * The generator of the checked-in services/api/openapi.json: builds the whole
 * app to collect its routes' schemas, so it lives beside the script that
 * writes the file (write-openapi.ts) rather than in the app, which would then
 * import itself (app → routes/docs → generator → app). The running API's
 * /openapi.json uses only the plugin's stableOpenApiDocument.
 */

/** Where `npm run openapi` writes the document, relative to services/api. */
export const OPENAPI_FILE = 'openapi.json';

/** The command that regenerates the checked-in document (say it wherever drift is reported). */
export const OPENAPI_COMMAND = 'npx tsc --build && npm run openapi -w @memberships/api';

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
    WEBHOOKS_TABLE: 'openapi-webhooks',
    WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/openapi-webhook-events',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/openapi-export-scheduler',
    EXPORT_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:openapi-export-requests',
    EXPORT_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:openapi-export-requests-dlq',
    DATABASE_URL: 'postgres://openapi:openapi@127.0.0.1:5432/openapi',
    JWT_PRIVATE_KEY: keys.privateKey,
    JWT_PUBLIC_KEY: keys.publicKey,
    JWT_KEY_ID: 'openapi',
    LINK_SIGNING_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:openapi/link-signing-key-AbCdEf',
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
