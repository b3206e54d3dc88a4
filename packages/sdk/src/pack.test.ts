import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SDK_VERSION } from './version.js';

/**
 * What `npm pack -w @memberships/sdk` produces is a package a user can
 * install outside this repository: it is packed, installed into a fresh
 * project under the system temp directory (its dependency, openapi-fetch,
 * from the npm cache or registry), and used from an ES module and from a
 * CommonJS module, each signing in and calling the API on a local HTTP
 * server. Needs a fresh `npx tsc --build` (the tarball ships dist/).
 */
const run = promisify(execFile);
const packageDir = resolve(__dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');

/**
 * The environment for npm: the pinned Node first on PATH (npm runs on it),
 * and none of the `npm_*` variables the outer `npx jest` set, which would
 * point npm back at this repository (npm_config_local_prefix and friends).
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  env.PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  return env;
}

interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly userAgent: string | undefined;
  readonly authorization: string | undefined;
}

/** Just enough of the API for a consumer to sign in and ask who it is. */
function fakeApi(seen: SeenRequest[]): Server {
  const send = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' });
    response.end(JSON.stringify(body));
  };
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    seen.push({
      method: request.method ?? '',
      path,
      userAgent: request.headers['user-agent'],
      authorization: request.headers.authorization,
    });
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && path === '/v1/auth/token') {
        send(response, 200, {
          access_token: 'access-1',
          refresh_token: 'refresh-1',
          token_type: 'Bearer',
          expires_in: 900,
          refresh_expires_in: 86_400,
        });
      } else if (request.method === 'GET' && path === '/v1/me' && request.headers.authorization === 'Bearer access-1') {
        send(response, 200, {
          id: 'user-1',
          email: 'ann@example.test',
          scopes: ['exports:read'],
          profile: {},
          created_at: '2025-01-01T00:00:00.000Z',
        });
      } else {
        send(response, 404, { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' });
      }
    });
  });
}

const esmConsumer = `import { createClient, MissingCredentialsError, SDK_VERSION } from '@memberships/sdk';

const baseUrl = process.argv[2];
const client = createClient({ baseUrl, credentials: { email: 'ann@example.test', password: 'secret' } });
const me = await client.auth.me();
let missing;
try {
  createClient({ baseUrl, credentials: { email: 'ann@example.test', password: '' } });
} catch (error) {
  missing = error instanceof MissingCredentialsError ? error.code : String(error);
}
console.log(JSON.stringify({ email: me.email, version: SDK_VERSION, missing }));
`;

const commonJsConsumer = `const { createClient, MissingCredentialsError, SDK_VERSION } = require('@memberships/sdk');

async function main() {
  const baseUrl = process.argv[2];
  const client = createClient({ baseUrl, credentials: { email: 'ann@example.test', password: 'secret' } });
  const me = await client.auth.me();
  let missing;
  try {
    createClient({ baseUrl, credentials: { email: 'ann@example.test', password: '' } });
  } catch (error) {
    missing = error instanceof MissingCredentialsError ? error.code : String(error);
  }
  console.log(JSON.stringify({ email: me.email, version: SDK_VERSION, missing }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** A receiver's check, signed with nothing but node:crypto, as the header is documented. */
const webhookConsumer = `import { createHmac } from 'node:crypto';
import { verifyWebhookSignature, WebhookSignatureError } from '@memberships/sdk';

const secret = 'whsec_cGFja2VkLXNkay13ZWJob29rLXNlY3JldC0zMi1ieXQ';
const body = JSON.stringify({ id: 'evt_1', object: 'event', type: 'export.failed', created_at: '2026-03-01T06:00:00.000Z', data: { object: { id: 'job-1' } } });
const t = Math.floor(Date.now() / 1000);
const header = 't=' + t + ',v1=' + createHmac('sha256', secret).update(t + '.' + body).digest('hex');
const event = verifyWebhookSignature(Buffer.from(body), header, secret);
let forged;
try {
  verifyWebhookSignature(body.replace('failed', 'succeeded'), header, secret);
} catch (error) {
  forged = error instanceof WebhookSignatureError ? error.code : String(error);
}
console.log(JSON.stringify({ type: event.type, job: event.data.object.id, forged }));
`;

describe('the packed SDK, installed outside the repository', () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let consumer: string;
  let server: Server;
  let baseUrl: string;
  const seen: SeenRequest[] = [];

  beforeAll(async () => {
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) throw new Error('packages/sdk/dist is missing: run `npx tsc --build` first.');
    work = await mkdtemp(join(tmpdir(), 'sdk-pack-'));

    const { stdout } = await run('npm', ['pack', '-w', '@memberships/sdk', '--pack-destination', work, '--json'], {
      cwd: repoRoot,
      env: npmEnv(),
    });
    const [packed] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
    tarball = join(work, packed.filename);
    packedFiles = packed.files.map((file) => file.path).sort();

    consumer = join(work, 'consumer');
    await mkdir(consumer);
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'sdk-consumer', version: '1.0.0', private: true }));
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--prefix', consumer, tarball], {
      cwd: consumer,
      env: npmEnv(),
    });

    server = fakeApi(seen);
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 180_000);

  afterAll(async () => {
    await new Promise((closed) => (server ? server.close(closed) : closed(undefined)));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is installed into a project that is not inside the repository', () => {
    expect(relative(repoRoot, consumer).startsWith('..')).toBe(true);
    expect(existsSync(join(consumer, 'node_modules', '@memberships', 'sdk', 'package.json'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules', 'openapi-fetch', 'package.json'))).toBe(true);
  });

  it('ships the build, README, LICENSE and examples, and no tests, test helpers, sources or source maps', async () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/generated/api.d.ts',
        'examples/export-memberships.mjs',
        'examples/subscribe-monthly.mjs',
        'examples/webhook-receiver.mjs',
        'dist/webhook-signature.js',
      ]),
    );
    expect(packedFiles.filter((path) => /\.test\.|(^|\/)testing\//.test(path))).toEqual([]);
    expect(packedFiles.filter((path) => path.endsWith('.map') || path.startsWith('src/'))).toEqual([]);

    // Nothing left over from sources that no longer exist.
    const compiled = packedFiles.filter((path) => path.startsWith('dist/'));
    expect(
      compiled.filter((path) => !existsSync(join(packageDir, 'src', path.slice('dist/'.length).replace(/\.(d\.ts|js)$/, '.ts')))),
    ).toEqual([]);

    // No file points at a map or a source the package does not have.
    const installed = join(consumer, 'node_modules', '@memberships', 'sdk');
    for (const path of compiled) {
      const text = await readFile(join(installed, path), 'utf8');
      expect({ path, mapped: text.includes('sourceMappingURL') }).toEqual({ path, mapped: false });
      expect({ path, devOnly: text.includes('@memberships/local-platform') }).toEqual({ path, devOnly: false });
      // Published alone: the platform's own packages (core signs the webhooks) are not its dependencies.
      expect({ path, platform: text.includes('@memberships/core') }).toEqual({ path, platform: false });
    }
  });

  it('declares its license, and the LICENSE file says the same', async () => {
    const installed = join(consumer, 'node_modules', '@memberships', 'sdk');
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { license?: string };
    const rootManifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { license?: string };
    expect(manifest.license).toBe(rootManifest.license);
    expect(manifest.license).toBe('UNLICENSED');
    expect(await readFile(join(installed, 'LICENSE'), 'utf8')).toMatch(/proprietary/i);
    expect(await readdir(installed)).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'dist', 'examples', 'package.json']));
  });

  it.each([
    ['an ES module (import)', 'consumer.mjs', esmConsumer],
    ['a CommonJS module (require)', 'consumer.cjs', commonJsConsumer],
  ])('works from %s: signs in, calls the API, throws its own error classes', async (_kind, name, source) => {
    const file = join(consumer, name);
    await writeFile(file, source);
    seen.length = 0;

    const { stdout, stderr } = await run(process.execPath, [file, baseUrl], { cwd: consumer, env: { PATH: process.env.PATH } });

    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ email: 'ann@example.test', version: SDK_VERSION, missing: 'missing_credentials' });
    expect(seen.map(({ method, path }) => `${method} ${path}`)).toEqual(['POST /v1/auth/token', 'GET /v1/me']);
    expect(seen[1]?.authorization).toBe('Bearer access-1');
    expect(seen[0]?.userAgent).toBe(`memberships-sdk/${SDK_VERSION} node/${process.versions.node}`);
  });

  it('verifies a webhook delivery signed with nothing but node:crypto', async () => {
    const file = join(consumer, 'webhook-consumer.mjs');
    await writeFile(file, webhookConsumer);

    const { stdout, stderr } = await run(process.execPath, [file], { cwd: consumer, env: { PATH: process.env.PATH } });

    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({ type: 'export.failed', job: 'job-1', forged: 'signature_mismatch' });
  });
});
