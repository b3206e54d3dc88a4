import swagger from '@fastify/swagger';
import fp from 'fastify-plugin';

/** Version of this HTTP API's contract (the URL carries the major: `/v1`). */
export const API_VERSION = '1.0.0';

/** The API's name: the document's title, and what Swagger UI at /docs shows (routes/docs/branding.ts). */
export const API_TITLE = 'Memberships export API';

/**
 * Collects the route schemas into an OpenAPI 3.1 document (`app.swagger()`).
 * The routes' JSON schemas are the single source of truth; shared schemas
 * (`$id`) become components under their own names; each route's `security`
 * comes from its `config.access` (plugins/auth.ts). Must be registered before
 * the routes. routes/docs serves it (`/openapi.json`, Swagger UI at `/docs`);
 * `npm run openapi` writes it to services/api/openapi.json; both in the order
 * of stableOpenApiDocument.
 */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: API_TITLE,
          version: API_VERSION,
          description:
            'Export all of your memberships as CSV, asynchronously: request an export, get the file by email, ' +
            'or poll the export and download its file. Errors are RFC 9457 problem details ' +
            '(`application/problem+json`) with a stable `code`.',
        },
        tags: [
          { name: 'auth', description: 'Log in, refresh and revoke tokens.' },
          { name: 'users', description: 'Your account.' },
          { name: 'exports', description: 'Request, follow and download exports of your memberships.' },
          { name: 'schedules', description: 'Monthly export subscriptions: an export emailed to you every month.' },
          {
            name: 'webhooks',
            description: 'Webhook endpoints: signed POSTs to your URLs when an export succeeds, fails, is canceled or expires.',
          },
          {
            name: 'links',
            description: 'The links in the emails: download a file, pause a monthly export. No access token: the link is signed.',
          },
          { name: 'admin', description: 'Administration (scope `users:admin`).' },
          { name: 'health', description: 'Liveness and readiness probes.' },
          { name: 'docs', description: 'This API description.' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'Access token from `POST /v1/auth/token` or `POST /v1/auth/refresh` (JWT, ES256, 5 minutes). ' +
                "An operation's security requirement names the scope the token must carry.",
            },
          },
        },
      },
      // Components named after the schemas' $id (Problem, ExportJob...) instead of def-0, def-1...
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, index) => (typeof json.$id === 'string' ? json.$id : `def-${index}`),
      },
    });
  },
  { name: 'openapi' },
);

/** An OpenAPI document as plain JSON. */
export type OpenApiDocument = Record<string, unknown>;

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
