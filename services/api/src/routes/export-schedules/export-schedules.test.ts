import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteScheduleCommand, ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { API_SDK_ATTEMPTS, startSchedulerStandIn, type SchedulerStandIn } from '../../testing/scheduler-stand-in';
import { bearer, provisionTestPlatform, startTestApp, TEST_SCHEDULER_ROLE_ARN, type Member, type TestApp } from '../../testing/test-app';
import { DEFAULT_OPTIONS_RESOURCE } from '../../testing/default-options';

/**
 * The export-schedule routes against DynamoDB Local and a Scheduler stand-in
 * of this suite's own, through the real SDK: what the user sees in the API,
 * and what EventBridge Scheduler holds for it.
 */

let t: TestApp;
let scheduler: SchedulerStandIn;

beforeAll(async () => {
  const platform = await provisionTestPlatform();
  scheduler = await startSchedulerStandIn(platform);
  t = await startTestApp({ platform, env: scheduler.apiEnv });
  // A fixed "now" so next_run_at is known: 20 November 2026, winter time in Berlin.
  t.clock.set(Date.parse('2026-11-20T00:00:00Z'));
});

afterEach(() => {
  scheduler?.local.clearFaults();
});

afterAll(async () => {
  await t?.close();
  await scheduler?.stop();
  expect(scheduler?.unacknowledgedDenials()).toEqual([]);
});

const member = () => t.member();

const create = (who: Member, payload: object = {}) =>
  t.request({ method: 'POST', url: '/v1/export-schedules', headers: bearer(who.token), payload });
const get = (who: Member, url: string) => t.request({ method: 'GET', url, headers: bearer(who.token) });
const patch = (who: Member, id: string, payload: object) =>
  t.request({ method: 'PATCH', url: `/v1/export-schedules/${id}`, headers: bearer(who.token), payload });
const action = (who: Member, id: string, verb: 'pause' | 'resume') =>
  t.request({ method: 'POST', url: `/v1/export-schedules/${id}/${verb}`, headers: bearer(who.token) });
const remove = (who: Member, id: string) => t.request({ method: 'DELETE', url: `/v1/export-schedules/${id}`, headers: bearer(who.token) });

async function created(who: Member, payload: object = {}): Promise<Record<string, any>> {
  const response = await create(who, payload);
  expect(response.statusCode).toBe(201);
  return response.json();
}

describe('export options of a schedule', () => {
  it('are taken on create, stored, shown on the schedule and its list, and the Scheduler target stays the v1 tick', async () => {
    const who = await member();
    const body = await created(who, {
      time_zone: 'Europe/Berlin',
      export: { format: 'xlsx', columns: ['club_name', 'price'], filters: { status: ['active'] }, time_zone: 'America/New_York' },
    });
    const shown = {
      columns: ['club_name', 'price'],
      filters: { status: ['active'] },
      format: 'xlsx',
      time_zone: 'America/New_York',
      compression: 'none',
    };
    expect(body).toMatchObject({ time_zone: 'Europe/Berlin', export: shown });
    expect((await get(who, body.links.self)).json().export).toEqual(shown);
    expect((await get(who, '/v1/export-schedules')).json().items).toEqual([body]);
    expect((await t.app.scheduleStore.get(body.id))?.options).toEqual({
      columns: ['club_name', 'price'],
      filters: { status: ['active'] },
      format: 'xlsx',
      csv: { delimiter: ',', bom: false, lineEnding: 'lf' },
      timeZone: 'America/New_York',
      compression: 'none',
    });
    // The worker reads the options from the record at each tick: the Scheduler's message names the schedule only.
    expect(JSON.parse((await scheduler.getSchedule(body.id))!.Target!.Input!)).not.toHaveProperty('options');
  });

  it('PATCH replaces them whole, keeps them when left out, and a change of options alone leaves the Scheduler alone', async () => {
    const who = await member();
    const schedule = await created(who, { export: { preset: 'excel', locale: 'fr-FR' } });
    expect(schedule.export).toMatchObject({ delimiter: ';', bom: true, line_ending: 'crlf' });
    const before = await scheduler.getSchedule(schedule.id);

    // Options only: no UpdateSchedule needed (and none made: it would fail here).
    scheduler.fail('UpdateSchedule');
    const changed = await patch(who, schedule.id, { export: { compression: 'gzip' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().export).toEqual({ ...DEFAULT_OPTIONS_RESOURCE, compression: 'gzip' });
    scheduler.local.clearFaults();
    expect((await scheduler.getSchedule(schedule.id))?.ScheduleExpression).toBe(before?.ScheduleExpression);

    const timing = await patch(who, schedule.id, { day_of_month: 9 });
    expect(timing.json()).toMatchObject({ day_of_month: 9, export: { ...DEFAULT_OPTIONS_RESOURCE, compression: 'gzip' } });
    // Pausing keeps them too.
    expect((await action(who, schedule.id, 'pause')).json().export).toEqual({ ...DEFAULT_OPTIONS_RESOURCE, compression: 'gzip' });

    const reset = await patch(who, schedule.id, { export: {} });
    expect(reset.json().export).toEqual(DEFAULT_OPTIONS_RESOURCE);
    // The same options again change nothing (no new version).
    const again = await patch(who, schedule.id, { export: { format: 'csv' } });
    expect(again.json()).toEqual(reset.json());
  });

  it('lists every bad field of export, and the timing problems with them, in one invalid_schedule problem; nothing changes', async () => {
    const who = await member();
    const response = await create(who, {
      day_of_month: 30,
      export: { format: 'pdf', columns: ['id', 'nope'], filters: { active_on: '2026-13-01' }, bom: 1, extra: true },
    });
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.code).toBe('invalid_schedule');
    expect(problem.errors.map((error: { field: string }) => error.field).sort()).toEqual(
      ['day_of_month', 'export.format', 'export.columns.1', 'export.filters.active_on', 'export.bom', 'export.extra'].sort(),
    );
    expect(problem.errors.every((error: { in: string }) => error.in === 'body')).toBe(true);
    expect((await get(who, '/v1/export-schedules')).json()).toEqual({ items: [] });

    const schedule = await created(who);
    const bad = await patch(who, schedule.id, { export: { format: 'jsonl', delimiter: ';' } });
    expect(bad.json()).toMatchObject({ status: 400, code: 'invalid_schedule', errors: [{ in: 'body', field: 'export.delimiter' }] });
    expect((await get(who, schedule.links.self)).json()).toEqual(schedule);
  });

  it('are the defaults on a schedule stored before options existed', async () => {
    const who = await member();
    const schedule = await created(who);
    // As ScheduleStore wrote records before options: take the attribute away again.
    await t.harness.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.config.tables.schedules,
        Key: { id: { S: schedule.id } },
        UpdateExpression: 'REMOVE #options',
        ExpressionAttributeNames: { '#options': 'options' },
      }),
    );
    expect((await t.app.scheduleStore.get(schedule.id))?.options).toBeUndefined();
    expect((await get(who, schedule.links.self)).json().export).toEqual(DEFAULT_OPTIONS_RESOURCE);
    // Setting defaults on it changes nothing a user would see.
    expect((await patch(who, schedule.id, { export: {} })).json()).toEqual(schedule);
  });
});

describe('creating a schedule', () => {
  it('with the defaults: the 1st at 06:00 UTC, active, and an ENABLED Scheduler schedule that targets the export queue', async () => {
    const who = await member();
    const response = await create(who);
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(response.headers.location).toBe(`/v1/export-schedules/${body.id}`);
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      day_of_month: 1,
      time_of_day: '06:00',
      time_zone: 'UTC',
      export: DEFAULT_OPTIONS_RESOURCE,
      state: 'active',
      // The test clock runs on from 2026-11-20T00:00:00Z.
      created_at: expect.stringMatching(/^2026-11-20T00:0\d:\d\d\.\d{3}Z$/),
      updated_at: body.created_at,
      next_run_at: '2026-12-01T06:00:00.000Z',
      links: { self: `/v1/export-schedules/${body.id}` },
    });

    const actual = await scheduler.getSchedule(body.id);
    expect(actual).toMatchObject({
      Name: `export-${body.id}`,
      GroupName: t.platform.names.scheduleGroup,
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: t.platform.exportQueueArn,
        RoleArn: TEST_SCHEDULER_ROLE_ARN,
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: t.platform.exportDlqArn },
      },
    });
    expect(JSON.parse(actual!.Target!.Input!)).toEqual({
      type: 'export.scheduled',
      version: 1,
      scheduleId: body.id,
      userId: who.user.id,
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
    });
  });

  it("day 1, 06:00 Europe/Berlin: the cron in the user's zone, and the next run in UTC (winter time, UTC+1)", async () => {
    const who = await member();
    const body = await created(who, { day_of_month: 1, time_of_day: '06:00', time_zone: 'europe/berlin' });
    expect(body).toMatchObject({
      day_of_month: 1,
      time_of_day: '06:00',
      time_zone: 'Europe/Berlin',
      next_run_at: '2026-12-01T05:00:00.000Z',
    });
    expect(await scheduler.getSchedule(body.id)).toMatchObject({
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it("lists and shows the user's schedules, oldest first", async () => {
    const who = await member();
    const first = await created(who, { day_of_month: 3 });
    const second = await created(who, { day_of_month: 4 });
    expect((await get(who, `/v1/export-schedules/${second.id}`)).json()).toEqual(second);
    // The byUser index is eventually consistent; DynamoDB Local is not, but a real table may lag a moment.
    const list = await get(who, '/v1/export-schedules');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [first, second] });
  });

  it('refuses day 29, 25:00 and Mars/Olympus with invalid_schedule naming each field, and creates nothing', async () => {
    const who = await member();
    for (const [payload, field] of [
      [{ day_of_month: 29 }, 'day_of_month'],
      [{ time_of_day: '25:00' }, 'time_of_day'],
      [{ time_zone: 'Mars/Olympus' }, 'time_zone'],
    ] as const) {
      const response = await create(who, payload);
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'invalid_schedule', errors: [{ in: 'body', field, message: expect.any(String) }] });
    }
    const all = await create(who, { day_of_month: 0, time_of_day: '6 am', time_zone: '+01:00' });
    expect(all.json().errors.map((error: { field: string }) => error.field)).toEqual(['day_of_month', 'time_of_day', 'time_zone']);

    expect((await get(who, '/v1/export-schedules')).json()).toEqual({ items: [] });
  });

  it('rejects unknown fields and wrong types (validation_failed)', async () => {
    const who = await member();
    expect((await create(who, { day: 1 })).json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'day' }] });
    expect((await create(who, { day_of_month: 'first' })).json()).toMatchObject({ code: 'validation_failed' });
    expect((await get(who, '/v1/export-schedules')).json()).toEqual({ items: [] });
  });

  it('rejects numbers JSON.parse turns into Infinity, and query parameters the list does not take', async () => {
    const who = await member();
    for (const day of ['1e309', '-1e309', '1.5']) {
      const response = await t.request({
        method: 'POST',
        url: '/v1/export-schedules',
        headers: { ...bearer(who.token), 'content-type': 'application/json' },
        payload: `{"day_of_month": ${day}}`,
      });
      expect({ day, status: response.statusCode }).toEqual({ day, status: 400 });
      expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', field: 'day_of_month' }] });
    }
    for (const query of ['limit=Infinity', 'limit=10', 'cursor=x']) {
      const response = await get(who, `/v1/export-schedules?${query}`);
      expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        code: 'validation_failed',
        errors: [{ in: 'querystring', message: 'is not an allowed field' }],
      });
    }
    expect((await get(who, '/v1/export-schedules')).json()).toEqual({ items: [] });
  });

  it('allows 5 schedules per user: the 6th is 409 schedule_limit_reached, and deleting one makes room', async () => {
    const who = await member();
    const ids: string[] = [];
    for (let day = 1; day <= 5; day += 1) ids.push((await created(who, { day_of_month: day })).id);
    const sixth = await create(who, { day_of_month: 6 });
    expect(sixth.statusCode).toBe(409);
    expect(sixth.json()).toMatchObject({ code: 'schedule_limit_reached', limit: 5 });
    expect((await get(who, '/v1/export-schedules')).json().items).toHaveLength(5);

    expect((await remove(who, ids[0]!)).statusCode).toBe(204);
    expect((await create(who, { day_of_month: 6 })).statusCode).toBe(201);
    // Another user has a limit of their own.
    expect((await create(await member())).statusCode).toBe(201);
  });

  it('needs a token with schedules:write to create and schedules:read to list', async () => {
    expect((await t.request({ method: 'POST', url: '/v1/export-schedules', payload: {} })).json()).toMatchObject({
      code: 'authentication_required',
    });
    const reader = await t.createUser({ scopes: ['schedules:read'] });
    const token = await t.login(reader);
    const response = await t.request({ method: 'POST', url: '/v1/export-schedules', headers: bearer(token), payload: {} });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'insufficient_scope' });
    expect((await t.request({ method: 'GET', url: '/v1/export-schedules', headers: bearer(token) })).statusCode).toBe(200);
  });
});

describe('changing a schedule', () => {
  it('PATCH changes the Scheduler expression and zone and keeps what was left out', async () => {
    const who = await member();
    const schedule = await created(who, { time_zone: 'Europe/Berlin' });
    const response = await patch(who, schedule.id, { day_of_month: 15, time_of_day: '07:30' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id: schedule.id,
      day_of_month: 15,
      time_of_day: '07:30',
      time_zone: 'Europe/Berlin',
      state: 'active',
      next_run_at: '2026-12-15T06:30:00.000Z',
    });
    expect(await scheduler.getSchedule(schedule.id)).toMatchObject({
      ScheduleExpression: 'cron(30 7 15 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
    });

    await patch(who, schedule.id, { time_zone: 'America/New_York' });
    expect(await scheduler.getSchedule(schedule.id)).toMatchObject({
      ScheduleExpression: 'cron(30 7 15 * ? *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    expect((await get(who, schedule.links.self)).json()).toMatchObject({
      day_of_month: 15,
      time_of_day: '07:30',
      time_zone: 'America/New_York',
    });
  });

  it('PATCH with an invalid value is 400 invalid_schedule and changes nothing on either side', async () => {
    const who = await member();
    const schedule = await created(who);
    const response = await patch(who, schedule.id, { day_of_month: 31 });
    expect(response.json()).toMatchObject({ status: 400, code: 'invalid_schedule', errors: [{ field: 'day_of_month' }] });
    expect((await get(who, schedule.links.self)).json()).toEqual(schedule);
    expect((await scheduler.getSchedule(schedule.id))?.ScheduleExpression).toBe('cron(0 6 1 * ? *)');
  });

  it('pause disables the Scheduler schedule (next_run_at null); resume enables it again; both are idempotent', async () => {
    const who = await member();
    const schedule = await created(who);

    const paused = await action(who, schedule.id, 'pause');
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ state: 'paused', next_run_at: null });
    expect((await scheduler.getSchedule(schedule.id))?.State).toBe('DISABLED');
    expect((await action(who, schedule.id, 'pause')).json()).toEqual(paused.json());

    // A change while paused keeps it paused.
    await patch(who, schedule.id, { day_of_month: 2 });
    expect(await scheduler.getSchedule(schedule.id)).toMatchObject({ State: 'DISABLED', ScheduleExpression: 'cron(0 6 2 * ? *)' });

    const resumed = await action(who, schedule.id, 'resume');
    expect(resumed.json()).toMatchObject({ state: 'active', day_of_month: 2, next_run_at: '2026-12-02T06:00:00.000Z' });
    expect((await scheduler.getSchedule(schedule.id))?.State).toBe('ENABLED');
    expect((await action(who, schedule.id, 'resume')).json()).toEqual(resumed.json());
  });

  it('a failing UpdateSchedule answers 503 scheduler_unavailable and leaves the schedule as it was', async () => {
    const who = await member();
    const schedule = await created(who);
    scheduler.fail('UpdateSchedule');
    const response = await action(who, schedule.id, 'pause');
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ code: 'scheduler_unavailable' });
    expect((await get(who, schedule.links.self)).json()).toMatchObject({ state: 'active' });
    expect((await scheduler.getSchedule(schedule.id))?.State).toBe('ENABLED');
    // Retrying works.
    expect((await action(who, schedule.id, 'pause')).json()).toMatchObject({ state: 'paused' });
  });
});

describe('deleting a schedule', () => {
  it('deletes the Scheduler schedule and the record', async () => {
    const who = await member();
    const schedule = await created(who);
    const response = await remove(who, schedule.id);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(await scheduler.getSchedule(schedule.id)).toBeUndefined();
    expect((await get(who, schedule.links.self)).json()).toMatchObject({ status: 404, code: 'schedule_not_found' });
    expect((await remove(who, schedule.id)).statusCode).toBe(404);
  });

  it('a failing DeleteSchedule answers 503 and keeps the record and the Scheduler schedule; a retry deletes both', async () => {
    const who = await member();
    const schedule = await created(who);
    scheduler.fail('DeleteSchedule');
    const response = await remove(who, schedule.id);
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'scheduler_unavailable' });
    expect((await get(who, schedule.links.self)).json()).toEqual(schedule);
    expect((await scheduler.getSchedule(schedule.id))?.State).toBe('ENABLED');

    expect((await remove(who, schedule.id)).statusCode).toBe(204);
    expect(await scheduler.getSchedule(schedule.id)).toBeUndefined();
  });

  it('still deletes the record when the Scheduler schedule is already gone', async () => {
    const who = await member();
    const schedule = await created(who);
    await scheduler.client.send(new DeleteScheduleCommand({ Name: `export-${schedule.id}`, GroupName: t.platform.names.scheduleGroup }));
    expect((await remove(who, schedule.id)).statusCode).toBe(204);
    expect((await get(who, schedule.links.self)).statusCode).toBe(404);
  });
});

describe('a failing CreateSchedule', () => {
  it('answers 503 scheduler_unavailable and leaves no record (no orphan), and the place in the limit is free', async () => {
    const who = await member();
    scheduler.fail('CreateSchedule');
    const response = await create(who, { day_of_month: 7 });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'scheduler_unavailable' });
    expect((await get(who, '/v1/export-schedules')).json()).toEqual({ items: [] });
    expect(await t.app.scheduleStore.listForUser(who.user.id)).toEqual([]);

    for (let day = 1; day <= 5; day += 1) expect((await create(who, { day_of_month: day })).statusCode).toBe(201);
  });

  it('that took effect but whose answer was lost: record and Scheduler schedule are both removed', async () => {
    const who = await member();
    const before = await scheduleNames();
    scheduler.fail('CreateSchedule', { when: 'after' });
    const response = await create(who);
    expect(response.statusCode).toBe(503);
    expect(await t.app.scheduleStore.listForUser(who.user.id)).toEqual([]);
    expect(await scheduleNames()).toEqual(before);
  });

  it('once (the SDK retries it with the same ClientToken) creates the schedule normally', async () => {
    const who = await member();
    scheduler.local.injectFault({ operation: 'CreateSchedule', count: API_SDK_ATTEMPTS - 1, when: 'after' });
    const schedule = await created(who);
    expect((await scheduler.getSchedule(schedule.id))?.State).toBe('ENABLED');
  });
});

describe("another user's schedule", () => {
  it('is not found for every route, and stays unchanged on both sides', async () => {
    const owner = await member();
    const other = await member();
    const schedule = await created(owner);

    for (const response of [
      await get(other, schedule.links.self),
      await patch(other, schedule.id, { day_of_month: 9 }),
      await action(other, schedule.id, 'pause'),
      await action(other, schedule.id, 'resume'),
      await remove(other, schedule.id),
    ]) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'schedule_not_found' });
    }
    expect((await get(other, '/v1/export-schedules')).json()).toEqual({ items: [] });
    expect((await get(owner, schedule.links.self)).json()).toEqual(schedule);
    expect(await scheduler.getSchedule(schedule.id)).toMatchObject({ State: 'ENABLED', ScheduleExpression: 'cron(0 6 1 * ? *)' });
  });

  it('an id that is no schedule at all is not found either', async () => {
    const who = await member();
    expect((await get(who, '/v1/export-schedules/not-a-schedule')).json()).toMatchObject({ code: 'schedule_not_found' });
    expect((await get(who, `/v1/export-schedules/count%23${who.user.id}`)).json()).toMatchObject({ code: 'schedule_not_found' });
  });
});

async function scheduleNames(): Promise<string[]> {
  const page = await scheduler.client.send(new ListSchedulesCommand({ GroupName: t.platform.names.scheduleGroup, MaxResults: 100 }));
  return (page.Schedules ?? []).map((entry) => entry.Name!).sort();
}
