import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '@memberships/core/config';
import { JobStore, LeaseLostError } from '@memberships/core/dynamodb';
import { provisionTestResources, testAwsSettings } from '@memberships/local-platform';

// The job record's guarantees, against DynamoDB Local through the real SDK:
// these are what keep a duplicate or late SQS delivery from doing harm.
describe('JobStore (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let clock: Date;
  let store: JobStore;

  beforeAll(async () => {
    const settings = testAwsSettings();
    const { names } = await provisionTestResources();
    client = new DynamoDBClient(clientOptions(settings, 'dynamodb'));
    clock = new Date('2026-11-25T10:00:00.000Z');
    store = new JobStore({
      client,
      jobsTable: names.tables.exportJobs,
      guardsTable: names.tables.exportGuards,
      now: () => clock,
    });
  });

  afterAll(() => client.destroy());

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  it('returns the queued job instead of creating a second one for the same user', async () => {
    const userId = randomUUID();
    const first = await store.create({ userId, trigger: 'api' });
    const second = await store.create({ userId, trigger: 'api' });
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ created: false, reason: 'active_export' });
    expect(second.job.id).toBe(first.job.id);
  });

  it('lets concurrent requests of one user create exactly one job', async () => {
    const userId = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => store.create({ userId, trigger: 'api' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
  });

  it('replays an Idempotency-Key even after the job finished', async () => {
    const userId = randomUUID();
    const first = await store.create({ userId, trigger: 'api', idempotencyKey: 'retry-1' });
    const claim = await store.claim(first.job.id, 'worker-a', 60_000);
    expect(claim.claimed).toBe(true);
    await store.fail(first.job.id, { code: 'boom', message: 'test' }, 'worker-a');
    const replay = await store.create({ userId, trigger: 'api', idempotencyKey: 'retry-1' });
    expect(replay).toMatchObject({ created: false, reason: 'idempotent_replay' });
    expect(replay.job).toMatchObject({ id: first.job.id, state: 'failed' });
    const fresh = await store.create({ userId, trigger: 'api' });
    expect(fresh.created).toBe(true);
  });

  it('claims a job once; a second claim while the lease runs is refused', async () => {
    const { job } = await store.create({ userId: randomUUID(), trigger: 'api' });
    const first = await store.claim(job.id, 'worker-a', 30_000);
    const second = await store.claim(job.id, 'worker-b', 30_000);
    expect(first).toMatchObject({ claimed: true, job: { state: 'running', attempts: 1 } });
    expect(second).toMatchObject({ claimed: false, reason: 'leased' });
  });

  it('lets another worker take over once the lease of a dead worker has run out', async () => {
    const { job } = await store.create({ userId: randomUUID(), trigger: 'api' });
    await store.claim(job.id, 'worker-dead', 30_000);
    advance(30_001);
    const takeover = await store.claim(job.id, 'worker-b', 30_000);
    expect(takeover).toMatchObject({ claimed: true, job: { attempts: 2 } });
    // The dead worker, should it wake up, can no longer write.
    await expect(store.heartbeat(job.id, 'worker-dead', 30_000)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('never moves a finished job back, and frees the user for a new export', async () => {
    const userId = randomUUID();
    const { job } = await store.create({ userId, trigger: 'api' });
    await store.claim(job.id, 'worker-a', 30_000);
    await store.heartbeat(job.id, 'worker-a', 30_000);
    const file = { key: `exports/${userId}/${job.id}.csv`, rows: 10, bytes: 100, sha256: 'ab'.repeat(32), contentType: 'text/csv' };
    const delivery = { method: 'attachment' as const, to: 'a@example.com', emailedAt: clock.toISOString() };
    await store.complete(job.id, 'worker-a', file, delivery);

    advance(3_600_000);
    expect(await store.claim(job.id, 'worker-b', 30_000)).toMatchObject({ claimed: false, reason: 'finished' });
    expect(await store.fail(job.id, { code: 'late', message: 'late delivery' })).toBe(false);
    await expect(store.release(job.id, 'worker-a')).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.get(job.id)).toMatchObject({
      state: 'succeeded',
      file,
      progress: { rowsExported: 10, rowsTotal: 10 },
    });
    expect((await store.create({ userId, trigger: 'api' })).created).toBe(true);
  });

  it('files a completed job under the UTC hour its file expires, which listExpiringIn reads in pages', async () => {
    // An hour no other test here completes a job in.
    clock = new Date('2027-03-01T05:10:00.000Z');
    const completed: string[] = [];
    for (const retentionDays of [7, 7, 7, 3]) {
      const userId = randomUUID();
      const { job } = await store.create({ userId, trigger: 'api' });
      await store.claim(job.id, 'worker-a', 30_000);
      const file = { key: `exports/${userId}/${job.id}.csv`, rows: 1, bytes: 10, sha256: 'cd'.repeat(32), contentType: 'text/csv' };
      await store.complete(
        job.id,
        'worker-a',
        file,
        { method: 'attachment', to: 'a@example.com', emailedAt: clock.toISOString() },
        undefined,
        retentionDays,
      );
      completed.push(job.id);
      advance(60_000);
    }
    // finishedAt + FILE_RETENTION_DAYS, as fileExpiresAt reads it: 05:10-05:13 on the 8th (7 days), on the 4th (3 days).
    expect(await store.get(completed[0]!)).toMatchObject({
      state: 'succeeded',
      finishedAt: '2027-03-01T05:10:00.000Z',
      expiryHour: '2027-03-08T05',
    });
    expect((await store.get(completed[3]!))?.expiryHour).toBe('2027-03-04T05');
    // Without a retention, the bucket's default (7 days).
    const { job } = await store.create({ userId: randomUUID(), trigger: 'api' });
    await store.claim(job.id, 'worker-a', 30_000);
    await store.complete(
      job.id,
      'worker-a',
      { key: 'k', rows: 0, bytes: 0, sha256: 'ef'.repeat(32), contentType: 'text/csv' },
      {
        method: 'attachment',
        to: 'a@example.com',
        emailedAt: clock.toISOString(),
      },
    );
    expect((await store.get(job.id))?.expiryHour).toBe('2027-03-08T05');
    // Neither a failed nor a running job is filed under any hour.
    const failed = await store.create({ userId: randomUUID(), trigger: 'api' });
    await store.fail(failed.job.id, { code: 'x', message: 'failed' });
    expect((await store.get(failed.job.id))?.expiryHour).toBeUndefined();

    const expected = [completed[0]!, completed[1]!, completed[2]!, job.id].sort();
    const seen: string[] = [];
    let afterId: string | undefined;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await store.listExpiringIn('2027-03-08T05', { afterId, limit: 2 });
      seen.push(...page.jobs.map((j) => j.id));
      if (!page.nextAfterId) break;
      afterId = page.nextAfterId;
    }
    // In id order, each once, only that hour's.
    expect(seen).toEqual(expected);
    expect((await store.listExpiringIn('2027-03-04T05')).jobs.map((j) => j.id)).toEqual([completed[3]]);
    expect(await store.listExpiringIn('2027-03-08T06')).toEqual({ jobs: [] });
  });

  it('lists a user’s jobs newest first across pages and rejects a cursor of another user', async () => {
    const userId = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      advance(1000);
      const { job } = await store.create({ userId, trigger: 'api' });
      await store.fail(job.id, { code: 'x', message: 'done' });
      ids.push(job.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listForUser(userId, { limit: 2, cursor });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const firstPage = await store.listForUser(userId, { limit: 2 });
    await expect(store.listForUser(randomUUID(), { limit: 2, cursor: firstPage.nextCursor })).rejects.toMatchObject({
      code: 'invalid_cursor',
    });
  });
});
