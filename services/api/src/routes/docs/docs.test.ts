import { readFileSync } from 'node:fs';
import path from 'node:path';
import { provisionTestResources, type RunningService } from '@memberships/local-platform';
import { serverEnv, startServer } from '../../testing/built-server';
import { generateSigningKeys } from '../../testing/keys';
import { DOCS_TITLE, FAVICON_SVG, LOGO_SVG } from './branding';

/**
 * Swagger UI and the document, on the built server (dist/server.js) as a
 * deployment runs it: Swagger UI's file server cannot be loaded inside Jest
 * without --experimental-vm-modules (see routes/docs/index.ts), and this way
 * the test also covers the production wiring.
 */
let api: RunningService;
let baseUrl: string;

beforeAll(async () => {
  ({ api, baseUrl } = await startServer('api-docs', serverEnv(await provisionTestResources(), generateSigningKeys())));
});

afterAll(async () => {
  if (api && !api.exitStatus) await api.stop('SIGTERM');
});

describe('GET /docs', () => {
  it('serves Swagger UI, pointed at this API, under a policy that lets it run from this origin only', async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui"></div>');

    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);

    // Every script and stylesheet the page names is served.
    const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, `${baseUrl}/docs`));
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      await response.arrayBuffer();
    }

    // The UI loads the document from /docs/json: the same document as /openapi.json.
    const uiDocument = (await (await fetch(`${baseUrl}/docs/json`)).json()) as { paths: object };
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: object };
    expect(Object.keys(uiDocument.paths).sort()).toEqual(Object.keys(document.paths).sort());
  });
});

describe('the Swagger UI page', () => {
  it("carries the API's name, logo and icon, not Swagger's or Fastify's", async () => {
    const html = await (await fetch(`${baseUrl}/docs`)).text();
    expect(html).toContain(`<title>${DOCS_TITLE}</title>`);
    expect(html).not.toContain('<title>Swagger UI</title>');

    // One icon, ours, served as SVG; none of the plugin's PNG icons.
    const icons = [...html.matchAll(/<link rel="icon" type="([^"]+)" href="([^"]+)"/g)].map((match) => ({
      type: match[1],
      href: match[2]!,
    }));
    expect(icons).toEqual([{ type: 'image/svg+xml', href: expect.stringMatching(/\/docs\/static\/theme\/favicon\.svg$/) }]);
    const icon = await fetch(new URL(icons[0]!.href, `${baseUrl}/docs`));
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await icon.text()).toBe(FAVICON_SVG);

    // The script that starts the UI puts our logo (an SVG data URI, allowed by img-src data:) into the top bar.
    const initializerPath = /src="([^"]*swagger-initializer\.js)"/.exec(html)![1]!;
    const initializer = await (await fetch(new URL(initializerPath, `${baseUrl}/docs`))).text();
    const logo = /img\.src = 'data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)'/.exec(initializer);
    expect(logo).not.toBeNull();
    const logoSvg = Buffer.from(logo![1]!, 'base64').toString('utf8');
    expect(logoSvg).toBe(LOGO_SVG);
    expect(logoSvg).toContain('Memberships export API');
    expect(logoSvg).not.toMatch(/fastify|swagger/i);
  });
});

describe('GET /openapi.json', () => {
  it('serves exactly the checked-in openapi.json', async () => {
    const response = await fetch(`${baseUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const checkedIn = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'openapi.json'), 'utf8'));
    expect(await response.json()).toEqual(checkedIn);
  });
});

describe('API responses', () => {
  it('keep the strict policy of a JSON API (nothing loads, nothing frames)', async () => {
    const response = await fetch(`${baseUrl}/healthz`);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
    );
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});
