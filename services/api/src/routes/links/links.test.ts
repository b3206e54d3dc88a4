import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { signLink, type LinkGrant } from '@memberships/core/contract';
import { drainQueue } from '@memberships/local-platform';
import { bearer, startTestApp, type Member, type TestApp } from '../../testing/test-app';

/**
 * The export email's download link, `GET /v1/exports/{id}/file?token=`, against DynamoDB Local
 * and the S3 and Secrets Manager stand-ins: a valid token gets a fresh presigned URL that really
 * downloads the file, and every download is recorded on the job; every other token gets its
 * problem (a page for a browser, problem details for a script) and never the file. Tokens are
 * signed as the worker signs them: core's signLink with the app's own current key.
 */

const DAY_MS = 86_400_000;
/** What a browser sends when a person clicks the link in a mail client. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

let t: TestApp;

beforeAll(async () => {
  // Some tests send hundreds of altered tokens from 127.0.0.1; the per-address limit is not what they test.
  t = await startTestApp({ env: { EXPORT_READ_RATE_LIMIT: '100000' } });
});

afterAll(async () => {
  // The export.requested messages these tests leave (no worker runs here) go, as in exports.test.ts.
  if (t) await drainQueue(t.harness.sqs, t.platform.exportQueueUrl, { waitSeconds: 1 });
  await t?.close();
});

const get = (who: Member, url: string, headers: Record<string, string> = {}) =>
  t.request({ url, headers: { ...bearer(who.token), ...headers } });
const fileUrl = (id: string, token: string) => `/v1/exports/${id}/file?token=${encodeURIComponent(token)}`;
/** Opens an emailed link: no access token, only what the URL carries. */
const open = (url: string, headers: Record<string, string> = {}) => t.request({ url, headers });
const requestExport = async (who: Member): Promise<string> => {
  const response = await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(who.token) });
  expect(response.statusCode).toBe(202);
  return response.json().id;
};

/** A token for `grant` signed with the API's current key as of `issuedAt`, as the worker's email does. */
async function sign(grant: Partial<LinkGrant> & Pick<LinkGrant, 'subject' | 'userId'>, issuedAt = t.clock.now()): Promise<string> {
  const { current } = await t.app.linkKeys.keyring();
  return signLink({ purpose: 'download', expiresAt: new Date(issuedAt.getTime() + 7 * DAY_MS), ...grant }, current, issuedAt);
}

/** An export of `owner` that succeeded with `csv` as its file, as the worker leaves it. */
async function finishedExport(owner: Member, csv = 'id,club_name\r\n1,"Chess, Tokyo 東京"\r\n'): Promise<string> {
  const id = await requestExport(owner);
  const key = `exports/${owner.user.id}/${id}.csv`;
  await t.harness.s3.send(
    new PutObjectCommand({ Bucket: t.config.exportBucket, Key: key, Body: csv, ContentType: 'text/csv; charset=utf-8' }),
  );
  expect((await t.app.jobStore.claim(id, 'test-worker', 60_000)).claimed).toBe(true);
  await t.app.jobStore.complete(
    id,
    'test-worker',
    {
      key,
      rows: 1,
      bytes: Buffer.byteLength(csv),
      sha256: createHash('sha256').update(csv).digest('hex'),
      contentType: 'text/csv; charset=utf-8',
    },
    { method: 'link', to: owner.user.email, emailedAt: t.clock.now().toISOString() },
  );
  return id;
}

const downloadCount = async (who: Member, id: string): Promise<number> => (await get(who, `/v1/exports/${id}`)).json().download_count;

describe('a valid download link', () => {
  it('redirects to a fresh 5-minute URL that downloads the file, and the download shows on the job', async () => {
    const owner = await member();
    const csv = 'id,club_name\r\n1,"Chess, Tokyo 東京"\r\n2,\'=SUM(A1)\r\n';
    const id = await finishedExport(owner, csv);
    expect((await get(owner, `/v1/exports/${id}`)).json()).toMatchObject({ download_count: 0 });

    const before = t.clock.now().toISOString();
    const response = await open(fileUrl(id, await sign({ subject: id, userId: owner.user.id })), { 'user-agent': 'Thunderbird/128.0' });
    expect(response.statusCode).toBe(302);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const location = new URL(response.headers.location as string);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    const file = await fetch(location);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(csv, 'utf8'))).toBe(true);

    const job = (await get(owner, `/v1/exports/${id}`)).json();
    expect(job).toMatchObject({ state: 'succeeded', download_count: 1, last_downloaded_at: expect.any(String) });
    expect(job.last_downloaded_at >= before && job.last_downloaded_at <= t.clock.now().toISOString()).toBe(true);
    const downloads = await get(owner, `/v1/exports/${id}/downloads`);
    expect(downloads.statusCode).toBe(200);
    expect(downloads.json()).toEqual({
      download_count: 1,
      last_downloaded_at: job.last_downloaded_at,
      items: [{ at: job.last_downloaded_at, via: 'email_link', client_address: '127.0.0.1', user_agent: 'Thunderbird/128.0' }],
    });
  });

  it('is recorded beside the downloads of /download, whose channel the User-Agent names (cli, sdk, else api)', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    for (const userAgent of ['memberships-cli/1.0', 'memberships-sdk/0.4.2 node/24', 'curl/8.5.0']) {
      expect((await get(owner, `/v1/exports/${id}/download`, { 'user-agent': userAgent })).statusCode).toBe(302);
    }
    expect((await open(fileUrl(id, await sign({ subject: id, userId: owner.user.id })), { 'user-agent': 'Mail/3.0' })).statusCode).toBe(
      302,
    );
    const { download_count, items } = (await get(owner, `/v1/exports/${id}/downloads`)).json();
    expect(download_count).toBe(4);
    expect(items.map(({ via, user_agent }: { via: string; user_agent: string }) => [via, user_agent])).toEqual([
      ['email_link', 'Mail/3.0'],
      ['api', 'curl/8.5.0'],
      ['sdk', 'memberships-sdk/0.4.2 node/24'],
      ['cli', 'memberships-cli/1.0'],
    ]);
  });

  it('counts all of 55 downloads and keeps the 50 newest in detail, newest first', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id });
    for (let n = 1; n <= 55; n += 1) {
      expect((await open(fileUrl(id, token), { 'user-agent': `client/${n}` })).statusCode).toBe(302);
    }
    const { download_count, items } = (await get(owner, `/v1/exports/${id}/downloads`)).json();
    expect(download_count).toBe(55);
    expect(items.map((item: { user_agent: string }) => item.user_agent)).toEqual(
      Array.from({ length: 50 }, (_, index) => `client/${55 - index}`),
    );
    expect((await get(owner, `/v1/exports/${id}`)).json()).toMatchObject({ download_count: 55, last_downloaded_at: items[0].at });
  });
});

describe('a token that is not a valid one for this export', () => {
  it('answers link_invalid for every altered character and every cut, never the file', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id });
    const [payload, mac] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const reencoded = (changes: object) => `${Buffer.from(JSON.stringify({ ...claims, ...changes })).toString('base64url')}.${mac}`;
    const variants: Array<[string, string]> = [
      ...Array.from(token, (_, index): [string, string] => [`character ${index} changed`, flip(token, index)]),
      ...Array.from({ length: token.length - 1 }, (_, index): [string, string] => [
        `first ${index + 1} characters`,
        token.slice(0, index + 1),
      ]),
      ...Array.from({ length: token.length - 1 }, (_, index): [string, string] => [
        `last ${index + 1} characters`,
        token.slice(-(index + 1)),
      ]),
      ['padded', `${token}=`],
      ['a third part', `${token}.${mac}`],
      ['parts swapped', `${mac}.${payload}`],
      ['no signature', `${payload}.`],
      ['upper-cased', token.toUpperCase()],
      ['standard base64', `${Buffer.from(payload, 'base64url').toString('base64')}.${mac}`],
      ['a later expiry, same signature', reencoded({ exp: claims.exp + 365 * 86_400 })],
      ['another user, same signature', reencoded({ u: 'someone-else' })],
      ['issued later, same signature', reencoded({ iat: claims.iat + 1 })],
      ['pause purpose, same signature', reencoded({ p: 'pause' })],
      ['another key id, same signature', reencoded({ k: 'AAAAAAAAAAAA' })],
      ['another token’s signature', `${payload}.${(await sign({ subject: randomUUID(), userId: owner.user.id })).split('.')[1]}`],
    ];
    const wrong: unknown[] = [];
    for (const [name, variant] of variants) {
      expect(variant).not.toBe(token);
      const response = await open(fileUrl(id, variant));
      const body = response.body.startsWith('{') ? response.json() : {};
      if (![400, 403].includes(response.statusCode) || body.code !== 'link_invalid' || response.headers.location !== undefined) {
        wrong.push({ name, variant, status: response.statusCode, code: body.code, location: response.headers.location });
      }
    }
    expect(wrong).toEqual([]);
    expect(await downloadCount(owner, id)).toBe(0);
    // The token itself was good all along.
    expect((await open(fileUrl(id, token))).statusCode).toBe(302);
  });

  it("answers link_not_for_this_resource for another export's token, of the same user or another, and for a token naming another user", async () => {
    const owner = await member();
    const stranger = await member();
    const id = await finishedExport(owner);
    const sibling = await finishedExport(owner);
    const strangers = await finishedExport(stranger);
    const ownersToken = await sign({ subject: id, userId: owner.user.id });
    const cases = [
      ['the same user’s other export', fileUrl(sibling, ownersToken)],
      ['another user’s export', fileUrl(strangers, ownersToken)],
      // Signed with the real key: only the check that the job belongs to the token's user stops it.
      ['a token for this export naming another user', fileUrl(id, await sign({ subject: id, userId: stranger.user.id }))],
      ['a pause token with this export’s id', fileUrl(id, await sign({ purpose: 'pause', subject: id, userId: owner.user.id }))],
    ];
    for (const [name, url] of cases) {
      const response = await open(url as string);
      expect({ name, status: response.statusCode, location: response.headers.location }).toEqual({
        name,
        status: 403,
        location: undefined,
      });
      expect(response.json()).toMatchObject({ status: 403, code: 'link_not_for_this_resource' });
    }
    for (const [who, job] of [
      [owner, id],
      [owner, sibling],
      [stranger, strangers],
    ] as const) {
      expect(await downloadCount(who, job)).toBe(0);
    }
  });

  it('answers link_expired once the token has expired, however long the file is kept', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id, expiresAt: new Date(t.clock.now().getTime() + 3_600_000) });
    try {
      t.clock.advance(3_600_000 - 5_000);
      expect((await open(fileUrl(id, token))).statusCode).toBe(302);
      t.clock.advance(5_000);
      const response = await open(fileUrl(id, token));
      expect(response.statusCode).toBe(410);
      expect(response.headers.location).toBeUndefined();
      expect(response.json()).toMatchObject({ status: 410, code: 'link_expired' });
    } finally {
      t.clock.reset();
    }
    expect(await downloadCount(owner, id)).toBe(1);
  });

  it('answers export_file_expired for a token still valid after the file retention has passed', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    // The email goes a little after the job finished, and its link lives one retention from then.
    const token = await sign({ subject: id, userId: owner.user.id }, new Date(t.clock.now().getTime() + 60_000));
    try {
      t.clock.advance(t.config.fileRetentionDays * DAY_MS + 10_000);
      expect((await get({ ...owner, token: await t.login(owner.user) }, `/v1/exports/${id}`)).json()).toMatchObject({ state: 'expired' });
      const response = await open(fileUrl(id, token));
      expect(response.statusCode).toBe(410);
      expect(response.headers.location).toBeUndefined();
      expect(response.json()).toMatchObject({ status: 410, code: 'export_file_expired' });
    } finally {
      t.clock.reset();
    }
    expect(await downloadCount(owner, id)).toBe(0);
  });

  it('answers link_invalid for a token, even one signed with the current key, that claims to live longer than the file', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const now = t.clock.now();
    const retention = t.config.fileRetentionDays * DAY_MS;
    expect(
      (await open(fileUrl(id, await sign({ subject: id, userId: owner.user.id, expiresAt: new Date(now.getTime() + retention) }))))
        .statusCode,
    ).toBe(302);
    const tooLong = await open(
      fileUrl(id, await sign({ subject: id, userId: owner.user.id, expiresAt: new Date(now.getTime() + retention + 1_000) })),
    );
    expect(tooLong.statusCode).toBe(403);
    expect(tooLong.headers.location).toBeUndefined();
    expect(tooLong.json()).toMatchObject({ code: 'link_invalid' });
    expect(await downloadCount(owner, id)).toBe(1);
  });

  it('answers 409 for a queued, canceled or failed export, 404 for one that does not exist', async () => {
    const owner = await member();
    const queued = await requestExport(owner);
    const queuedResponse = await open(fileUrl(queued, await sign({ subject: queued, userId: owner.user.id })));
    expect(queuedResponse.statusCode).toBe(409);
    expect(queuedResponse.json()).toMatchObject({ code: 'export_not_ready', state: 'queued' });

    expect((await t.request({ method: 'POST', url: `/v1/exports/${queued}/cancel`, headers: bearer(owner.token) })).statusCode).toBe(200);
    const canceled = await open(fileUrl(queued, await sign({ subject: queued, userId: owner.user.id })));
    expect(canceled.statusCode).toBe(409);
    expect(canceled.json()).toMatchObject({ code: 'export_not_ready', state: 'canceled' });

    const failed = await requestExport(owner);
    expect(await t.app.jobStore.fail(failed, { code: 'export_query_failed', message: 'The export query failed.' })).toBe(true);
    const failedResponse = await open(fileUrl(failed, await sign({ subject: failed, userId: owner.user.id })));
    expect(failedResponse.statusCode).toBe(409);
    expect(failedResponse.json()).toMatchObject({ code: 'export_failed' });

    const missing = randomUUID();
    const notFound = await open(fileUrl(missing, await sign({ subject: missing, userId: owner.user.id })));
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json()).toMatchObject({ code: 'export_not_found' });
    for (const response of [queuedResponse, canceled, failedResponse, notFound]) expect(response.headers.location).toBeUndefined();
  });

  it('answers 400 validation_failed without a token or with one longer than any token', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id });
    for (const url of [
      `/v1/exports/${id}/file`,
      `/v1/exports/${id}/file?token=`,
      fileUrl(id, `${token}${'A'.repeat(1025 - token.length)}`),
    ]) {
      const response = await open(url);
      expect({ url, status: response.statusCode }).toEqual({ url, status: 400 });
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'querystring', field: 'token' }] });
    }
    expect(await downloadCount(owner, id)).toBe(0);
  });
});

describe('turning a link off', () => {
  it("DELETE /v1/exports/{id}/link revokes the owner's emailed link (another user's → 404); /download still works", async () => {
    const owner = await member();
    const intruder = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id });

    const foreign = await t.request({ method: 'DELETE', url: `/v1/exports/${id}/link`, headers: bearer(intruder.token) });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'export_not_found' });
    expect((await open(fileUrl(id, token))).statusCode).toBe(302);

    const revoked = await t.request({ method: 'DELETE', url: `/v1/exports/${id}/link`, headers: bearer(owner.token) });
    expect(revoked.statusCode).toBe(204);
    // The token is dated to the second and the revocation to the millisecond: any earlier token is refused.
    const refused = await open(fileUrl(id, token));
    expect(refused.statusCode).toBe(403);
    expect(refused.headers.location).toBeUndefined();
    expect(refused.json()).toMatchObject({ code: 'link_revoked' });

    expect((await get(owner, `/v1/exports/${id}/download`)).statusCode).toBe(302);
    const { items } = (await get(owner, `/v1/exports/${id}/downloads`)).json();
    expect(items.map((item: { via: string }) => item.via)).toEqual(['api', 'email_link']);
  });

  it('PATCH /v1/me {emailed_download_links: false} turns the links already emailed off, true on again', async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const url = fileUrl(id, await sign({ subject: id, userId: owner.user.id }));
    const setLinks = (enabled: boolean) =>
      t.request({ method: 'PATCH', url: '/v1/me', headers: bearer(owner.token), payload: { emailed_download_links: enabled } });

    const off = await setLinks(false);
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ id: owner.user.id, emailed_download_links: false });
    expect((await get(owner, '/v1/me')).json()).toMatchObject({ emailed_download_links: false });
    const refused = await open(url);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers.location).toBeUndefined();
    expect(refused.json()).toMatchObject({ code: 'link_revoked' });
    expect(await downloadCount(owner, id)).toBe(0);

    expect((await setLinks(true)).json()).toMatchObject({ emailed_download_links: true });
    expect((await get(owner, '/v1/me')).json()).toMatchObject({ emailed_download_links: true });
    expect((await open(url)).statusCode).toBe(302);
    expect(await downloadCount(owner, id)).toBe(1);
  });
});

describe('problems: a page for a browser, problem details for a script', () => {
  interface Refusal {
    readonly name: string;
    readonly url: string;
    readonly status: number;
    readonly code: string;
  }
  const refusals: Refusal[] = [];

  beforeAll(async () => {
    const owner = await member();
    const id = await finishedExport(owner);
    const token = await sign({ subject: id, userId: owner.user.id });
    const other = await finishedExport(owner);
    const revoked = await finishedExport(owner);
    const revokedToken = await sign({ subject: revoked, userId: owner.user.id });
    expect((await t.request({ method: 'DELETE', url: `/v1/exports/${revoked}/link`, headers: bearer(owner.token) })).statusCode).toBe(204);
    const failed = await requestExport(owner);
    await t.app.jobStore.fail(failed, { code: 'export_query_failed', message: 'The export query failed.' });
    const missing = randomUUID();
    const now = t.clock.now().getTime();
    // An export that finished one retention and 10 s ago, emailed a minute after: its link works 50 s more, its file is gone.
    let old: { id: string; token: string };
    try {
      t.clock.advance(-(t.config.fileRetentionDays * DAY_MS + 10_000));
      const ancient = await member();
      const oldId = await finishedExport(ancient);
      old = { id: oldId, token: await sign({ subject: oldId, userId: ancient.user.id }, new Date(t.clock.now().getTime() + 60_000)) };
    } finally {
      t.clock.reset();
    }
    refusals.push(
      { name: 'a cut token', url: fileUrl(id, token.replace('.', '')), status: 400, code: 'link_invalid' },
      {
        name: 'a forged signature',
        url: fileUrl(id, `${token.split('.')[0]}.${revokedToken.split('.')[1]}`),
        status: 403,
        code: 'link_invalid',
      },
      { name: "another export's token", url: fileUrl(other, token), status: 403, code: 'link_not_for_this_resource' },
      { name: 'a revoked link', url: fileUrl(revoked, revokedToken), status: 403, code: 'link_revoked' },
      {
        name: 'an expired token',
        url: fileUrl(id, await sign({ subject: id, userId: owner.user.id, expiresAt: new Date(now - 1_000) }, new Date(now - 3_600_000))),
        status: 410,
        code: 'link_expired',
      },
      { name: 'a file past its retention', url: fileUrl(old.id, old.token), status: 410, code: 'export_file_expired' },
      {
        name: 'a failed export',
        url: fileUrl(failed, await sign({ subject: failed, userId: owner.user.id })),
        status: 409,
        code: 'export_failed',
      },
      {
        name: 'an export that does not exist',
        url: fileUrl(missing, await sign({ subject: missing, userId: owner.user.id })),
        status: 404,
        code: 'export_not_found',
      },
      { name: 'no token', url: `/v1/exports/${id}/file`, status: 400, code: 'validation_failed' },
      { name: 'a token too long', url: fileUrl(id, 'A'.repeat(1025)), status: 400, code: 'validation_failed' },
    );
  });

  it('answers problem details to a script (Accept: application/json, or none)', async () => {
    for (const { name, url, status, code } of refusals) {
      for (const headers of [{ accept: 'application/json' }, {}, { accept: 'application/json, text/html;q=0.5' }] as Record<
        string,
        string
      >[]) {
        const response = await open(url, headers);
        expect({ name, headers, status: response.statusCode, type: response.headers['content-type'] }).toEqual({
          name,
          headers,
          status,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
        expect(response.json()).toMatchObject({ status, code, title: expect.any(String), request_id: response.headers['x-request-id'] });
        expect(response.headers.location).toBeUndefined();
      }
    }
  });

  it("answers a self-contained page to a browser, with the problem's title, detail and the request id, and no JSON", async () => {
    for (const { name, url, status, code } of refusals) {
      const { title, detail } = (await open(url, { accept: 'application/json' })).json();
      const response = await open(url, { accept: BROWSER_ACCEPT });
      expect({ name, status: response.statusCode, type: response.headers['content-type'] }).toEqual({
        name,
        status,
        type: 'text/html; charset=utf-8',
      });
      expect(response.headers.location).toBeUndefined();
      expect(response.headers['content-security-policy']).toMatch(/(^|; )default-src 'none'(;|$)/);
      expect(response.headers['cache-control']).toBe('no-store');
      const text = decodeEntities(response.body);
      expect(response.body.startsWith('<!doctype html>')).toBe(true);
      expect(text).toContain(`<h1>${title}</h1>`);
      // Commands the detail names between backticks are shown as code.
      expect(text.replace(/<\/?code>/g, '`')).toContain(`<p>${detail}</p>`);
      expect(text).toContain(`Reference: ${response.headers['x-request-id']}`);
      expect({ name, json: text.includes(`"${code}"`) || text.includes('"status"') }).toEqual({ name, json: false });
    }
  });
});

/** `token` with the character at `index` replaced by the next one of base64url's alphabet (and `.` by `-`). */
function flip(token: string, index: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const character = token[index] as string;
  const replacement = character === '.' ? '-' : (alphabet[(alphabet.indexOf(character) + 1) % alphabet.length] as string);
  return `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
}

/** The page's text with its character references (how it escapes `&<>"'`) decoded. */
function decodeEntities(html: string): string {
  return html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

function member(): Promise<Member> {
  return t.member();
}
