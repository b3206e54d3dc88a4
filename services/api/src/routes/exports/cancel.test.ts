import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { drainQueue } from '@memberships/local-platform';
import { bearer, startTestApp, type Member, type TestApp } from '../../testing/test-app';

// The export lifecycle beyond success and failure: canceling a queued or
// running export, and a succeeded export that reads `expired` once its file
// retention has passed (computed from the injected clock, nothing stored).
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  // The export.requested messages these tests leave (no worker runs here) go, as in exports.test.ts.
  if (t) await drainQueue(t.harness.sqs, t.platform.exportQueueUrl, { waitSeconds: 1 });
  await t?.close();
});

const requestExport = (who: Member) => t.request({ method: 'POST', url: '/v1/exports', headers: bearer(who.token) });
const cancel = (who: Member, id: string) => t.request({ method: 'POST', url: `/v1/exports/${id}/cancel`, headers: bearer(who.token) });
const get = (who: Member, url: string) => t.request({ method: 'GET', url, headers: bearer(who.token) });

async function succeed(who: Member, jobId: string): Promise<void> {
  const csv = 'id\r\n1\r\n';
  const key = `exports/${who.user.id}/${jobId}.csv`;
  await t.harness.s3.send(new PutObjectCommand({ Bucket: t.config.exportBucket, Key: key, Body: csv, ContentType: 'text/csv' }));
  expect((await t.app.jobStore.claim(jobId, 'test-worker', 60_000)).claimed).toBe(true);
  await t.app.jobStore.complete(
    jobId,
    'test-worker',
    { key, rows: 1, bytes: csv.length, sha256: createHash('sha256').update(csv).digest('hex'), contentType: 'text/csv' },
    { method: 'attachment', to: who.user.email, emailedAt: t.clock.now().toISOString() },
  );
}

describe('POST /v1/exports/{id}/cancel', () => {
  it('cancels a queued export at once and lets its owner request a new one', async () => {
    const owner = await t.member();
    const { id } = (await requestExport(owner)).json();
    const response = await cancel(owner, id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, state: 'canceled', links: { self: `/v1/exports/${id}` } });
    expect(response.json().finished_at).toEqual(expect.any(String));
    expect(response.json().links.download).toBeUndefined();
    expect((await get(owner, `/v1/exports/${id}`)).json()).toMatchObject({ state: 'canceled' });

    // The active-export guard is freed: a new request creates a new export, not the canceled one.
    const next = await requestExport(owner);
    expect(next.statusCode).toBe(202);
    expect(next.headers['export-request']).toBeUndefined();
    expect(next.json().id).not.toBe(id);

    const download = await get(owner, `/v1/exports/${id}/download`);
    expect(download.statusCode).toBe(409);
    expect(download.json()).toMatchObject({ code: 'export_not_ready', state: 'canceled' });
  });

  it("cancels a running export: its worker's lease renewal fails from then on", async () => {
    const owner = await t.member();
    const { id } = (await requestExport(owner)).json();
    expect((await t.app.jobStore.claim(id, 'test-worker', 60_000)).claimed).toBe(true);
    const response = await cancel(owner, id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, state: 'canceled' });
    await expect(t.app.jobStore.heartbeat(id, 'test-worker', 60_000)).rejects.toMatchObject({ code: 'lease_lost' });
    expect(await t.app.jobStore.isCanceled(id)).toBe(true);
  });

  it('answers 409 export_already_finished with the state for a succeeded, failed or already canceled export', async () => {
    const owner = await t.member();
    const succeeded = (await requestExport(owner)).json();
    await succeed(owner, succeeded.id);
    const failed = (await requestExport(owner)).json();
    expect(await t.app.jobStore.fail(failed.id, { code: 'export_query_failed', message: 'x' })).toBe(true);
    const canceled = (await requestExport(owner)).json();
    expect((await cancel(owner, canceled.id)).statusCode).toBe(200);

    for (const [id, state] of [
      [succeeded.id, 'succeeded'],
      [failed.id, 'failed'],
      [canceled.id, 'canceled'],
    ]) {
      const response = await cancel(owner, id);
      expect(response.statusCode).toBe(409);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 409, code: 'export_already_finished', state });
    }
    expect((await get(owner, `/v1/exports/${succeeded.id}`)).json()).toMatchObject({ state: 'succeeded' });
  });

  it("answers 404 export_not_found for another user's export and leaves it queued", async () => {
    const owner = await t.member();
    const intruder = await t.member();
    const { id } = (await requestExport(owner)).json();
    const response = await cancel(intruder, id);
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'export_not_found' });
    expect((await cancel(intruder, 'no-such-export')).statusCode).toBe(404);
    expect((await get(owner, `/v1/exports/${id}`)).json()).toMatchObject({ state: 'queued' });
    await cancel(owner, id);
  });

  it('needs a token', async () => {
    const response = await t.request({ method: 'POST', url: '/v1/exports/some-id/cancel' });
    expect(response.statusCode).toBe(401);
  });
});

describe('a succeeded export past its file retention', () => {
  it('carries expires_at, reads expired after it (also in the list and on cancel), and its download answers 410', async () => {
    const owner = await t.member();
    const { id } = (await requestExport(owner)).json();
    expect((await get(owner, `/v1/exports/${id}`)).json().expires_at).toBeUndefined();
    await succeed(owner, id);
    const job = (await get(owner, `/v1/exports/${id}`)).json();
    expect(job.state).toBe('succeeded');
    const expiresAt = Date.parse(job.expires_at);
    expect(expiresAt).toBe(Date.parse(job.finished_at) + 7 * 86_400_000);

    try {
      t.clock.set(expiresAt - 60_000);
      const before = { ...owner, token: await t.login(owner.user) };
      expect((await get(before, `/v1/exports/${id}`)).json()).toMatchObject({
        state: 'succeeded',
        links: { download: expect.any(String) },
      });

      t.clock.set(expiresAt);
      const after = { ...owner, token: await t.login(owner.user) };
      const expired = (await get(after, `/v1/exports/${id}`)).json();
      expect(expired).toMatchObject({ state: 'expired', expires_at: job.expires_at, file: { rows: 1 } });
      expect(expired.links.download).toBeUndefined();
      expect((await get(after, '/v1/exports')).json().items.find((item: { id: string }) => item.id === id)).toMatchObject({
        state: 'expired',
      });

      const download = await get(after, `/v1/exports/${id}/download`);
      expect(download.statusCode).toBe(410);
      expect(download.json()).toMatchObject({ status: 410, code: 'export_file_expired' });
      expect(download.json().detail).toMatch(/request a new export/);

      const canceled = await cancel(after, id);
      expect(canceled.statusCode).toBe(409);
      expect(canceled.json()).toMatchObject({ code: 'export_already_finished', state: 'expired' });
    } finally {
      t.clock.reset();
    }
  });
});
