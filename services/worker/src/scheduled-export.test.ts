/**
 * Schedule ticks (`export.scheduled`, as EventBridge Scheduler sends them
 * from the target input template) through the worker in-process, against
 * the real emulators and a real PostgreSQL database. What a subscriber
 * notices: one email per tick, whatever SQS or the Scheduler deliver twice;
 * nothing once the schedule is paused or deleted.
 */
import { isFinal, parseExportOptions, scheduledJobId } from '@memberships/core/contract';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { seedMemberships, waitFor } from '@memberships/local-platform';
import { DEAD_LETTER_ATTRIBUTES } from './message-actions';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

/** Nothing left on the export queue or its dead-letter queue: every message was acknowledged. */
async function allAcknowledged(env: WorkerTestEnvironment): Promise<void> {
  await waitFor('the export queue to be empty', async () => {
    const depths = await env.queueDepths();
    return depths.exportQueue === 0 ? depths : undefined;
  });
  expect((await env.queueDepths()).deadLetterQueue).toBe(0);
}

describe('scheduled exports', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('turns a tick into a job with trigger schedule, emails the export once, and records the tick on the schedule', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 120);
    const schedule = await env.schedules.create({ userId: user.id, dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'Europe/Berlin' });
    const { logs } = await startWorker(env);

    await env.sendTick(schedule, '2026-12-01T05:00:00Z');
    const jobId = scheduledJobId(schedule.id, '2026-12-01T05:00:00Z');
    const done = await env.waitForJob(jobId, (j) => isFinal(j.state));

    expect(jobId).toBe(`sched-${schedule.id}-20261201T0500Z`);
    expect(done).toMatchObject({
      state: 'succeeded',
      userId: user.id,
      trigger: 'schedule',
      scheduleId: schedule.id,
      scheduledAt: '2026-12-01T05:00:00.000Z',
      attempts: 1,
      file: { rows: seeded.inserted },
      delivery: { method: 'attachment', to: user.email },
    });
    const emails = await env.waitForEmails(user.email, 1, jobId);
    expect(emails).toHaveLength(1);
    expect(emails[0]!.attachments).toHaveLength(1);
    expect((await env.jobs.listForUser(user.id, { limit: 10 })).jobs.map((j) => j.id)).toEqual([jobId]);
    await waitFor('the tick to be recorded on the schedule', async () => {
      const stored = await env.schedules.get(schedule.id);
      return stored?.lastFiredAt === '2026-12-01T05:00:00.000Z' ? stored : undefined;
    });
    // The record's version is the user's: recording a tick does not move it.
    expect(await env.schedules.get(schedule.id)).toMatchObject({ version: 1 });
    expect(logs.find({ jobId, scheduleId: schedule.id, msg: 'export succeeded' })).toHaveLength(1);
    await allAcknowledged(env);
  });

  it("makes the scheduled job with the schedule's export options, and the file they ask for", async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 40);
    const parsed = parseExportOptions({ columns: ['id', 'status'], format: 'jsonl', compression: 'gzip', filters: { status: ['active'] } });
    if (!parsed.ok) throw new Error('test options invalid');
    const schedule = await env.schedules.create({ userId: user.id, options: parsed.options });
    await startWorker(env);

    await env.sendTick(schedule, '2027-03-01T06:00:00Z');
    const jobId = scheduledJobId(schedule.id, '2027-03-01T06:00:00Z');
    const done = await env.waitForJob(jobId, (j) => isFinal(j.state));
    expect(done).toMatchObject({
      state: 'succeeded',
      trigger: 'schedule',
      options: parsed.options,
      file: { contentType: 'application/gzip' },
    });
    expect(done.file?.key).toMatch(/\.jsonl\.gz$/);
    const rows = gunzipSync((await env.getObject(done.file!.key)).body)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const db = new Client({ connectionString: env.database.url });
    await db.connect();
    const active = await db
      .query<{ id: string }>("SELECT id FROM memberships WHERE user_id = $1 AND status = 'active' ORDER BY id", [user.id])
      .finally(() => db.end());
    expect(active.rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.id)).toEqual(active.rows.map((row) => Number(row.id)));
    expect(rows.every((row) => Object.keys(row).join() === 'id,status' && row.status === 'active')).toBe(true);
    await allAcknowledged(env);
  });

  it('sends one email when the same tick arrives twice, and again under another execution id', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 200);
    const schedule = await env.schedules.create({ userId: user.id });
    // Two workers, so the copies may also meet a job that is being exported right now.
    const [first, second] = await Promise.all([startWorker(env), startWorker(env)]);

    const body = await env.sendTick(schedule, '2027-01-01T06:00:00Z', 'execution-1');
    await env.send(body); // SQS's at-least-once duplicate
    await env.sendTick(schedule, '2027-01-01T06:00:00Z', 'execution-2'); // the Scheduler's retry of the same tick
    const jobId = scheduledJobId(schedule.id, '2027-01-01T06:00:00Z');
    const done = await env.waitForJob(jobId, (j) => isFinal(j.state));
    // All three copies were handled: one ran the export, two were acknowledged as duplicates.
    const duplicates = () =>
      [...first.logs.records, ...second.logs.records].filter(
        (record) => record.jobId === jobId && /duplicate message acknowledged/.test(record.msg),
      );
    await waitFor('both duplicates to be acknowledged', () => (duplicates().length === 2 ? true : undefined));
    await allAcknowledged(env);

    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, trigger: 'schedule' });
    expect((await env.jobs.listForUser(user.id, { limit: 10 })).jobs).toHaveLength(1);
    expect(await env.emailsTo(user.email)).toHaveLength(1);
  });

  it('runs a tick while the user’s on-demand export is queued, without swallowing either', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const schedule = await env.schedules.create({ userId: user.id });
    await startWorker(env);

    const { job: onDemand } = await env.requestExport(user.id);
    await env.sendTick(schedule, '2027-02-01T06:00:00Z');
    const tickJobId = scheduledJobId(schedule.id, '2027-02-01T06:00:00Z');

    expect(await env.waitForJob(onDemand.id, (j) => isFinal(j.state))).toMatchObject({ state: 'succeeded', trigger: 'api' });
    expect(await env.waitForJob(tickJobId, (j) => isFinal(j.state))).toMatchObject({ state: 'succeeded', trigger: 'schedule' });
    expect(await env.waitForEmails(user.email, 2)).toHaveLength(2);
  });

  it('skips the tick of a paused schedule: no job, no email, message acknowledged', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    const schedule = await env.schedules.create({ userId: user.id });
    await env.schedules.update({ id: schedule.id, userId: user.id, expectedVersion: 1, changes: { state: 'paused' } });
    const { logs } = await startWorker(env);

    await env.sendTick(schedule, '2027-03-01T06:00:00Z');
    await waitFor('the tick to be skipped', () =>
      logs.records.find((record) => record.scheduleId === schedule.id && record.msg === 'skipping scheduled export'),
    );
    await allAcknowledged(env);

    expect(logs.find({ scheduleId: schedule.id, skipReason: 'schedule_paused', level: 30 })).toHaveLength(1);
    expect(await env.jobs.get(scheduledJobId(schedule.id, '2027-03-01T06:00:00Z'))).toBeUndefined();
    expect((await env.jobs.listForUser(user.id, { limit: 10 })).jobs).toHaveLength(0);
    expect(await env.emailsTo(user.email)).toHaveLength(0);
    expect((await env.schedules.get(schedule.id))?.lastFiredAt).toBeUndefined();
  });

  it('skips the tick of a deleted schedule: no job, no email, message acknowledged', async () => {
    const user = await env.createUser();
    const schedule = await env.schedules.create({ userId: user.id });
    await env.schedules.delete(schedule.id, user.id);
    const { logs } = await startWorker(env);

    await env.sendTick(schedule, '2027-03-01T06:00:00Z');
    await waitFor('the tick to be skipped', () =>
      logs.records.find((record) => record.scheduleId === schedule.id && record.msg === 'skipping scheduled export'),
    );
    await allAcknowledged(env);

    expect(logs.find({ scheduleId: schedule.id, skipReason: 'schedule_not_found' })).toHaveLength(1);
    expect((await env.jobs.listForUser(user.id, { limit: 10 })).jobs).toHaveLength(0);
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });

  it('skips, with a warning, a tick that names another user than the schedule’s', async () => {
    const owner = await env.createUser();
    const other = await env.createUser();
    const schedule = await env.schedules.create({ userId: owner.id });
    const { logs } = await startWorker(env);

    await env.sendTick({ id: schedule.id, userId: other.id }, '2027-03-01T06:00:00Z');
    await waitFor('the tick to be skipped', () =>
      logs.records.find((record) => record.scheduleId === schedule.id && record.msg === 'skipping scheduled export'),
    );
    await allAcknowledged(env);

    expect(logs.find({ scheduleId: schedule.id, skipReason: 'schedule_user_mismatch', level: 40 })).toHaveLength(1);
    expect((await env.jobs.listForUser(owner.id, { limit: 10 })).jobs).toHaveLength(0);
    expect((await env.jobs.listForUser(other.id, { limit: 10 })).jobs).toHaveLength(0);
    expect(await env.emailsTo(owner.email)).toHaveLength(0);
    expect(await env.emailsTo(other.email)).toHaveLength(0);
  });

  it('finishes a tick whose job an earlier delivery created, even when the schedule was paused since', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    const schedule = await env.schedules.create({ userId: user.id });
    const scheduledTime = '2027-04-01T06:00:00Z';
    const jobId = scheduledJobId(schedule.id, scheduledTime);
    // An earlier delivery created the job, then its worker failed in passing; the user paused meanwhile.
    await env.jobs.create({
      userId: user.id,
      trigger: 'schedule',
      jobId,
      scheduleId: schedule.id,
      scheduledAt: new Date(scheduledTime).toISOString(),
      skipActiveGuard: true,
    });
    await env.schedules.update({ id: schedule.id, userId: user.id, expectedVersion: 1, changes: { state: 'paused' } });
    await startWorker(env);

    await env.sendTick(schedule, scheduledTime);

    expect(await env.waitForJob(jobId, (j) => isFinal(j.state))).toMatchObject({ state: 'succeeded' });
    expect(await env.waitForEmails(user.email, 1, jobId)).toHaveLength(1);
  });
});

describe('scheduled messages the worker cannot read', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('end in the dead-letter queue with their reason, creating no job', async () => {
    const user = await env.createUser();
    const schedule = await env.schedules.create({ userId: user.id });
    const { logs } = await startWorker(env);
    const tick = { type: 'export.scheduled', version: 1, scheduleId: schedule.id, userId: user.id, scheduledTime: '2027-05-01T06:00:00Z' };
    const bodies = {
      // The Scheduler did not fill in the template.
      invalid_field: JSON.stringify({ ...tick, scheduledTime: '<aws.scheduler.scheduled-time>' }),
      unsupported_version: JSON.stringify({ ...tick, version: 2 }),
      malformed_json: '{"type":"export.scheduled","version":1,',
    };
    for (const body of Object.values(bodies)) await env.send(body);

    const byReason = await env.drainDeadLettersByReason(3);
    for (const [reason, body] of Object.entries(bodies)) {
      expect(byReason[reason]?.Body).toBe(body);
      expect(logs.find({ reasonCode: reason, level: 50 }).some((record) => typeof record.messageId === 'string')).toBe(true);
    }
    expect(byReason.invalid_field?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toContain('scheduledTime');
    expect((await env.jobs.listForUser(user.id, { limit: 10 })).jobs).toHaveLength(0);
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });
});
