import { readFileSync } from 'node:fs';
import path from 'node:path';
import { provisionTestResources, serviceEnv, spawnService, testDatabaseServerUrl, type RunningService } from '@memberships/local-platform';
import { generateSigningKeys } from '../../testing/keys';

/**
 * Swagger UI and the document, on the built server (dist/server.js) as a
 * deployment runs it: Swagger UI's file server cannot be loaded inside Jest on
 * Node 20 (see routes/docs/index.ts), and this way the test also covers the
 * production wiring.
 */
const entry = path.join(__dirname, '..', '..', '..', 'dist', 'server.js');
const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

let api: RunningService;
let baseUrl: string;

beforeAll(async () => {
  const resources = await provisionTestResources();
  const keys = generateSigningKeys();
  const env = serviceEnv({
    aws: resources.aws,
    names: resources.names,
    queueUrls: resources.queueUrls,
    databaseUrl: testDatabaseServerUrl(),
    logLevel: 'info',
    extra: { HOST: '127.0.0.1', PORT: '0', JWT_PRIVATE_KEY: keys.privateKey, JWT_PUBLIC_KEY: keys.publicKey },
  });
  api = await spawnService(entry, env, { name: 'api-docs', readyLine: (line) => LISTENING.test(line) });
  baseUrl = LISTENING.exec(await api.waitForLine((line) => LISTENING.test(line)))![1]!;
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
    expect(response.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });
});
