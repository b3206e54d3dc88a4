import { ApiError, type ExportSchedule, type ScheduleTiming } from '../index.js';
import { json, scriptedClient } from '../testing/scripted-api.js';
import { DEFAULT_JOB_OPTIONS } from '../testing/job-fixtures.js';

/**
 * client.schedules against a scripted API (fetch is the stubbed collaborator):
 * which request each method sends and what it makes of the answer. The same
 * methods run against the real API in src/schedules.test.ts.
 */
const schedule: ExportSchedule = {
  id: '6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
  day_of_month: 1,
  time_of_day: '06:00',
  time_zone: 'Europe/Berlin',
  export: DEFAULT_JOB_OPTIONS,
  state: 'active',
  created_at: '2025-11-25T11:41:07.123Z',
  updated_at: '2025-11-25T11:41:07.123Z',
  next_run_at: '2025-12-01T05:00:00.000Z',
  links: { self: '/v1/export-schedules/6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f' },
};

describe('client.schedules', () => {
  it("creates with the API's snake_case fields, sending only what was given", async () => {
    const { client, sent } = scriptedClient(() => json(schedule, 201));

    await expect(client.schedules.create({ day_of_month: 15, time_of_day: '07:30', time_zone: 'Europe/Berlin' })).resolves.toEqual(
      schedule,
    );
    await client.schedules.create();
    await client.schedules.create({ time_zone: 'Asia/Tokyo' });

    expect(sent).toEqual([
      {
        method: 'POST',
        path: '/v1/export-schedules',
        query: '',
        body: { day_of_month: 15, time_of_day: '07:30', time_zone: 'Europe/Berlin' },
      },
      { method: 'POST', path: '/v1/export-schedules', query: '', body: {} },
      { method: 'POST', path: '/v1/export-schedules', query: '', body: { time_zone: 'Asia/Tokyo' } },
    ]);
  });

  it("lists, gets, updates, pauses, resumes and deletes at the contract's paths", async () => {
    const { client, sent } = scriptedClient(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 204 });
      if (path === '/v1/export-schedules') return json({ items: [schedule] });
      return json(schedule);
    });
    const id = schedule.id;

    await expect(client.schedules.list()).resolves.toEqual({ items: [schedule] });
    await client.schedules.get(id);
    await client.schedules.update(id, { time_of_day: '08:15' });
    await client.schedules.pause(id);
    await client.schedules.resume(id);
    await expect(client.schedules.delete(id)).resolves.toBeUndefined();

    expect(sent.map(({ method, path, body }) => [method, path, body])).toEqual([
      ['GET', '/v1/export-schedules', undefined],
      ['GET', `/v1/export-schedules/${id}`, undefined],
      ['PATCH', `/v1/export-schedules/${id}`, { time_of_day: '08:15' }],
      ['POST', `/v1/export-schedules/${id}/pause`, undefined],
      ['POST', `/v1/export-schedules/${id}/resume`, undefined],
      ['DELETE', `/v1/export-schedules/${id}`, undefined],
    ]);
  });

  it("takes the names it returns: a schedule's timing goes back to the API as it came", async () => {
    const { client, sent } = scriptedClient(() => json(schedule));
    const { day_of_month, time_of_day, time_zone } = await client.schedules.get(schedule.id);

    await client.schedules.update(schedule.id, { day_of_month, time_of_day, time_zone });

    expect(sent[1]?.body).toEqual({ day_of_month: 1, time_of_day: '06:00', time_zone: 'Europe/Berlin' });
  });

  it('renames nothing: a field the API does not know reaches it as written, for the API to reject', async () => {
    const { client, sent } = scriptedClient(() => json(schedule, 201));
    // What a JavaScript caller (no type checker) might still write.
    await client.schedules.create({ dayOfMonth: 15 } as ScheduleTiming);
    expect(sent[0]?.body).toEqual({ dayOfMonth: 15 });
  });

  it('keeps an id with reserved characters inside its path segment', async () => {
    const { client, sent } = scriptedClient(() => json(schedule));
    await client.schedules.get('a/../b?c');
    expect(sent[0]?.path).toBe('/v1/export-schedules/a%2F..%2Fb%3Fc');
  });

  it("turns a problem answer into an ApiError with the API's code", async () => {
    const { client } = scriptedClient(() =>
      json(
        {
          type: 'about:blank',
          title: 'Schedule limit reached',
          status: 409,
          code: 'schedule_limit_reached',
          detail: 'You already have 5 schedules.',
        },
        409,
      ),
    );
    const creating = client.schedules.create();
    await expect(creating).rejects.toBeInstanceOf(ApiError);
    await expect(creating).rejects.toMatchObject({ status: 409, code: 'schedule_limit_reached', message: 'You already have 5 schedules.' });

    const deleting = client.schedules.delete(schedule.id);
    await expect(deleting).rejects.toMatchObject({ status: 409, code: 'schedule_limit_reached' });
  });
});
