import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ApiError, createClient, NetworkError, type ClientOptions, type ExportJob, type Tokens } from './index.js';
import { createUser, decodeJwt, recordingFetch, startTestPlatform, unreachableUrl, type TestPlatform } from '@memberships/local-platform';

/**
 * The SDK against the real API and worker processes, on the local emulators
 * and PostgreSQL of the jest global setup.
 */
describe('SDK against the real platform', () => {
  let platform: TestPlatform;
  let dir: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 150 });
    dir = await mkdtemp(join(tmpdir(), 'sdk-it-'));
  });

  afterAll(async () => {
    await platform?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const passwordClient = (extra: Partial<ClientOptions> = {}) =>
    createClient({ baseUrl: platform.apiUrl, credentials: { email: platform.user.email, password: platform.user.password }, ...extra });

  it('creates an export, sees it through to succeeded with progress, and downloads the verified file', async () => {
    const client = passwordClient();
    const seen: ExportJob['state'][] = [];

    const { job } = await client.exports.create();
    const finished = await client.exports.wait(job.id, {
      onProgress: (update) => {
        seen.push(update.state);
      },
      timeoutMs: 60_000,
    });

    expect(finished.id).toBe(job.id);
    expect(finished.state).toBe('succeeded');
    expect(seen.at(-1)).toBe('succeeded');
    // Typed as succeeded: the file facts and finish time are there without `?.`.
    expect(finished.file.rows).toBe(150 + 13);
    expect(Date.parse(finished.finished_at)).not.toBeNaN();

    const path = join(dir, 'memberships.csv');
    const saved = await client.exports.download(job.id, { path });
    const content = await readFile(path);
    expect(saved.path).toBe(path);
    expect(saved.bytes).toBe(content.length);
    expect(createHash('sha256').update(content).digest('hex')).toBe(finished.file.sha256);
    expect(content.toString('utf8').split('\n')[0]).toMatch(/^id,uuid,club_name,/);
  });

  it('returns the same export for the same idempotency key, and says so', async () => {
    const client = passwordClient();
    const key = `sdk-test-${Date.now()}`;
    const first = await client.exports.create({}, { idempotencyKey: key });
    const again = await client.exports.create({}, { idempotencyKey: key });
    expect(again.job.id).toBe(first.job.id);
    expect(again.existing).toBe(true);
    await client.exports.wait(first.job.id, { timeoutMs: 60_000 });
  });

  it('lists exports newest first and iterates across pages', async () => {
    const client = passwordClient();
    const page = await client.exports.list({ limit: 1 });
    expect(page.items).toHaveLength(1);
    expect(page.next_cursor).toBeTruthy();

    const all: ExportJob[] = [];
    for await (const job of client.exports.listAll({ limit: 1 })) all.push(job);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all[0]?.id).toBe(page.items[0]?.id);
    const created = all.map((job) => job.created_at);
    expect([...created].sort().reverse()).toEqual(created);
  });

  it('turns an API problem into an ApiError with status, code, title and detail', async () => {
    const client = passwordClient();
    const missing = client.exports.get('00000000-0000-4000-8000-000000000000');
    await expect(missing).rejects.toBeInstanceOf(ApiError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'export_not_found' });
    const error = (await missing.catch((caught: unknown) => caught)) as ApiError;
    expect(error.title).toEqual(expect.any(String));
    expect(error.problem).toMatchObject({ status: 404, code: 'export_not_found' });

    const wrong = createClient({ baseUrl: platform.apiUrl, credentials: { email: platform.user.email, password: 'not it' } });
    await expect(wrong.exports.list()).rejects.toMatchObject({ name: 'ApiError', status: 401, code: 'invalid_credentials' });
  });

  it('reports an unreachable API as a NetworkError naming the URL', async () => {
    const url = await unreachableUrl();
    const client = createClient({ baseUrl: url, credentials: { email: 'a@example.test', password: 'x' } });
    const attempt = client.exports.list();
    await expect(attempt).rejects.toBeInstanceOf(NetworkError);
    await expect(attempt).rejects.toMatchObject({ code: 'network_error', message: expect.stringContaining(url) });
  });

  it('refreshes an expired access token exactly once for many concurrent calls, and hands over the new tokens', async () => {
    const tokens = await passwordClient().auth.login();
    const { fetch, requests } = recordingFetch();
    const saved: Tokens[] = [];
    const client = createClient({
      baseUrl: platform.apiUrl,
      // Stored tokens whose access token has run out by the local clock.
      credentials: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, accessTokenExpiresAt: Date.now() - 1_000 },
      onTokens: (fresh) => {
        saved.push(fresh);
      },
      fetch,
    });

    const pages = await Promise.all(Array.from({ length: 8 }, () => client.exports.list({ limit: 1 })));

    expect(pages).toHaveLength(8);
    expect(requests.filter((request) => request.path === '/v1/auth/refresh')).toHaveLength(1);
    expect(saved).toHaveLength(1);
    expect(saved[0]?.refreshToken).not.toBe(tokens.refreshToken);
  });

  it('after the API rejects an expired token (401), refreshes once and replays every call', async () => {
    const tokens = await passwordClient().auth.login();
    const { header, claims } = decodeJwt(tokens.accessToken);
    const now = Math.floor(Date.now() / 1000);
    // A token the API itself issued six minutes ago: signed with its key, expired a minute ago.
    const expired = platform.signAccessToken({ ...claims, iat: now - 360, exp: now - 60 }, header);
    const { fetch, requests } = recordingFetch();
    const client = createClient({
      baseUrl: platform.apiUrl,
      // This machine's clock believes the token is still good: only the API's 401 tells.
      credentials: { accessToken: expired, refreshToken: tokens.refreshToken, accessTokenExpiresAt: Date.now() + 120_000 },
      fetch,
    });

    const jobs = await Promise.all(Array.from({ length: 6 }, () => client.exports.list({ limit: 1 })));

    expect(jobs).toHaveLength(6);
    expect(requests.filter((request) => request.path === '/v1/auth/refresh')).toHaveLength(1);
    expect(requests.filter((request) => request.path === '/v1/exports')).toHaveLength(12);
  });

  it('tells who is signed in', async () => {
    const me = await passwordClient().auth.me();
    expect(me).toMatchObject({ id: platform.user.id, email: platform.user.email });
  });

  it('records each download: the job counts it, and downloads() lists it newest first as the SDK’s', async () => {
    const client = passwordClient();
    const { job } = await client.exports.create();
    const done = await client.exports.wait(job.id, { timeoutMs: 60_000 });
    expect(done).toMatchObject({ download_count: 0, links: { downloads: `/v1/exports/${job.id}/downloads` } });
    expect(done.last_downloaded_at).toBeUndefined();
    expect(Date.parse(done.expires_at ?? '')).toBeGreaterThan(Date.parse(done.finished_at));
    expect(await client.exports.downloads(job.id)).toEqual({ download_count: 0, items: [] });

    await client.exports.download(job.id, { path: join(dir, 'counted-1.csv') });
    await client.exports.download(job.id, { path: join(dir, 'counted-2.csv') });

    const downloads = await client.exports.downloads(job.id);
    expect(downloads.download_count).toBe(2);
    expect(downloads.items).toHaveLength(2);
    for (const item of downloads.items) {
      expect(item).toMatchObject({
        via: 'sdk',
        client_address: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
        user_agent: expect.stringMatching(/^memberships-sdk\//),
      });
    }
    const times = downloads.items.map((item) => item.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(downloads.last_downloaded_at).toBe(times[0]);
    const after = await client.exports.get(job.id);
    expect({ count: after.download_count, last: after.last_downloaded_at }).toEqual({ count: 2, last: times[0] });

    await expect(client.exports.downloads('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      name: 'ApiError',
      status: 404,
      code: 'export_not_found',
    });
  });

  it('revokes the emailed link of an export; the SDK’s own download still works', async () => {
    const client = passwordClient();
    const { job } = await client.exports.create();
    await client.exports.wait(job.id, { timeoutMs: 60_000 });

    await expect(client.exports.revokeLink(job.id)).resolves.toBeUndefined();
    const saved = await client.exports.download(job.id, { path: join(dir, 'after-revoke.csv') });
    expect(saved.bytes).toBeGreaterThan(0);

    const unknown = client.exports.revokeLink('00000000-0000-4000-8000-000000000000');
    await expect(unknown).rejects.toBeInstanceOf(ApiError);
    await expect(unknown).rejects.toMatchObject({ status: 404, code: 'export_not_found' });
  });

  it('turns emailed download links off and on again for the account, which the user then reads', async () => {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    const client = createClient({ baseUrl: platform.apiUrl, credentials: { email: user.email, password: user.password } });
    expect(await client.auth.me()).toMatchObject({ id: user.id, emailed_download_links: true });

    expect(await client.auth.updateMe({ emailed_download_links: false })).toMatchObject({ id: user.id, emailed_download_links: false });
    expect(await client.auth.me()).toMatchObject({ emailed_download_links: false });
    expect(await client.auth.updateMe({ emailed_download_links: true })).toMatchObject({ emailed_download_links: true });
    expect(await client.auth.me()).toMatchObject({ emailed_download_links: true });

    const reader = await createUser({
      aws: platform.resources.aws,
      table: platform.resources.names.tables.users,
      scopes: ['exports:read'],
    });
    const readOnly = createClient({ baseUrl: platform.apiUrl, credentials: { email: reader.email, password: reader.password } });
    await expect(readOnly.auth.updateMe({ emailed_download_links: false })).rejects.toMatchObject({
      name: 'ApiError',
      status: 403,
      code: 'insufficient_scope',
    });
    expect(await readOnly.auth.me()).toMatchObject({ emailed_download_links: true });
  });

  it('logs out: the refresh token stops working', async () => {
    const client = passwordClient();
    const tokens = await client.auth.login();
    await client.auth.logout();
    expect(client.auth.tokens).toBeUndefined();

    const stale = createClient({ baseUrl: platform.apiUrl, credentials: { refreshToken: tokens.refreshToken } });
    await expect(stale.exports.list()).rejects.toMatchObject({ code: 'session_expired' });
  });

  it('the README example says which variables to set when they are not, and calls nothing', async () => {
    const packageDir = resolve(__dirname, '..');
    const url = await unreachableUrl();
    const running = promisify(execFile)(
      process.execPath,
      [join(packageDir, 'examples', 'export-memberships.mjs'), join(dir, 'never.csv')],
      {
        // MEMBERSHIPS_PASSWORD unset; an API that is not there, so a request would fail differently.
        env: { PATH: process.env.PATH, MEMBERSHIPS_API_URL: url, MEMBERSHIPS_EMAIL: platform.user.email },
      },
    );
    await expect(running).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('Set MEMBERSHIPS_EMAIL and MEMBERSHIPS_PASSWORD'),
    });
  });

  it('runs the README example as written', async () => {
    const packageDir = resolve(__dirname, '..');
    const example = await readFile(join(packageDir, 'examples', 'export-memberships.mjs'), 'utf8');
    const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
    const block = /<!-- example:export-memberships[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);

    const output = join(dir, 'from-example.csv');
    const { stdout } = await promisify(execFile)(process.execPath, [join(packageDir, 'examples', 'export-memberships.mjs'), output], {
      env: {
        PATH: process.env.PATH,
        MEMBERSHIPS_API_URL: platform.apiUrl,
        MEMBERSHIPS_EMAIL: platform.user.email,
        MEMBERSHIPS_PASSWORD: platform.user.password,
      },
    });
    expect(stdout).toContain(`Saved 163 rows`);
    expect((await readFile(output, 'utf8')).split('\n')[0]).toMatch(/^id,uuid,/);
  });
});
