import type { FastifyPluginAsync } from 'fastify';
import { stableOpenApiDocument } from '../../plugins/openapi';
import { DOCS_TITLE, FAVICON_SVG, LOGO_SVG } from './branding';
import { openApiDocumentSchema } from './schemas';

/**
 * Content-Security-Policy of Swagger UI (/docs): its scripts, styles and
 * images come from this origin only, it calls only this origin ("Try it
 * out"), and it may not be framed. Replaces the API's `default-src 'none'`
 * on the /docs routes only.
 */
const DOCS_CSP = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
};

export interface DocsRoutesOptions {
  /**
   * Serve Swagger UI at /docs (default true). Its file server needs the
   * ESM-only `content-disposition@3`, which Node loads but Jest's module
   * loader cannot without `--experimental-vm-modules` (the same limit as
   * `app.inject`, see testing/http-client.ts): apps built inside Jest turn it off, and
   * docs.test.ts checks /docs on the built server. The UI adds no operation
   * to the document.
   */
  readonly ui?: boolean | undefined;
}

/** `GET /openapi.json` (the document) and Swagger UI at `/docs`. */
const docsRoutes: FastifyPluginAsync<DocsRoutesOptions> = async (app, { ui = true }) => {
  if (ui) {
    // Loaded only when served, so that building the app never touches it otherwise.
    const { default: swaggerUi } = await import('@fastify/swagger-ui');
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      staticCSP: DOCS_CSP,
      // No calls to the public validator service: the page talks to this API only.
      uiConfig: { validatorUrl: null, deepLinking: true, persistAuthorization: false },
      // Our name, logo and tab icon rather than the plugin's defaults (Fastify's logo, Swagger's icons).
      logo: { type: 'image/svg+xml', content: LOGO_SVG, href: '/docs' },
      theme: {
        title: DOCS_TITLE,
        favicon: [{ filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON_SVG }],
      },
    });
  }

  // The same document, in the same order, as the checked-in openapi.json.
  let document: string | undefined;
  app.get('/openapi.json', { schema: openApiDocumentSchema, config: { access: 'public' } }, async (_request, reply) => {
    document ??= JSON.stringify(stableOpenApiDocument(app.swagger()));
    return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=300').send(document);
  });
};

export default docsRoutes;
