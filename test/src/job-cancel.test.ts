import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '@memberships/core/config';
import { JobStore, LeaseLostError } from '@memberships/core/dynamodb';
import { provisionTestResources, testAwsSettings } from '@memberships/local-platform';

// JobStore.cancel against DynamoDB Local: a cancel is one conditional write,
// so it can neither undo a finished job nor leave a running one renewable.
describe('JobStore.cancel (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let store: JobStore;

  beforeAll(async () => {
    const { names } = await provisionTestResources();
    client = new DynamoDBClient(clientOptions(testAwsSettings(), 'dynamodb'));
    store = new JobStore({ client, jobsTable: names.tables.exportJobs, guardsTable: names.tables.exportGuards });
  });

  afterAll(() => client.destroy());

  it('cancels a queued job at once, frees the user for a new export, and a worker then finds it finished', async () => {
    const userId = randomUUID();
    const { job } = await store.create({ userId, trigger: 'api' });
    const result = await store.cancel(job.id, userId);
    expect(result).toMatchObject({ outcome: 'canceled', was: 'queued', job: { id: job.id, state: 'canceled' } });
    expect(await store.isCanceled(job.id)).toBe(true);
    expect(await store.claim(job.id, 'worker-a', 60_000)).toMatchObject({ claimed: false, reason: 'finished' });
    const next = await store.create({ userId, trigger: 'api' });
    expect(next.created).toBe(true);
    expect(next.job.id).not.toBe(job.id);
  });

  it('cancels a running job: its lease can no longer be renewed nor the job completed', async () => {
    const userId = randomUUID();
    const { job } = await store.create({ userId, trigger: 'api' });
    expect((await store.claim(job.id, 'worker-a', 60_000)).claimed).toBe(true);
    expect(await store.isCanceled(job.id)).toBe(false);
    expect(await store.cancel(job.id, userId)).toMatchObject({ outcome: 'canceled', was: 'running', job: { state: 'canceled' } });
    await expect(store.heartbeat(job.id, 'worker-a', 60_000)).rejects.toBeInstanceOf(LeaseLostError);
    const file = { key: 'k', rows: 1, bytes: 1, sha256: 'x', contentType: 'text/csv' };
    await expect(
      store.complete(job.id, 'worker-a', file, { method: 'link', to: 'a@example.com', emailedAt: new Date().toISOString() }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.fail(job.id, { code: 'x', message: 'x' }, 'worker-a')).toBe(false);
    expect((await store.get(job.id))?.state).toBe('canceled');
  });

  it('answers final for a finished job and leaves it unchanged', async () => {
    const userId = randomUUID();
    const { job } = await store.create({ userId, trigger: 'api' });
    await store.fail(job.id, { code: 'boom', message: 'test' });
    expect(await store.cancel(job.id, userId)).toMatchObject({ outcome: 'final', job: { state: 'failed' } });
    expect(await store.cancel(job.id, userId)).toMatchObject({ outcome: 'final', job: { state: 'failed' } });
    const canceled = await store.create({ userId, trigger: 'api' });
    await store.cancel(canceled.job.id, userId);
    expect(await store.cancel(canceled.job.id, userId)).toMatchObject({ outcome: 'final', job: { state: 'canceled' } });
  });

  it("treats another user's job like a missing one and leaves it alone", async () => {
    const owner = randomUUID();
    const { job } = await store.create({ userId: owner, trigger: 'api' });
    expect(await store.cancel(job.id, randomUUID())).toEqual({ outcome: 'not_found' });
    expect(await store.cancel('no-such-job', owner)).toEqual({ outcome: 'not_found' });
    expect((await store.get(job.id))?.state).toBe('queued');
  });
});
