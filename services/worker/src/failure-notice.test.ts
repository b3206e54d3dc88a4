/**
 * The failure notice through the worker in-process, against the real
 * emulators and a real PostgreSQL database: an export that fails for good
 * sends its owner exactly one email, a duplicate delivery never a second,
 * and a notice that cannot be sent leaves the failure handled as before.
 * (Retries exhausted → one notice: worker.test.ts, "PostgreSQL outages";
 * worker-faults.test.ts, "the last attempt".)
 */
import { randomUUID } from 'node:crypto';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isFinal, scheduledJobId } from '@memberships/core/contract';
import { acknowledgeIamDenials, seedMemberships, waitFor } from '@memberships/local-platform';
import { DEAD_LETTER_ATTRIBUTES } from './message-actions';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

/** A bucket outside the worker's policy: every upload is refused (AccessDenied), a permanent failure (storage_rejected). */
const refusingStorage = () => ({ EXPORT_BUCKET: `no-such-bucket-${randomUUID()}` });

// The refusals are meant: acknowledged, so the IAM gate's teardown check does not fail the run. Every test makes some.
afterEach(async () => {
  expect(await acknowledgeIamDenials(':::no-such-bucket-')).toBeGreaterThanOrEqual(1);
});

/** "1 December 2026": the day of `iso` in UTC, en-GB long form. */
const longDate = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** Lets the worker run on, so that a late second email would have arrived. */
const settle = (ms = 3000) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a reader of the HTML part sees: tags gone, character references decoded, whitespace collapsed. */
const htmlText = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ');

describe('failure notice', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('a permanent failure sends its owner one notice; the same message delivered again after it sends none', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 20);
    const { logs } = await startWorker(env, refusingStorage());

    const { job, body } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', error: { code: 'storage_rejected' } });
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('storage_rejected');
    const [notice] = await env.waitForEmails(user.email, 1, job.id);
    expect(notice!.subject).toBe(`Your memberships export of ${longDate(job.createdAt)} did not complete`);
    expect(notice!.attachments).toHaveLength(0);
    const sentences = [
      `your memberships export of ${longDate(job.createdAt)} did not complete: the file storage refused the export file.`,
      'Trying again is unlikely to help: please contact support and quote the export job below.',
      `Export job: ${job.id}`,
    ];
    for (const sentence of sentences) {
      expect(notice!.body.text).toContain(sentence);
      expect(htmlText(notice!.body.html ?? '')).toContain(sentence);
    }
    // Plain words only: nothing of the internal error (bucket name, exception, stack).
    expect(notice!.body.text).not.toMatch(/no-such-bucket|NoSuchBucket|AccessDenied|Exception|\bat \S+:\d+/);
    expect(notice!.body.text).not.toContain('monthly');
    // The guard is on the job record.
    expect(await env.jobs.get(job.id)).toMatchObject({ failureNotice: { at: expect.any(String), by: expect.any(String) } });

    await env.send(body); // SQS delivers it once more
    await waitFor('the duplicate to be acknowledged', () =>
      logs.records.find((record) => record.jobId === job.id && /job already finished; duplicate message acknowledged/.test(record.msg)),
    );
    await settle();
    expect(await env.emailsTo(user.email)).toHaveLength(1);
    expect(logs.find({ jobId: job.id, noticeCode: 'failure_notice_sent' })).toHaveLength(1);
  });

  it('a notice already taken on the job (another delivery sent it) is not sent again', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 20);
    const { job } = await env.jobs.create({ userId: user.id, trigger: 'api' });
    // As left by another worker that took the notice for this job.
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: env.names.tables.exportJobs,
        Key: { id: { S: job.id } },
        UpdateExpression: 'SET failureNotice = :notice',
        ExpressionAttributeValues: { ':notice': { M: { at: { S: new Date().toISOString() }, by: { S: 'other-worker' } } } },
      }),
    );
    const { logs } = await startWorker(env, refusingStorage());

    await env.send(
      JSON.stringify({ type: 'export.requested', version: 1, jobId: job.id, userId: user.id, trigger: 'api', requestedAt: job.createdAt }),
    );
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [dead] = await env.drainDeadLetters(1);
    await waitFor('the notice to be skipped', () =>
      logs.records.find((record) => record.jobId === job.id && record.noticeCode === 'failure_notice_already_taken'),
    );
    await settle();

    expect(done).toMatchObject({ state: 'failed', error: { code: 'storage_rejected' } });
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('storage_rejected');
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });

  it('an email service that refuses the notice leaves the job failed and the message dead-lettered as without it', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 20);
    // Nothing listens there: every SendEmail fails.
    const { logs } = await startWorker(env, { ...refusingStorage(), AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:9' });

    const { job, body } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', error: { code: 'storage_rejected' } });
    expect(dead!.Body).toBe(body);
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('storage_rejected');
    expect(logs.find({ jobId: job.id, noticeCode: 'failure_notice_send_failed' })).toHaveLength(1);
    expect(logs.find({ jobId: job.id, msg: 'export failed permanently; job failed, message sent to the dead-letter queue' })).toHaveLength(
      1,
    );
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });

  it('a monthly export that fails says that next month’s runs as planned', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 20);
    const schedule = await env.schedules.create({ userId: user.id, dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'Europe/Berlin' });
    await startWorker(env, refusingStorage());

    await env.sendTick(schedule, '2026-12-01T05:00:00Z');
    const jobId = scheduledJobId(schedule.id, '2026-12-01T05:00:00Z');
    const done = await env.waitForJob(jobId, (j) => isFinal(j.state));

    expect(done).toMatchObject({ state: 'failed', trigger: 'schedule', error: { code: 'storage_rejected' } });
    const [notice, ...more] = await env.waitForEmails(user.email, 1, jobId);
    expect(more).toHaveLength(0);
    expect(notice!.subject).toBe(`Your memberships export of ${longDate(done.createdAt)} did not complete`);
    expect(notice!.body.text).toContain('This was your monthly export: next month’s export will still run as planned.');
    expect(htmlText(notice!.body.html ?? '')).toContain('This was your monthly export: next month’s export will still run as planned.');
    await env.drainDeadLetters(1);
  });
});
