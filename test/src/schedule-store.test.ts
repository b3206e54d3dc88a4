import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_EXPORT_OPTIONS, InvalidScheduleError, scheduledJobId } from '@memberships/core/contract';
import { clientOptions } from '@memberships/core/config';
import {
  JobStore,
  ScheduleLimitReachedError,
  ScheduleNotFoundError,
  ScheduleStore,
  ScheduleVersionConflictError,
} from '@memberships/core/dynamodb';
import { provisionTestResources, testAwsSettings } from '@memberships/local-platform';

// The schedule record's guarantees, against DynamoDB Local through the real
// SDK: the per-user limit under concurrent requests, optimistic versions, and
// that one user can never read or change another's schedule.
describe('ScheduleStore (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let table: string;
  let clock: Date;
  let store: ScheduleStore;

  beforeAll(async () => {
    const { names } = await provisionTestResources();
    client = new DynamoDBClient(clientOptions(testAwsSettings(), 'dynamodb'));
    table = names.tables.exportSchedules;
    clock = new Date('2026-11-25T10:00:00.000Z');
    store = new ScheduleStore({ client, table, now: () => clock });
  });

  afterAll(() => client.destroy());

  const tick = () => {
    clock = new Date(clock.getTime() + 1000);
  };

  it('creates an active schedule with the defaults and reads it back', async () => {
    const userId = randomUUID();
    const created = await store.create({ userId });

    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      userId,
      dayOfMonth: 1,
      timeOfDay: '06:00',
      timeZone: 'UTC',
      state: 'active',
      createdAt: clock.toISOString(),
      updatedAt: clock.toISOString(),
      version: 1,
      // A schedule made without export options starts default exports.
      options: DEFAULT_EXPORT_OPTIONS,
    });
    expect(await store.get(created.id)).toEqual(created);
    expect(await store.getForUser(created.id, userId)).toEqual(created);
  });

  it('stores the timing as validated (zone spelled canonically), and refuses an invalid one without writing', async () => {
    const userId = randomUUID();
    const created = await store.create({ userId, dayOfMonth: 15, timeOfDay: '21:30', timeZone: 'europe/berlin' });
    expect(await store.get(created.id)).toMatchObject({ dayOfMonth: 15, timeOfDay: '21:30', timeZone: 'Europe/Berlin' });

    await expect(store.create({ userId, dayOfMonth: 31 })).rejects.toBeInstanceOf(InvalidScheduleError);
    expect(await store.listForUser(userId)).toHaveLength(1);
  });

  it('lists a user’s schedules oldest first, and only theirs', async () => {
    const userId = randomUUID();
    const other = randomUUID();
    const first = await store.create({ userId, dayOfMonth: 1 });
    tick();
    const second = await store.create({ userId, dayOfMonth: 2 });
    await store.create({ userId: other });

    expect((await store.listForUser(userId)).map((s) => s.id)).toEqual([first.id, second.id]);
    expect(await store.listForUser(randomUUID())).toEqual([]);
  });

  it('hides another user’s schedule: not readable, not changeable, not deletable', async () => {
    const owner = randomUUID();
    const intruder = randomUUID();
    const schedule = await store.create({ userId: owner });

    expect(await store.getForUser(schedule.id, intruder)).toBeUndefined();
    await expect(
      store.update({ id: schedule.id, userId: intruder, expectedVersion: 1, changes: { state: 'paused' } }),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await store.delete(schedule.id, intruder)).toBe(false);
    expect(await store.get(schedule.id)).toEqual(schedule);
  });

  it('enforces the per-user limit, and frees a place when a schedule is deleted', async () => {
    const userId = randomUUID();
    const created = [];
    for (let i = 0; i < store.limitPerUser; i += 1) created.push(await store.create({ userId, dayOfMonth: i + 1 }));

    await expect(store.create({ userId })).rejects.toMatchObject({ code: 'schedule_limit_reached', limit: 5 });
    // Another user is not affected.
    await expect(store.create({ userId: randomUUID() })).resolves.toMatchObject({ state: 'active' });

    expect(await store.delete(created[0]!.id, userId)).toBe(true);
    expect(await store.get(created[0]!.id)).toBeUndefined();
    await expect(store.create({ userId })).resolves.toMatchObject({ userId });
    await expect(store.create({ userId })).rejects.toBeInstanceOf(ScheduleLimitReachedError);
    expect(await store.listForUser(userId)).toHaveLength(5);
  });

  it('holds the limit when one user sends many creates at the same moment', async () => {
    const userId = randomUUID();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => store.create({ userId })));

    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(created).toHaveLength(5);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ScheduleLimitReachedError);
    expect(await store.listForUser(userId)).toHaveLength(5);
  });

  it('updates only at the version the caller read, moving the version on', async () => {
    const userId = randomUUID();
    const schedule = await store.create({ userId });
    tick();

    const paused = await store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { state: 'paused' } });
    expect(paused).toMatchObject({ state: 'paused', version: 2, updatedAt: clock.toISOString(), createdAt: schedule.createdAt });
    const moved = await store.update({
      id: schedule.id,
      userId,
      expectedVersion: 2,
      changes: { dayOfMonth: 10, timeOfDay: '07:45', timeZone: 'America/New_York', state: 'active' },
    });
    expect(moved).toMatchObject({ dayOfMonth: 10, timeOfDay: '07:45', timeZone: 'America/New_York', state: 'active', version: 3 });
    expect(await store.get(schedule.id)).toEqual(moved);

    // A change based on what was read before the pause loses, and says what the version is now.
    await expect(store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { dayOfMonth: 3 } })).rejects.toMatchObject({
      code: 'schedule_version_conflict',
      currentVersion: 3,
    });
    expect(await store.get(schedule.id)).toEqual(moved);
  });

  it('lets exactly one of two concurrent updates from the same version win', async () => {
    const userId = randomUUID();
    const schedule = await store.create({ userId });
    const results = await Promise.allSettled([
      store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { dayOfMonth: 5 } }),
      store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { dayOfMonth: 6 } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(ScheduleVersionConflictError);
    const stored = await store.get(schedule.id);
    expect(stored).toMatchObject({ version: 2, dayOfMonth: (won[0] as PromiseFulfilledResult<{ dayOfMonth: number }>).value.dayOfMonth });
  });

  it('refuses an invalid change without writing it', async () => {
    const userId = randomUUID();
    const schedule = await store.create({ userId });
    await expect(
      store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { timeZone: 'Moon/Tranquility' } }),
    ).rejects.toBeInstanceOf(InvalidScheduleError);
    expect(await store.get(schedule.id)).toEqual(schedule);
  });

  it('deletes once: a second delete, and an update after it, find nothing', async () => {
    const userId = randomUUID();
    const schedule = await store.create({ userId });
    expect(await store.delete(schedule.id, userId)).toBe(true);
    expect(await store.delete(schedule.id, userId)).toBe(false);
    await expect(store.update({ id: schedule.id, userId, expectedVersion: 1, changes: {} })).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await store.listForUser(userId)).toEqual([]);
  });

  it('marks a tick fired only forward, without touching the version the API updates against', async () => {
    const userId = randomUUID();
    const schedule = await store.create({ userId });

    expect(await store.markFired(schedule.id, '2026-12-01T06:00:00Z')).toBe(true);
    expect(await store.markFired(schedule.id, '2026-12-01T06:00:00Z')).toBe(false); // duplicate tick
    expect(await store.markFired(schedule.id, '2026-11-01T06:00:00Z')).toBe(false); // a late, older tick
    expect(await store.get(schedule.id)).toEqual({ ...schedule, lastFiredAt: '2026-12-01T06:00:00.000Z' });
    await expect(store.update({ id: schedule.id, userId, expectedVersion: 1, changes: { dayOfMonth: 2 } })).resolves.toMatchObject({
      version: 2,
      lastFiredAt: '2026-12-01T06:00:00.000Z',
    });
    expect(await store.markFired(randomUUID(), '2026-12-01T06:00:00Z')).toBe(false); // deleted meanwhile
  });

  it('never returns the user’s count item as a schedule', async () => {
    const userId = randomUUID();
    await store.create({ userId });
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: `count#${userId}` } } }));
    expect(Item?.scheduleCount).toEqual({ N: '1' });
    expect(await store.get(`count#${userId}`)).toBeUndefined();
    expect(await store.listForUser(userId)).toHaveLength(1);
  });
});

// Scheduled jobs through the JobStore (skipActiveGuard): a tick neither waits
// for nor blocks the user's on-demand export, and one tick is one job.
describe('JobStore with scheduled jobs (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let jobs: JobStore;

  beforeAll(async () => {
    const { names } = await provisionTestResources();
    client = new DynamoDBClient(clientOptions(testAwsSettings(), 'dynamodb'));
    jobs = new JobStore({ client, jobsTable: names.tables.exportJobs, guardsTable: names.tables.exportGuards });
  });

  afterAll(() => client.destroy());

  const tick = (scheduleId: string, scheduledAt: string) => ({
    jobId: scheduledJobId(scheduleId, scheduledAt),
    trigger: 'schedule' as const,
    scheduleId,
    scheduledAt,
    skipActiveGuard: true,
  });

  it('creates the tick’s job while an on-demand export is queued, and the on-demand guard still holds', async () => {
    const userId = randomUUID();
    const onDemand = await jobs.create({ userId, trigger: 'api' });
    const scheduled = await jobs.create({ userId, ...tick(randomUUID(), '2026-12-01T06:00:00.000Z') });

    expect(scheduled.created).toBe(true);
    expect(scheduled.job).toMatchObject({ trigger: 'schedule', state: 'queued', scheduledAt: '2026-12-01T06:00:00.000Z' });
    expect(scheduled.job.id).not.toBe(onDemand.job.id);
    // A second on-demand request still finds the first one.
    expect(await jobs.create({ userId, trigger: 'api' })).toMatchObject({
      created: false,
      reason: 'active_export',
      job: { id: onDemand.job.id },
    });
  });

  it('does not block an on-demand export, and finishing it leaves the on-demand guard alone', async () => {
    const userId = randomUUID();
    const scheduled = await jobs.create({ userId, ...tick(randomUUID(), '2026-12-01T06:00:00.000Z') });
    const onDemand = await jobs.create({ userId, trigger: 'api' });
    expect(onDemand.created).toBe(true);

    await jobs.claim(scheduled.job.id, 'worker-a', 60_000);
    await jobs.fail(scheduled.job.id, { code: 'test', message: 'test' }, 'worker-a');
    expect(await jobs.create({ userId, trigger: 'api' })).toMatchObject({
      created: false,
      reason: 'active_export',
      job: { id: onDemand.job.id },
    });
  });

  it('returns the existing job for a second delivery of the same tick, concurrent or late', async () => {
    const userId = randomUUID();
    const input = { userId, ...tick(randomUUID(), '2026-12-01T06:00:00.000Z') };
    const results = await Promise.all([jobs.create(input), jobs.create(input), jobs.create(input)]);

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.job.id))).toEqual(new Set([input.jobId]));
    expect(await jobs.create(input)).toMatchObject({ created: false, reason: 'duplicate_id', job: { id: input.jobId } });
  });
});
