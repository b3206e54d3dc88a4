import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createUser, startTestPlatform, type TestPlatform } from '@memberships/local-platform';
import { ApiError, createClient, type ExportSchedule, type MembershipsClient, type ScheduleTiming } from './index.js';

/**
 * client.schedules against the real API (with the EventBridge Scheduler
 * stand-in behind it), on the emulators of the jest global setup.
 */
describe('SDK schedules against the real platform', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 5 });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  /** A client for a new user of its own, so each test starts with no schedules. */
  async function newUserClient(): Promise<MembershipsClient> {
    return (await newUser()).client;
  }

  async function newUser() {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    const client = createClient({ baseUrl: platform.apiUrl, credentials: { email: user.email, password: user.password } });
    return { user, client };
  }

  /** `{ day, time }` of an instant on the wall clock of `timeZone`. */
  function wallClock(iso: string, timeZone: string): { day: number; time: string } {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', day: 'numeric', hour: '2-digit', minute: '2-digit' })
        .formatToParts(new Date(iso))
        .map((part) => [part.type, part.value]),
    );
    return { day: Number(parts.day), time: `${parts.hour}:${parts.minute}` };
  }

  function expectNextRunMatches(schedule: ExportSchedule): void {
    expect(schedule.next_run_at).toEqual(expect.any(String));
    const next = schedule.next_run_at ?? '';
    expect(Date.parse(next)).toBeGreaterThan(Date.now());
    expect(wallClock(next, schedule.time_zone)).toEqual({ day: schedule.day_of_month, time: schedule.time_of_day });
  }

  it('creates a schedule with the defaults a user expects: the 1st at 06:00 UTC, active', async () => {
    const client = await newUserClient();

    const schedule = await client.schedules.create();

    expect(schedule).toMatchObject({ day_of_month: 1, time_of_day: '06:00', time_zone: 'UTC', state: 'active' });
    expect(schedule.links.self).toContain(schedule.id);
    expectNextRunMatches(schedule);
  });

  it('creates, lists, gets, updates, pauses, resumes and deletes a schedule', async () => {
    const client = await newUserClient();

    const created = await client.schedules.create({ day_of_month: 15, time_of_day: '07:30', time_zone: 'Europe/Berlin' });
    expect(created).toMatchObject({ day_of_month: 15, time_of_day: '07:30', time_zone: 'Europe/Berlin', state: 'active' });
    expectNextRunMatches(created);

    const other = await client.schedules.create({ day_of_month: 28, time_of_day: '23:45', time_zone: 'America/Los_Angeles' });
    const { items } = await client.schedules.list();
    expect(items.map((item) => item.id).sort()).toEqual([created.id, other.id].sort());
    await expect(client.schedules.get(created.id)).resolves.toEqual(created);

    const moved = await client.schedules.update(created.id, { time_of_day: '18:05' });
    expect(moved).toMatchObject({ id: created.id, day_of_month: 15, time_of_day: '18:05', time_zone: 'Europe/Berlin', state: 'active' });
    expectNextRunMatches(moved);
    const rezoned = await client.schedules.update(created.id, { day_of_month: 2, time_zone: 'Asia/Tokyo' });
    expect(rezoned).toMatchObject({ day_of_month: 2, time_of_day: '18:05', time_zone: 'Asia/Tokyo' });
    expectNextRunMatches(rezoned);

    const paused = await client.schedules.pause(created.id);
    expect(paused).toMatchObject({ id: created.id, state: 'paused', next_run_at: null });
    await expect(client.schedules.get(created.id)).resolves.toMatchObject({ state: 'paused', next_run_at: null });

    const resumed = await client.schedules.resume(created.id);
    expect(resumed).toMatchObject({ id: created.id, state: 'active', day_of_month: 2, time_of_day: '18:05', time_zone: 'Asia/Tokyo' });
    expectNextRunMatches(resumed);

    await client.schedules.delete(created.id);
    await expect(client.schedules.get(created.id)).rejects.toMatchObject({ name: 'ApiError', status: 404, code: 'schedule_not_found' });
    await expect(client.schedules.delete(created.id)).rejects.toMatchObject({ status: 404, code: 'schedule_not_found' });
    expect((await client.schedules.list()).items.map((item) => item.id)).toEqual([other.id]);
  });

  it('rejects a bad time zone, day or time with an ApiError, creating nothing', async () => {
    const client = await newUserClient();

    const badZone = client.schedules.create({ time_zone: 'Mars/Olympus_Mons' });
    await expect(badZone).rejects.toBeInstanceOf(ApiError);
    await expect(badZone).rejects.toMatchObject({ status: 400, code: 'invalid_schedule' });
    const error = (await badZone.catch((caught: unknown) => caught)) as ApiError;
    expect(error.message).toMatch(/time.?zone/i);

    const badDay = client.schedules.create({ day_of_month: 31 });
    await expect(badDay).rejects.toMatchObject({ name: 'ApiError', status: 400, code: 'invalid_schedule' });
    expect(((await badDay.catch((caught: unknown) => caught)) as ApiError).message).toMatch(/day/i);
    await expect(client.schedules.create({ time_of_day: '24:00' })).rejects.toMatchObject({
      name: 'ApiError',
      status: 400,
      code: 'invalid_schedule',
    });
    // The SDK uses the API's names; a camelCase one from an untyped caller is refused, not ignored.
    const camelCase = client.schedules.create({ dayOfMonth: 15 } as ScheduleTiming);
    await expect(camelCase).rejects.toMatchObject({ name: 'ApiError', status: 400 });
    const existing = await client.schedules.create();
    await expect(client.schedules.update(existing.id, { time_zone: 'Nowhere/Special' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_schedule',
    });
    await expect(client.schedules.get(existing.id)).resolves.toMatchObject({ time_zone: 'UTC' });
    await client.schedules.delete(existing.id);
    expect((await client.schedules.list()).items).toEqual([]);
  });

  it('stops at the per-user limit with ApiError schedule_limit_reached (409)', async () => {
    const client = await newUserClient();
    for (let day = 1; day <= 5; day += 1) await client.schedules.create({ day_of_month: day });

    const sixth = client.schedules.create({ day_of_month: 6 });

    await expect(sixth).rejects.toBeInstanceOf(ApiError);
    await expect(sixth).rejects.toMatchObject({ status: 409, code: 'schedule_limit_reached' });
    expect((await client.schedules.list()).items).toHaveLength(5);
  });

  it("does not let one user see or change another user's schedule", async () => {
    const owner = await newUserClient();
    const stranger = await newUserClient();
    const schedule = await owner.schedules.create({ day_of_month: 3 });

    const notFound = { name: 'ApiError', status: 404, code: 'schedule_not_found' };
    await expect(stranger.schedules.get(schedule.id)).rejects.toMatchObject(notFound);
    await expect(stranger.schedules.update(schedule.id, { day_of_month: 4 })).rejects.toMatchObject(notFound);
    await expect(stranger.schedules.pause(schedule.id)).rejects.toMatchObject(notFound);
    await expect(stranger.schedules.resume(schedule.id)).rejects.toMatchObject(notFound);
    await expect(stranger.schedules.delete(schedule.id)).rejects.toMatchObject(notFound);
    expect((await stranger.schedules.list()).items).toEqual([]);

    await expect(owner.schedules.get(schedule.id)).resolves.toEqual(schedule);
  });

  it('runs the README example as written: subscribes once, and finds the subscription the second time', async () => {
    const packageDir = resolve(__dirname, '..');
    const example = await readFile(join(packageDir, 'examples', 'subscribe-monthly.mjs'), 'utf8');
    const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
    const block = /<!-- example:subscribe-monthly[^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);

    const { user, client } = await newUser();
    const run = () =>
      promisify(execFile)(process.execPath, [join(packageDir, 'examples', 'subscribe-monthly.mjs'), 'Europe/Berlin'], {
        env: {
          PATH: process.env.PATH,
          MEMBERSHIPS_API_URL: platform.apiUrl,
          MEMBERSHIPS_EMAIL: user.email,
          MEMBERSHIPS_PASSWORD: user.password,
        },
      });

    const first = await run();
    const { items } = await client.schedules.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ day_of_month: 1, time_of_day: '06:00', time_zone: 'Europe/Berlin', state: 'active' });
    expect(first.stdout).toBe(`Subscribed: schedule ${items[0]?.id}, next export ${items[0]?.next_run_at}\n`);

    const second = await run();
    expect(second.stdout).toBe(`Already subscribed: schedule ${items[0]?.id}, next export ${items[0]?.next_run_at}\n`);
    expect((await client.schedules.list()).items).toHaveLength(1);
  });
});
