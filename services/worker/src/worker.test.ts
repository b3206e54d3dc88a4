/**
 * The worker in-process (createWorker: sqs-consumer + handler + adapters)
 * against the real emulators (SQS + S3 in fauxqs, SES in aws-ses-v2-local,
 * DynamoDB Local) and a real PostgreSQL database. Requests are made the way
 * the API makes them; outcomes are checked the way a user would notice them:
 * the email, the file, the job record, the dead-letter queue.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { contentDisposition, isFinal } from '@memberships/core/contract';
import { csvObjects, expectedRecord, readMemberships, seedMemberships, TRICKY_MEMBERSHIPS, waitFor } from '@memberships/local-platform';
import { CSV_CONTENT_TYPE } from './csv-export';
import { DEAD_LETTER_ATTRIBUTES } from './message-actions';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { sha256, WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

/** "1 December 2026": the day of `iso` in UTC, en-GB long form. */
const longDate = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

describe('export worker', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('emails the CSV as an attachment that holds exactly the user’s memberships, and records the file facts', async () => {
    const user = await env.createUser();
    const other = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 500, { tricky: true });
    await seedMemberships(env.database.url, other.id, 50);
    await startWorker(env);

    const { job } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));

    expect(done).toMatchObject({
      state: 'succeeded',
      attempts: 1,
      progress: { rowsExported: seeded.inserted, rowsTotal: seeded.inserted },
    });
    const [email, ...more] = await env.waitForEmails(user.email, 1);
    expect(more).toHaveLength(0);
    // The day it was requested (UTC, as a person writes it) and what it holds.
    expect(email!.subject).toBe(
      `Your memberships export of ${longDate(job.createdAt)}: ${seeded.inserted.toLocaleString('en-GB')} memberships`,
    );
    expect(email!.from).toContain('exports@memberships.test');
    expect(email!.attachments).toHaveLength(1);
    const attachment = email!.attachments[0]!;
    // Named after the day the export was requested and its id, as the API's download names it.
    const fileName = `memberships-${job.createdAt.slice(0, 10)}-${job.id}.csv`;
    expect(attachment.filename).toBe(fileName);
    expect(attachment.contentType).toMatch(/^text\/csv/);

    // Every row of this user, in id order, each value as stored (formulas neutralised), none of the other user's.
    const csv = Buffer.from(attachment.content, 'base64');
    const records = csvObjects(csv.toString('utf8'));
    const stored = await readMemberships(env.database.url, user.id);
    expect(records).toHaveLength(seeded.inserted);
    expect(records).toEqual(stored.map(expectedRecord));
    const multiline = records.find((record) => record.id === seeded.tricky[2]!.id)!;
    expect(multiline.club_name).toBe(TRICKY_MEMBERSHIPS[2]!.clubName); // 'Line\nBreak Rowing'
    const formula = records.find((record) => record.id === seeded.tricky[5]!.id)!;
    expect(formula.club_name).toBe(`'${TRICKY_MEMBERSHIPS[5]!.clubName}`);

    // The job's file facts describe the stored object, which is the attached file.
    const object = await env.getObject(done.file!.key);
    expect(done.file).toEqual({
      key: `exports/${user.id}/${job.id}.csv`,
      rows: seeded.inserted,
      bytes: object.body.length,
      sha256: sha256(object.body),
      contentType: CSV_CONTENT_TYPE,
    });
    expect(object.body.equals(csv)).toBe(true);
    expect(object.contentType).toBe(CSV_CONTENT_TYPE);
    expect(object.contentDisposition).toBe(contentDisposition(fileName));
    expect(done.delivery).toMatchObject({ method: 'attachment', to: user.email });
  });

  it('sends a download link to the API instead when the file is over the attachment limit, and stores the file it names', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 2000, { tricky: true });
    await startWorker(env, { ATTACHMENT_LIMIT_BYTES: '4096' });

    const { job } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));

    expect(done.state).toBe('succeeded');
    expect(done.file!.bytes).toBeGreaterThan(4096);
    expect(done.delivery).toMatchObject({ method: 'link', to: user.email });
    const [email] = await env.waitForEmails(user.email, 1);
    expect(email!.attachments).toHaveLength(0);
    const link = /https?:\/\/\S+/.exec(email!.body.text ?? '')?.[0];
    expect(link).toBeDefined();
    expect(email!.body.html).toContain('href=');
    // The API's link (clicking it is the e2e suite's email-links.test.ts: no API runs beside this worker).
    expect(new URL(link!).pathname).toBe(`/v1/exports/${job.id}/file`);

    // The file the link hands out is the one stored.
    const stored = await env.s3.send(new GetObjectCommand({ Bucket: env.names.buckets.exportFiles, Key: done.file!.key }));
    const downloaded = Buffer.from(await stored.Body!.transformToByteArray());
    expect(sha256(downloaded)).toBe(done.file!.sha256);
    expect(csvObjects(downloaded.toString('utf8'))).toHaveLength(seeded.inserted);
  });

  it('sends one email when the same message is delivered twice', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 200);
    const { worker, logs } = await startWorker(env);
    expect(worker).toBeDefined();

    const { job, body } = await env.requestExport(user.id);
    await env.send(body); // the duplicate SQS may deliver
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    // Both copies were handled: one ran the export, the other was acknowledged as a duplicate.
    await waitFor('the duplicate to be acknowledged', () =>
      logs.records.find((record) => record.jobId === job.id && /duplicate message acknowledged/.test(record.msg)),
    );

    expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
    expect(await env.emailsTo(user.email)).toHaveLength(1);
  });

  it('abandons an export whose job another worker took over, without emailing', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 200_000);
    const { logs } = await startWorker(env);

    const { job } = await env.requestExport(user.id);
    await env.waitForJob(job.id, (j) => j.state === 'running');
    // What another worker's claim does once it believes this worker's lease ran out.
    await env.dynamodb.send(
      new UpdateItemCommand({
        TableName: env.names.tables.exportJobs,
        Key: { id: { S: job.id } },
        UpdateExpression: 'SET leaseOwner = :other',
        ConditionExpression: '#state = :running',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':other': { S: 'other-worker' }, ':running': { S: 'running' } },
      }),
    );
    await waitFor('the export to be abandoned', () =>
      logs.records.find((record) => record.jobId === job.id && record.msg === 'lost the job to another worker; export abandoned'),
    );

    // The job is the other worker's to finish; this one sent nothing and wrote nothing to it.
    expect(await env.jobs.get(job.id)).toMatchObject({ state: 'running', attempts: 1 });
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });

  it('fails the job and dead-letters the message when the user no longer exists', async () => {
    const ghost = '5f0c1a4e-0000-4000-8000-00000000dead';
    const { worker, logs } = await startWorker(env);
    expect(worker).toBeDefined();

    const { job, body } = await env.requestExport(ghost);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', error: { code: 'user_not_found' } });
    expect(dead!.Body).toBe(body);
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('user_not_found');
    expect(logs.find({ jobId: job.id, failureCode: 'user_not_found', level: 50 })).not.toHaveLength(0);
    // Nobody to tell: the notice is skipped, with a stable code, and the failure handled as without it.
    expect(logs.find({ jobId: job.id, noticeCode: 'failure_notice_user_not_found' })).toHaveLength(1);
  });
});

describe('messages the worker cannot act on', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('unreadable ones end in the dead-letter queue with their reason, and fail the job they name', async () => {
    const { logs } = await startWorker(env);
    const user = await env.createUser();
    const other = await env.createUser();
    const { job: unknownTypeJob } = await env.jobs.create({ userId: user.id, trigger: 'api' });
    const { job: version3Job } = await env.jobs.create({ userId: other.id, trigger: 'api' });
    const requestedAt = new Date().toISOString();
    const bodies = {
      malformed_json: '{"type":"export.requested","version":1,',
      unknown_type: JSON.stringify({
        type: 'export.cancelled',
        version: 1,
        jobId: unknownTypeJob.id,
        userId: user.id,
        trigger: 'api',
        requestedAt,
      }),
      unsupported_version: JSON.stringify({
        type: 'export.requested',
        version: 3,
        jobId: version3Job.id,
        userId: other.id,
        trigger: 'api',
        requestedAt,
      }),
    };
    for (const body of Object.values(bodies)) await env.send(body);

    const byReason = await env.drainDeadLettersByReason(3);
    for (const [reason, body] of Object.entries(bodies)) {
      expect(byReason[reason]?.Body).toBe(body);
      expect(byReason[reason]?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue).toBeTruthy();
      // Logged as an error with the reason code and the message id.
      expect(logs.find({ reasonCode: reason, level: 50 }).some((record) => typeof record.messageId === 'string')).toBe(true);
    }
    expect(await env.jobs.get(unknownTypeJob.id)).toMatchObject({ state: 'failed', error: { code: 'unknown_type' } });
    expect(await env.jobs.get(version3Job.id)).toMatchObject({ state: 'failed', error: { code: 'unsupported_version' } });
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });

  it('dead-letter a request for a job that does not exist', async () => {
    const { logs } = await startWorker(env);
    const body = JSON.stringify({
      type: 'export.requested',
      version: 1,
      jobId: 'no-such-job',
      userId: '0b7e7c2a-1d1f-4c37-9a43-3f4be1b0c0de',
      trigger: 'api',
      requestedAt: new Date().toISOString(),
    });
    await env.send(body);

    const [dead] = await env.drainDeadLetters(1);
    expect(dead!.Body).toBe(body);
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('job_not_found');
    expect(logs.find({ jobId: 'no-such-job', reasonCode: 'job_not_found', level: 50 })).toHaveLength(1);
  });

  it('never export one user’s data on a message naming another user’s job', async () => {
    const owner = await env.createUser();
    const intruder = await env.createUser();
    await seedMemberships(env.database.url, owner.id, 10);
    await startWorker(env);
    const { job } = await env.jobs.create({ userId: owner.id, trigger: 'api' });

    await env.send(
      JSON.stringify({
        type: 'export.requested',
        version: 1,
        jobId: job.id,
        userId: intruder.id,
        trigger: 'api',
        requestedAt: job.createdAt,
      }),
    );
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', error: { code: 'job_user_mismatch' } });
    expect(dead!.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reasonCode]?.StringValue).toBe('job_user_mismatch');
    // The owner learns their export failed (no data in it); the intruder gets nothing.
    const [notice, ...more] = await env.waitForEmails(owner.email, 1, job.id);
    expect(more).toHaveLength(0);
    expect(notice!.subject).toBe(`Your memberships export of ${longDate(job.createdAt)} did not complete`);
    expect(notice!.attachments).toHaveLength(0);
    expect(await env.emailsTo(owner.email)).toHaveLength(1);
    expect(await env.emailsTo(intruder.email)).toHaveLength(0);
  });

  it('acknowledge a copy of a message whose job another live worker is running, without touching the job', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    const { logs } = await startWorker(env);
    const { job } = await env.jobs.create({ userId: user.id, trigger: 'api' });
    // Another worker holds it, with a lease that is still running.
    await env.jobs.claim(job.id, 'other-worker', 60_000);
    const body = JSON.stringify({
      type: 'export.requested',
      version: 1,
      jobId: job.id,
      userId: user.id,
      trigger: 'api',
      requestedAt: job.createdAt,
    });

    await env.send(body);
    await waitFor('the copy to be acknowledged', () =>
      logs.records.find((record) => record.jobId === job.id && /another worker; duplicate message acknowledged/.test(record.msg)),
    );

    expect(await env.jobs.get(job.id)).toMatchObject({ state: 'running', attempts: 1 });
    expect(await env.emailsTo(user.email)).toHaveLength(0);
  });
});

describe('PostgreSQL outages', () => {
  let env: WorkerTestEnvironment;
  let proxy: TcpProxy;
  let proxiedUrl: string;

  beforeAll(async () => {
    env = await WorkerTestEnvironment.create({ maxReceiveCount: 3 });
    const target = new URL(env.database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(env.database.roles.worker.url); // the worker logs in as its role
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    proxiedUrl = viaProxy.toString();
  });

  afterAll(async () => {
    await proxy?.close();
    await env?.close();
  });

  it('retries an export cut off mid-stream and succeeds once the database is back', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 100_000, { tricky: true });
    const { logs } = await startWorker(env, { DATABASE_URL: proxiedUrl, MAX_ATTEMPTS: '3' });
    proxy.up();
    // Cut every connection once 1 MiB of the (~18 MB) file has streamed: the worker is mid-COPY.
    const cut = proxy.downAfterServerBytes(1024 * 1024);

    const { job } = await env.requestExport(user.id);
    await cut;
    // Attempt 1 broke off; attempt 2 (1 s later) finds the database still down. Then it comes back.
    await env.waitForJob(job.id, (j) => j.state === 'queued' && j.attempts >= 2);
    proxy.up();
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));

    expect(done).toMatchObject({ state: 'succeeded', attempts: 3, file: { rows: seeded.inserted } });
    const object = await env.getObject(done.file!.key);
    expect(sha256(object.body)).toBe(done.file!.sha256);
    expect(await env.waitForEmails(user.email, 1)).toHaveLength(1);
    const retries = logs.find({
      jobId: job.id,
      failureCode: 'database_unavailable',
      msg: 'export attempt failed; job released, retry scheduled',
    });
    expect(retries.length).toBe(2);
  });

  it('fails the job after the last attempt and leaves the message to the dead-letter queue', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    proxy.down();
    const { logs } = await startWorker(env, { DATABASE_URL: proxiedUrl, MAX_ATTEMPTS: '3', RETRY_BASE_DELAY_SECONDS: '0' });

    const { job, body } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    // SQS's redrive policy (maxReceiveCount 3) moves it on the next receive.
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', attempts: 3, error: { code: 'database_unavailable' } });
    expect(done.error!.message).toBe('The membership database was unavailable. The export was tried 3 times.');
    expect(dead!.Body).toBe(body);
    // No export email; one failure notice, which says a later try makes sense.
    const [notice, ...more] = await env.waitForEmails(user.email, 1, job.id);
    expect(more).toHaveLength(0);
    expect(notice!.subject).toBe(`Your memberships export of ${longDate(job.createdAt)} did not complete`);
    expect(notice!.attachments).toHaveLength(0);
    expect(notice!.body.text).toContain('did not complete: the membership database could not be reached.');
    expect(notice!.body.text).toContain('Please try again later');
    expect(notice!.body.text).toContain(`Export job: ${job.id}`);
    expect(notice!.body.text).not.toMatch(/Error|at \S+:\d+|127\.0\.0\.1|ECONN/);
    expect(await env.emailsTo(user.email)).toHaveLength(1);
    expect(
      logs.find({ jobId: job.id, msg: 'export failed on its last attempt; job failed, message sent to the dead-letter queue' }),
    ).toHaveLength(1);
    expect(logs.find({ jobId: job.id, noticeCode: 'failure_notice_sent' })).toHaveLength(1);
    proxy.up();
  });
});
