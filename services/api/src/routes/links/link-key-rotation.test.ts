import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { signingKey, signLink, type SigningKey } from '@memberships/core/contract';
import { drainQueue, rotateLinkSigningKey } from '@memberships/local-platform';
import { bearer, startTestApp, type Member, type TestApp } from '../../testing/test-app';

/**
 * Rotating the link signing key through the real Secrets Manager stand-in, as an operator does
 * (a new secret version: AWSCURRENT moves on, the old one becomes AWSPREVIOUS), while the API
 * runs: links emailed before keep working, the old key signs nothing new, and a second rotation
 * retires it. A suite of its own: it rotates its app's secret and moves its clock to pass the
 * API's key cache (5 minutes; 30 s between the re-reads a token with an unknown key forces),
 * which LinkKeySource measures with the app's clock.
 *
 * Tokens are dated with the real clock, the one Secrets Manager dates its versions with (a
 * worker signs with the real time too); only the API's clock is moved.
 */

const DAY_MS = 86_400_000;
const CACHE_MS = 5 * 60_000;
const FORCED_REFRESH_MS = 30_000;

let t: TestApp;
let owner: Member;
let jobId: string;

beforeAll(async () => {
  t = await startTestApp();
  owner = await t.member();
  const response = await t.request({ method: 'POST', url: '/v1/exports', headers: bearer(owner.token) });
  jobId = response.json().id;
  const csv = 'id\r\n1\r\n';
  const key = `exports/${owner.user.id}/${jobId}.csv`;
  await t.harness.s3.send(new PutObjectCommand({ Bucket: t.config.exportBucket, Key: key, Body: csv, ContentType: 'text/csv' }));
  expect((await t.app.jobStore.claim(jobId, 'test-worker', 60_000)).claimed).toBe(true);
  await t.app.jobStore.complete(
    jobId,
    'test-worker',
    { key, rows: 1, bytes: csv.length, sha256: createHash('sha256').update(csv).digest('hex'), contentType: 'text/csv' },
    { method: 'link', to: owner.user.email, emailedAt: new Date().toISOString() },
  );
});

afterAll(async () => {
  if (t) await drainQueue(t.harness.sqs, t.platform.exportQueueUrl, { waitSeconds: 1 });
  await t?.close();
});

/** A download token of the suite's export signed with `key`, issued at `issuedAt` (real time by default). */
function sign(key: SigningKey, issuedAt = new Date(), expiresAt = new Date(issuedAt.getTime() + t.config.fileRetentionDays * DAY_MS)) {
  return signLink({ purpose: 'download', subject: jobId, userId: owner.user.id, expiresAt }, key, issuedAt);
}

async function open(token: string): Promise<{ status: number; code?: string }> {
  const response = await t.request({ url: `/v1/exports/${jobId}/file?token=${encodeURIComponent(token)}` });
  if (response.statusCode === 302) return { status: 302 };
  return { status: response.statusCode, code: response.json().code };
}

const rotate = async (): Promise<SigningKey> => signingKey(await rotateLinkSigningKey(t.platform.aws, t.platform.linkSigningSecretArn));

// The clock is never set back: the key cache would take a read "in the future" as fresh.
describe('rotating the link signing key while the API runs', () => {
  it('keeps the links signed before working, refuses the old key for new ones, and retires it at the next rotation', async () => {
    const first = (await t.app.linkKeys.keyring()).current;
    const beforeRotation = sign(first, new Date(Date.now() - 1_000));
    expect(await open(beforeRotation)).toEqual({ status: 302 });

    const second = await rotate();
    expect(second.id).not.toBe(first.id);
    const withSecond = sign(second);
    // The API read its keys moments ago: a token naming a key it does not know makes it read
    // them again, but at most every 30 s, so a flood of forged key ids cannot hammer Secrets Manager.
    expect(await open(withSecond)).toEqual({ status: 403, code: 'link_invalid' });
    t.clock.advance(FORCED_REFRESH_MS + 1_000);
    expect(await open(withSecond)).toEqual({ status: 302 });
    expect((await t.app.linkKeys.keyring()).current.id).toBe(second.id);
    expect((await t.app.linkKeys.keyring()).previous?.id).toBe(first.id);

    // The first key, now AWSPREVIOUS, still verifies what it signed while it was current…
    expect(await open(beforeRotation)).toEqual({ status: 302 });
    // …but a token it signs after the second key's version was created is refused.
    expect(await open(sign(first, new Date(Date.now() + 1_000)))).toEqual({ status: 403, code: 'link_invalid' });

    await rotate();
    // The cache still holds the first key as the previous one until it is read again.
    t.clock.advance(CACHE_MS + 1_000);
    expect(await open(beforeRotation)).toEqual({ status: 403, code: 'link_invalid' });
    expect(await open(withSecond)).toEqual({ status: 302 });
    expect((await t.app.linkKeys.keyring()).previous?.id).toBe(second.id);
  });

  it('reads a rotation within 5 minutes without any token asking for it', async () => {
    t.clock.advance(CACHE_MS + 1_000);
    const current = (await t.app.linkKeys.keyring()).current;
    const next = await rotate();
    t.clock.advance(CACHE_MS - 1_000);
    expect((await t.app.linkKeys.keyring()).current.id).toBe(current.id);
    t.clock.advance(2_000);
    expect((await t.app.linkKeys.keyring()).current.id).toBe(next.id);
    expect(await open(sign(next))).toEqual({ status: 302 });
  });

  it('refuses a token of the previous key backdated before the rotation with an expiry no link is given', async () => {
    // What a leaked previous key could mint if only the issue date were checked: a link "issued"
    // before the rotation that never expires. No download link lives longer than the file.
    const previous = (await t.app.linkKeys.keyring()).current;
    await rotate();
    t.clock.advance(CACHE_MS + 1_000);
    expect((await t.app.linkKeys.keyring()).previous?.id).toBe(previous.id);
    const issuedAt = new Date(Date.now() - 60_000);
    expect(await open(sign(previous, issuedAt))).toEqual({ status: 302 });
    expect(await open(sign(previous, issuedAt, new Date(Date.now() + 3650 * DAY_MS)))).toEqual({ status: 403, code: 'link_invalid' });
  });
});
