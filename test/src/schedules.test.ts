import { GetScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { isAddressedTo, listEmails, waitForEmails, type RunningIamGate, type TestPlatform } from '@memberships/local-platform';
import type { SchedulerLocal } from '@memberships/scheduler-local';
import { startScheduledPlatform, type ScheduledPlatform } from './support/scheduled-platform';
import { getJson, login, waitForFinalJob, type JobBody } from './support/http';

// A user subscribes to a monthly export over HTTP and, every month, finds the
// export in their inbox: the API and the worker as processes, DynamoDB, SQS,
// S3, SES and PostgreSQL as emulators, and the Scheduler stand-in with a clock
// the test moves (no waiting for the 1st of the month).
describe('monthly export subscription, end to end', () => {
  let env: ScheduledPlatform;
  let local: SchedulerLocal;
  let scheduler: SchedulerClient;
  let gate: RunningIamGate;
  let platform: TestPlatform;
  let group: string;
  let token: string;

  beforeAll(async () => {
    env = await startScheduledPlatform({ memberships: 12, startTime: '2027-02-15T00:00:00Z' });
    ({ local, scheduler, gate, platform, group } = env);
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

  async function scheduledJobs(): Promise<JobBody[]> {
    const { body } = await getJson<{ items: JobBody[] }>(`${platform.apiUrl}/v1/exports?limit=100`, token);
    return body.items.filter((job) => job.trigger === 'schedule');
  }

  async function emailsToUser(): Promise<number> {
    return (await listEmails(platform.sesEndpoint)).filter((email) => isAddressedTo(email, platform.user.email)).length;
  }

  /** Waits until the worker has acknowledged a duplicate delivery of `jobId` (it must not export or email again). */
  async function duplicateAcknowledged(jobId: string): Promise<void> {
    await platform.worker.waitForLine((line) => line.includes(jobId) && line.includes('duplicate message acknowledged'), 30_000);
  }

  it('fires at 06:00 Berlin time across the change to summer time, one job and one email per month, even when delivered twice; pause stops it', async () => {
    // Subscribe: the 1st of every month at 06:00 in Berlin.
    const created = await api('/v1/export-schedules', {
      method: 'POST',
      body: JSON.stringify({ day_of_month: 1, time_of_day: '06:00', time_zone: 'Europe/Berlin' }),
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as { id: string; state: string; links: { self: string } };
    expect(created.headers.get('location')).toBe(schedule.links.self);
    const onScheduler = await scheduler.send(new GetScheduleCommand({ Name: `export-${schedule.id}`, GroupName: group }));
    expect(onScheduler).toMatchObject({
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
    });

    // March: winter time (UTC+1), so 06:00 in Berlin is 05:00 UTC. Nothing before it.
    expect(await local.setTime('2027-03-01T04:59:59Z')).toEqual([]);
    // The flexible window (60 minutes) may delay delivery up to an hour after the nominal time.
    const march = await local.setTime('2027-03-01T06:01:00Z');
    expect(march.map((firing) => [firing.scheduledTime, firing.status])).toEqual([['2027-03-01T05:00:00Z', 'sent']]);
    const marchJob = await waitForFinalJob(platform.apiUrl, `/v1/exports/sched-${schedule.id}-20270301T0500Z`, token);
    expect(marchJob).toMatchObject({ state: 'succeeded', trigger: 'schedule', delivery: { to: platform.user.email } });
    await waitForEmails(platform.sesEndpoint, (email) => isAddressedTo(email, platform.user.email), { count: 1 });

    // April: summer time since 28 March (UTC+2), so 06:00 in Berlin is 04:00 UTC; and this time it arrives twice.
    expect(await local.setTime('2027-04-01T03:59:59Z')).toEqual([]);
    local.injectFault({ operation: 'DuplicateDelivery', count: 1 });
    const april = await local.setTime('2027-04-01T05:01:00Z');
    expect(april).toHaveLength(1);
    expect(april[0]).toMatchObject({ scheduledTime: '2027-04-01T04:00:00Z', status: 'sent', duplicateMessageId: expect.any(String) });
    const aprilJobId = `sched-${schedule.id}-20270401T0400Z`;
    const aprilJob = await waitForFinalJob(platform.apiUrl, `/v1/exports/${aprilJobId}`, token);
    expect(aprilJob).toMatchObject({ state: 'succeeded', trigger: 'schedule', attempts: 1 });
    await duplicateAcknowledged(aprilJobId);
    await waitForEmails(platform.sesEndpoint, (email) => isAddressedTo(email, platform.user.email), { count: 2 });

    expect((await scheduledJobs()).map((job) => job.id).sort()).toEqual([`sched-${schedule.id}-20270301T0500Z`, aprilJobId]);
    expect(await emailsToUser()).toBe(2);

    // Pause: the Scheduler schedule is disabled, and May's occurrence makes no job.
    const paused = await api(`/v1/export-schedules/${schedule.id}/pause`, { method: 'POST' });
    expect(await paused.json()).toMatchObject({ state: 'paused', next_run_at: null });
    expect((await scheduler.send(new GetScheduleCommand({ Name: `export-${schedule.id}`, GroupName: group }))).State).toBe('DISABLED');
    expect(await local.setTime('2027-05-01T06:00:00Z')).toEqual([]);
    expect(local.firings({ scheduleName: `export-${schedule.id}` }).map((firing) => firing.scheduledTime)).toEqual([
      '2027-03-01T05:00:00Z',
      '2027-04-01T04:00:00Z',
    ]);
    expect(await scheduledJobs()).toHaveLength(2);
    expect(await emailsToUser()).toBe(2);

    // Resume: June fires again (UTC+2: 04:00 UTC), May is not made up.
    await api(`/v1/export-schedules/${schedule.id}/resume`, { method: 'POST' });
    const june = await local.setTime('2027-06-01T05:01:00Z');
    expect(june.map((firing) => firing.scheduledTime)).toEqual(['2027-06-01T04:00:00Z']);
    await waitForFinalJob(platform.apiUrl, `/v1/exports/sched-${schedule.id}-20270601T0400Z`, token);
    expect(await scheduledJobs()).toHaveLength(3);

    // Delete: the Scheduler schedule goes too.
    expect((await api(schedule.links.self, { method: 'DELETE' })).status).toBe(204);
    expect(await local.setTime('2027-07-01T06:00:00Z')).toEqual([]);
  });
  it('says in its email that it is monthly, and the email’s one-click pause link pauses it: the Scheduler’s schedule is DISABLED', async () => {
    // From a known day on (the test above leaves the clock on 1 July; alone, it starts in February).
    expect(await local.setTime('2027-07-09T00:00:00Z')).toEqual([]);
    const created = await api('/v1/export-schedules', {
      method: 'POST',
      body: JSON.stringify({ day_of_month: 10, time_of_day: '06:00', time_zone: 'UTC' }),
    });
    expect(created.status).toBe(201);
    const schedule = (await created.json()) as { id: string };
    const name = `export-${schedule.id}`;
    const before = await emailsToUser();
    // Past the flexible window (60 minutes) after 06:00: it has fired by then.
    const fired = await local.setTime('2027-07-10T07:01:00Z');
    expect(fired.map((firing) => [firing.scheduledTime, firing.status])).toEqual([['2027-07-10T06:00:00Z', 'sent']]);
    const job = await waitForFinalJob(platform.apiUrl, `/v1/exports/sched-${schedule.id}-20270710T0600Z`, token);
    const emails = await waitForEmails(platform.sesEndpoint, (email) => isAddressedTo(email, platform.user.email), { count: before + 1 });
    const email = emails.at(-1)!;

    // The subject and the body say it is the monthly export, and the body names the subscription.
    expect(email.subject).toMatch(new RegExp(`^Your monthly memberships export of \\d{1,2} \\w+ \\d{4}: ${job.file!.rows} memberships$`));
    expect(email.body.text).toContain('This is your monthly export');
    expect(email.body.text).toContain(`memberships schedule pause ${schedule.id}`);
    // RFC 8058: the pause URL in List-Unsubscribe, and the one-click marker beside it.
    const header = (wanted: string) => email.headers?.find((h) => h.name.toLowerCase() === wanted.toLowerCase())?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const pauseUrl = /^<(https?:\/\/[^>]+)>$/.exec(header('List-Unsubscribe') ?? '')?.[1];
    expect(pauseUrl).toBeDefined();
    expect(new URL(pauseUrl!).pathname).toBe(`/v1/export-schedules/${schedule.id}/pause-link`);
    // The link in the body is the same one.
    expect(email.body.text).toContain(pauseUrl);

    // Opening the link (a person, or a mail scanner) only shows the question: nothing is paused by a GET.
    const page = await fetch(pauseUrl!, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Pause monthly exports');
    expect((await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }))).State).toBe('ENABLED');

    // The mail client's one-click POST, as RFC 8058 §3.2 has it: no cookie, no sign-in, the fixed body.
    const oneClick = await fetch(pauseUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.json()).toEqual({ id: schedule.id, state: 'paused' });
    expect((await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }))).State).toBe('DISABLED');
    expect(await (await api(`/v1/export-schedules/${schedule.id}`)).json()).toMatchObject({ state: 'paused', next_run_at: null });
    // And August brings nothing.
    expect(await local.setTime('2027-08-10T07:00:00Z')).toEqual([]);
  });
});
