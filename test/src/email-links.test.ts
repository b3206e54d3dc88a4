import { createHash } from 'node:crypto';
import { buildApp } from '@memberships/api';
import { loadConfig } from '@memberships/api/dist/config';
import {
  acknowledgeIamDenials,
  createUser,
  isAddressedTo,
  seedMemberships,
  startTestPlatform,
  waitForEmails,
  type CreatedUser,
  type TestPlatform,
} from '@memberships/local-platform';
import type { FastifyInstance } from 'fastify';
import { getJson, login, waitForFinalJob, type JobBody } from './support/http';

/**
 * The export email's download link, end to end, as its owner meets it: a
 * file over the attachment limit is emailed as a link to the API (not to
 * S3), and that link keeps working after the worker that sent it is gone and
 * after the short-lived S3 URL of an earlier click has expired, because each
 * click is answered with a new one. Altered, foreign and expired links get
 * their problem and never the file; each download is on the job's record.
 * The expiry is checked by the same API code with an injected clock (the
 * API built in-process from the very environment the API process got).
 */
const ATTACHMENT_LIMIT_BYTES = 64 * 1024;
/** The S3 URL of a click lives 10 s here (at most 300 s in production), so the test can outlive one. */
const PRESIGNED_SECONDS = 10;

interface EmailedExport {
  readonly user: CreatedUser;
  readonly token: string;
  readonly job: JobBody;
  readonly link: URL;
}

describe('the emailed download link, end to end', () => {
  let platform: TestPlatform;
  let owner: EmailedExport;
  let other: EmailedExport;

  beforeAll(async () => {
    platform = await startTestPlatform({
      memberships: 0,
      workerEnv: { ATTACHMENT_LIMIT_BYTES: String(ATTACHMENT_LIMIT_BYTES) },
      apiEnv: { DOWNLOAD_URL_TTL_SECONDS: String(PRESIGNED_SECONDS) },
    });
    owner = await emailedExport(3000);
    other = await emailedExport(2500);
    // Every link below is used after the worker process that signed and sent it has exited.
    await platform.worker.stop();
    expect(platform.worker.exitStatus).toBeDefined();
  });

  afterAll(async () => {
    await platform?.stop();
  });

  async function emailedExport(rows: number): Promise<EmailedExport> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    await seedMemberships(platform.database.url, user.id, rows, { tricky: true, seed: rows });
    const token = await login(platform.apiUrl, user.email, user.password);
    const created = await fetch(`${platform.apiUrl}/v1/exports`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(created.status).toBe(202);
    const job = await waitForFinalJob(platform.apiUrl, created.headers.get('location')!, token);
    expect(job).toMatchObject({ state: 'succeeded', delivery: { method: 'link' } });
    const [email] = await waitForEmails(platform.sesEndpoint, (e) => isAddressedTo(e, user.email));
    const text = email!.body.text ?? '';
    // A link to the API, never a presigned S3 URL that would die with the worker's credentials.
    expect(`${text}${email!.body.html ?? ''}`).not.toMatch(/X-Amz-/i);
    const link = new URL(/https?:\/\/\S+/.exec(text)![0]);
    expect(link.origin).toBe(platform.apiUrl);
    expect(link.pathname).toBe(`/v1/exports/${job.id}/file`);
    expect(link.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    return { user, token, job, link };
  }

  /** One click: the API's answer, not followed. */
  function click(url: URL | string, accept = 'application/json'): Promise<Response> {
    return fetch(url, { redirect: 'manual', headers: { accept, 'user-agent': 'e2e-mail-client/1.0' } });
  }

  async function fileAt(location: string): Promise<Buffer> {
    const response = await fetch(location);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  }

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('downloads the file after the worker has exited, and again after the first click’s URL has expired', async () => {
    const first = await click(owner.link);
    expect(first.status).toBe(302);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const firstUrl = first.headers.get('location')!;
    expect(new URL(firstUrl).searchParams.get('X-Amz-Expires')).toBe(String(PRESIGNED_SECONDS));
    expect(sha256(await fileAt(firstUrl))).toBe(owner.job.file!.sha256);

    // Past the presigned lifetime: S3 (the local IAM gate enforces X-Amz-Expires as AWS does) refuses the old URL...
    await new Promise((resolve) => setTimeout(resolve, (PRESIGNED_SECONDS + 2) * 1000));
    expect((await fetch(firstUrl)).status).toBe(403);
    // The gate reports every refusal at the end of the run: this one was the point.
    expect(await acknowledgeIamDenials('Request has expired')).toBe(1);
    // ...and the emailed link still works: this click gets a URL of its own.
    const second = await click(owner.link);
    expect(second.status).toBe(302);
    const secondUrl = second.headers.get('location')!;
    expect(secondUrl).not.toBe(firstUrl);
    expect(sha256(await fileAt(secondUrl))).toBe(owner.job.file!.sha256);

    // Both clicks are on the job's record, as the owner sees it.
    const job = await getJson<JobBody & { download_count: number; last_downloaded_at: string }>(
      `${platform.apiUrl}/v1/exports/${owner.job.id}`,
      owner.token,
    );
    expect(job.body).toMatchObject({ download_count: 2, last_downloaded_at: expect.any(String) });
    const downloads = await getJson<{ download_count: number; items: Record<string, unknown>[] }>(
      `${platform.apiUrl}/v1/exports/${owner.job.id}/downloads`,
      owner.token,
    );
    expect(downloads.body.download_count).toBe(2);
    expect(downloads.body.items).toEqual([
      { at: job.body.last_downloaded_at, via: 'email_link', client_address: '127.0.0.1', user_agent: 'e2e-mail-client/1.0' },
      { at: expect.any(String), via: 'email_link', client_address: '127.0.0.1', user_agent: 'e2e-mail-client/1.0' },
    ]);
  });

  it('answers an altered token with its problem, as a page to a browser and as problem details to a script', async () => {
    const token = owner.link.searchParams.get('token')!;
    const altered = new URL(owner.link);
    // Another job id inside the claims, re-encoded: a forgery the signature must catch.
    const [payload, signature] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    altered.searchParams.set(
      'token',
      `${Buffer.from(JSON.stringify({ ...claims, exp: Number(claims.exp) + 86_400 })).toString('base64url')}.${signature}`,
    );

    const json = await click(altered);
    expect(json.status).toBe(403);
    expect(json.headers.get('location')).toBeNull();
    expect(json.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json.json()).toMatchObject({ code: 'link_invalid', status: 403 });

    const page = await click(altered, 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(page.status).toBe(403);
    expect(page.headers.get('location')).toBeNull();
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('This link is not valid');
    expect(html).toContain('memberships exports download');
  });

  it('refuses one user’s link on another user’s export', async () => {
    const foreign = new URL(`/v1/exports/${other.job.id}/file`, platform.apiUrl);
    foreign.searchParams.set('token', owner.link.searchParams.get('token')!);
    const response = await click(foreign);
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toMatchObject({ code: 'link_not_for_this_resource' });
    // Refused clicks are not downloads.
    const job = await getJson<{ download_count: number }>(`${platform.apiUrl}/v1/exports/${other.job.id}`, other.token);
    expect(job.body.download_count).toBe(0);
  });

  describe('after the file’s retention (the same API, its clock moved on)', () => {
    let app: FastifyInstance;
    let url: string;
    let now = new Date();

    beforeAll(async () => {
      app = buildApp(loadConfig({ ...platform.apiEnv, LOG_LEVEL: 'silent' }), { now: () => now, swaggerUi: false });
      url = await app.listen({ host: '127.0.0.1', port: 0 });
    });

    afterAll(async () => {
      await app?.close();
    });

    async function clickAt(at: Date, link: URL): Promise<{ status: number; body: Record<string, unknown> }> {
      now = at;
      const response = await click(`${url}${link.pathname}${link.search}`);
      return { status: response.status, body: response.status === 302 ? {} : ((await response.json()) as Record<string, unknown>) };
    }

    it('works until the link’s expiry and answers 410 link_expired from then on', async () => {
      const claims = JSON.parse(Buffer.from(other.link.searchParams.get('token')!.split('.')[0]!, 'base64url').toString('utf8')) as {
        exp: number;
      };
      // The link lives as long as the file: FILE_RETENTION_DAYS (7) from the email.
      const emailedAt = Date.parse(other.job.delivery!.emailed_at);
      expect(claims.exp * 1000 - emailedAt).toBeGreaterThan(7 * 86_400_000 - 60_000);
      expect(claims.exp * 1000 - emailedAt).toBeLessThanOrEqual(7 * 86_400_000);

      expect((await clickAt(new Date(claims.exp * 1000 - 60_000), other.link)).status).toBe(302);
      const expired = await clickAt(new Date(claims.exp * 1000 + 1000), other.link);
      expect(expired).toMatchObject({ status: 410, body: { code: 'link_expired' } });
    });
  });
});
