import { gunzipSync } from 'node:zlib';
import {
  attachmentContent,
  isAddressedTo,
  parseCsvDialect,
  readMemberships,
  waitForEmails,
  type RunningIamGate,
  type TestPlatform,
} from '@memberships/local-platform';
import type { SchedulerLocal } from '@memberships/scheduler-local';
import { csvRecord, insertHostileRows, jsonObject, passes, type Column } from './support/expected-export';
import { startScheduledPlatform, type ScheduledPlatform } from './support/scheduled-platform';
import { login, waitForFinalJob, type JobBody } from './support/http';

// A monthly subscription with export options makes, every month, the file those options ask
// for: the API, the worker, the Scheduler stand-in (its clock moved by the test) and the
// emulators, as in schedules.test.ts. Every field is compared with PostgreSQL.
describe('monthly export subscription with options, end to end', () => {
  let env: ScheduledPlatform;
  let local: SchedulerLocal;
  let gate: RunningIamGate;
  let platform: TestPlatform;
  let token: string;

  beforeAll(async () => {
    env = await startScheduledPlatform({ memberships: 20, startTime: '2027-02-15T00:00:00Z' });
    ({ local, gate, platform } = env);
    await insertHostileRows(platform.database.url, platform.user.id);
    token = await login(platform.apiUrl, platform.user.email, platform.user.password);
  });

  afterAll(async () => {
    await env?.stop();
    expect(gate?.unacknowledged()).toEqual([]);
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${platform.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });

  interface ScheduledJob extends JobBody {
    options: Record<string, unknown>;
  }

  /** The email of the job with this id (its file is attached: these files are small). */
  async function attachedFile(job: JobBody): Promise<{ name: string; content: Buffer }> {
    const emails = await waitForEmails(
      platform.sesEndpoint,
      (email) => isAddressedTo(email, platform.user.email) && email.attachments.some((a) => a.filename?.includes(job.id)),
      { count: 1 },
    );
    const attachment = emails[0]!.attachments.find((a) => a.filename?.includes(job.id))!;
    return { name: attachment.filename!, content: attachmentContent(attachment) };
  }

  it('makes the file its options ask for every month: columns, filters, the excel dialect for de-DE, Berlin time, gzip; and another format after a change', async () => {
    const columns: Column[] = ['club_name', 'status', 'price', 'created_at', 'started_on'];
    const filters = { status: ['active', 'paused'] };
    const created = await api('/v1/export-schedules', {
      method: 'POST',
      body: JSON.stringify({
        day_of_month: 1,
        time_of_day: '06:00',
        time_zone: 'Europe/Berlin',
        export: { columns, filters, preset: 'excel', locale: 'de-DE', time_zone: 'Europe/Berlin', compression: 'gzip' },
      }),
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as { id: string; export: Record<string, unknown> };
    expect(schedule.export).toMatchObject({
      columns,
      filters,
      format: 'csv',
      delimiter: ';',
      bom: true,
      line_ending: 'crlf',
      decimal_separator: ',',
      compression: 'gzip',
    });

    // March, 06:00 in Berlin (05:00 UTC), within the hour's window.
    expect((await local.setTime('2027-03-01T06:01:00Z')).map((firing) => firing.status)).toEqual(['sent']);
    const march = (await waitForFinalJob(platform.apiUrl, `/v1/exports/sched-${schedule.id}-20270301T0500Z`, token)) as ScheduledJob;
    expect(march).toMatchObject({ state: 'succeeded', trigger: 'schedule', options: schedule.export });
    const marchFile = await attachedFile(march);
    expect(marchFile.name).toMatch(/\.csv\.gz$/);
    const rows = await readMemberships(platform.database.url, platform.user.id);
    const expected = rows.filter((m) => passes(m, filters));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(rows.length);
    const [header, ...records] = parseCsvDialect(gunzipSync(marchFile.content), { delimiter: ';', bom: true, lineEnding: 'crlf' });
    expect(header).toEqual(columns);
    // The de-DE dialect writes prices with the decimal comma.
    expect(records).toEqual(expected.map((m) => csvRecord(m, columns, 'Europe/Berlin', true)));

    // New options from April on: JSON Lines of every row, in UTC. The timing, and so the Scheduler's schedule, stay.
    const changed = await api(`/v1/export-schedules/${schedule.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ export: { format: 'jsonl' } }),
    });
    expect(changed.status).toBe(200);
    expect(((await changed.json()) as { export: unknown }).export).toMatchObject({ format: 'jsonl', filters: {}, time_zone: 'UTC' });
    expect((await local.setTime('2027-04-01T05:01:00Z')).map((firing) => firing.status)).toEqual(['sent']);
    const april = (await waitForFinalJob(platform.apiUrl, `/v1/exports/sched-${schedule.id}-20270401T0400Z`, token)) as ScheduledJob;
    expect(april).toMatchObject({ state: 'succeeded', options: { format: 'jsonl', compression: 'none' } });
    const aprilFile = await attachedFile(april);
    expect(aprilFile.name).toMatch(/\.jsonl$/);
    const lines = aprilFile.content.toString('utf8').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(rows.map((m) => jsonObject(m)));
  });
});
