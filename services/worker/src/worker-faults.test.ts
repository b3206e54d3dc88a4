/**
 * The worker under faults of its dependencies, injected through TCP proxies
 * between the real worker (createWorker, real SDK clients and pg pool) and
 * the real emulators: DynamoDB unreachable at the worst moments, SES losing
 * its answer, and dependencies that accept connections but never answer.
 * What is checked is what a user would notice: every job ends final, with
 * exactly one email where that can be known, never emailed and failed.
 */
import { isFinal, type ExportJob } from '@memberships/core/contract';
import { seedMemberships, waitFor } from '@memberships/local-platform';
import { DEAD_LETTER_ATTRIBUTES } from './message-actions';
import { inProcessWorkers } from './testing/in-process-workers';
import type { CapturedLogs, LogRecord } from './testing/log-capture';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(180_000);

const proxies: TcpProxy[] = [];

/** Short timings so that leases, retries and timeouts play out within a test. */
const FAST = {
  RECEIVE_WAIT_SECONDS: '1',
  HEARTBEAT_INTERVAL_SECONDS: '2',
  RETRY_BASE_DELAY_SECONDS: '1',
  RETRY_MAX_DELAY_SECONDS: '8',
  AWS_REQUEST_TIMEOUT_SECONDS: '6',
  AWS_CONNECT_TIMEOUT_SECONDS: '2',
};

const startWorker = inProcessWorkers({
  defaults: FAST,
  // Proxies first: a call still held by a hung proxy then fails, and the worker can stop.
  beforeStop: () => Promise.all(proxies.splice(0).map((proxy) => proxy.close())),
});

/** A proxy in front of the emulator at `endpoint`; returns it and the endpoint URL through it. */
async function proxyFor(endpoint: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(endpoint);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  proxies.push(proxy);
  const via = new URL(endpoint);
  via.host = `127.0.0.1:${proxy.port}`;
  return { proxy, url: via.toString().replace(/\/$/, '') };
}

const finalJob = (env: WorkerTestEnvironment, jobId: string, timeoutMs = 90_000) =>
  env.waitForJob(jobId, (job) => isFinal(job.state), timeoutMs);

/** Lets the worker run on after the job is final, so a late second email would have arrived. */
const settle = (ms = 3000) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DynamoDB unreachable while exports run', () => {
  // Lease = 10 s − 2 s heartbeat = 8 s. The redrive policy leaves room above MAX_ATTEMPTS.
  const env = WorkerTestEnvironment.forSuite({ visibilityTimeoutSeconds: 10, maxReceiveCount: 12 });

  it('a job whose completion and release failed is taken over by its retry once the lease runs out, not stranded running', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 200);
    const { proxy, url } = await proxyFor(env.aws.endpoints.dynamodb!);
    let cut = false;
    // The file is stored, then DynamoDB goes away for 2 s: confirming the lease and releasing the job fail.
    const { logs } = await startWorker(env, { AWS_ENDPOINT_URL_DYNAMODB: url, MAX_ATTEMPTS: '8' }, (record) => {
      if (!cut && record.msg === 'export file stored') {
        cut = true;
        proxy.down();
        setTimeout(() => proxy.up(), 2000);
      }
    });

    const { job } = await env.requestExport(user.id);
    const done = await finalJob(env, job.id, 60_000);
    await settle();

    expect(done).toMatchObject({ state: 'succeeded' });
    expect(await env.emailsTo(user.email, job.id)).toHaveLength(1);
    // The log never claims a release that did not happen.
    const failedAttempt = logs.find({ jobId: job.id, msg: 'could not release the job after a failure; its lease will run out' });
    expect(failedAttempt).toHaveLength(1);
    expect(logs.find({ jobId: job.id, attempt: 1, msg: 'export attempt failed; job released, retry scheduled' })).toHaveLength(0);
  });

  it('records a job whose email went out while DynamoDB was unreachable, without a second email', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 200);
    const ddb = await proxyFor(env.aws.endpoints.dynamodb!);
    const ses = await proxyFor(env.aws.endpoints.ses!);
    await startWorker(env, { AWS_ENDPOINT_URL_DYNAMODB: ddb.url, AWS_ENDPOINT_URL_SESV2: ses.url, MAX_ATTEMPTS: '8' });
    // The moment SES answers the SendEmail, DynamoDB goes away for 3 s: the completion cannot be written.
    void ses.proxy.afterServerBytes(1).then(() => {
      ddb.proxy.down();
      setTimeout(() => ddb.proxy.up(), 3000);
    });

    const { job } = await env.requestExport(user.id);
    const done = await finalJob(env, job.id, 60_000);
    await settle();

    expect(done).toMatchObject({ state: 'succeeded', delivery: { method: 'attachment' } });
    expect(done.delivery?.confirmed).toBeUndefined();
    expect(await env.emailsTo(user.email, job.id)).toHaveLength(1);
  });
});

describe('a 20 s DynamoDB outage', () => {
  // Lease = 30 s − 2 s = 28 s: longer than the outage, as in production (60 s − 10 s), so retries
  // arrive while the failed attempts' leases still run.
  const env = WorkerTestEnvironment.forSuite({ visibilityTimeoutSeconds: 30, maxReceiveCount: 12 });

  it('a 20 s outage during many exports on several workers ends with every job final and exactly one email each', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => env.createUser()));
    for (const user of users) await seedMemberships(env.database.url, user.id, 20_000);
    const { proxy, url } = await proxyFor(env.aws.endpoints.dynamodb!);
    let cut = false;
    const onRecord = (record: LogRecord) => {
      // Starts when the first file is stored: other exports are mid-stream, mid-email or waiting.
      if (!cut && record.msg === 'export file stored') {
        cut = true;
        proxy.down();
        setTimeout(() => proxy.up(), 20_000);
      }
    };
    // Retries after 3, 6 and 12 s: the third lands just after the outage, while the leases still run.
    const settings = { AWS_ENDPOINT_URL_DYNAMODB: url, MAX_ATTEMPTS: '10', RETRY_BASE_DELAY_SECONDS: '3', RETRY_MAX_DELAY_SECONDS: '12' };
    for (let i = 0; i < 3; i += 1) await startWorker(env, settings, onRecord);

    const jobs: ExportJob[] = [];
    for (const user of users) jobs.push((await env.requestExport(user.id)).job);
    const done = await Promise.all(jobs.map((job) => finalJob(env, job.id, 150_000)));
    await settle();

    expect(cut).toBe(true);
    expect(done.map((job) => job.state)).toEqual(jobs.map(() => 'succeeded'));
    for (const [i, user] of users.entries()) expect(await env.emailsTo(user.email, jobs[i]!.id)).toHaveLength(1);
  });
});

describe('SES losing its answer', () => {
  const env = WorkerTestEnvironment.forSuite({ visibilityTimeoutSeconds: 10, maxReceiveCount: 6 });

  it('a job emailed before SES became unreachable is not marked failed after the last attempt', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const ses = await proxyFor(env.aws.endpoints.ses!);
    // SES accepts the email; the connection is cut as its answer starts, and SES stays unreachable.
    const lost = ses.proxy.downAfterServerBytes(1);
    await startWorker(env, { AWS_ENDPOINT_URL_SESV2: ses.url, MAX_ATTEMPTS: '3' });

    const { job } = await env.requestExport(user.id);
    await lost;
    const done = await finalJob(env, job.id);
    await settle();

    expect(await env.emailsTo(user.email, job.id)).toHaveLength(1);
    expect(done).toMatchObject({ state: 'succeeded', delivery: { method: 'attachment', confirmed: false } });
    expect(done.error).toBeUndefined();
  });

  it('an answer lost once does not make a second email', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const ses = await proxyFor(env.aws.endpoints.ses!);
    // The first answer is cut off; SES is reachable again right after.
    void ses.proxy.downAfterServerBytes(1).then(() => ses.proxy.up());
    await startWorker(env, { AWS_ENDPOINT_URL_SESV2: ses.url, MAX_ATTEMPTS: '3' });

    const { job } = await env.requestExport(user.id);
    const done = await finalJob(env, job.id);
    await settle();

    expect(await env.emailsTo(user.email, job.id)).toHaveLength(1);
    expect(done).toMatchObject({ state: 'succeeded', delivery: { confirmed: false }, emailAttempt: { sends: 1 } });
  });
});

describe('dependencies that accept connections and never answer', () => {
  const env = WorkerTestEnvironment.forSuite({ visibilityTimeoutSeconds: 10, maxReceiveCount: 10 });

  /** Waits for a failed attempt with `failureCode` on `jobId`, then ends the hang. */
  async function untilFailedWith(logs: CapturedLogs, jobId: string, failureCode: string, proxy: TcpProxy): Promise<void> {
    await waitFor(
      `an attempt failing with ${failureCode}`,
      () => logs.records.find((record) => record.jobId === jobId && record.failureCode === failureCode),
      { timeoutMs: 60_000 },
    );
    proxy.up();
  }

  it('DynamoDB: the call times out and the export is retried', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const { proxy, url } = await proxyFor(env.aws.endpoints.dynamodb!);
    proxy.hang();
    const { logs } = await startWorker(env, { AWS_ENDPOINT_URL_DYNAMODB: url, MAX_ATTEMPTS: '8' });

    const { job } = await env.requestExport(user.id);
    await untilFailedWith(logs, job.id, 'jobs_unavailable', proxy);
    const done = await finalJob(env, job.id);

    expect(done.state).toBe('succeeded');
    expect(await env.waitForEmails(user.email, 1, job.id)).toHaveLength(1);
  });

  it('SES: the send times out, and with one repeat allowed the export is emailed once SES answers again', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const { proxy, url } = await proxyFor(env.aws.endpoints.ses!);
    proxy.hang();
    const { logs } = await startWorker(env, { AWS_ENDPOINT_URL_SESV2: url, MAX_ATTEMPTS: '8', EMAIL_MAX_SENDS: '2' });

    const { job } = await env.requestExport(user.id);
    await untilFailedWith(logs, job.id, 'email_unavailable', proxy);
    const done = await finalJob(env, job.id);
    await settle();

    expect(done).toMatchObject({ state: 'succeeded', emailAttempt: { state: 'sent', sends: 2 } });
    expect(await env.emailsTo(user.email, job.id)).toHaveLength(1);
  });

  it('PostgreSQL: an export stuck mid-COPY is abandoned and retried instead of being kept alive by heartbeats', async () => {
    const user = await env.createUser();
    const seeded = await seedMemberships(env.database.url, user.id, 20_000);
    const target = new URL(env.database.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxies.push(proxy);
    const viaProxy = new URL(env.database.roles.worker.url); // the worker logs in as its role
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const { logs } = await startWorker(env, { DATABASE_URL: viaProxy.toString(), MAX_ATTEMPTS: '8', EXPORT_STALL_TIMEOUT_SECONDS: '3' });
    // PostgreSQL stops answering once 256 KiB of the COPY have streamed.
    const stuck = proxy.hangAfterServerBytes(256 * 1024);

    const { job } = await env.requestExport(user.id);
    await stuck;
    await untilFailedWith(logs, job.id, 'export_stalled', proxy);
    const done = await finalJob(env, job.id);

    expect(done).toMatchObject({ state: 'succeeded', file: { rows: seeded.inserted } });
    expect(await env.waitForEmails(user.email, 1, job.id)).toHaveLength(1);
  });

  it('S3: an upload that gets no answer fails its request deadline and is retried', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 50);
    const { proxy, url } = await proxyFor(env.aws.endpoints.s3!);
    proxy.hang();
    const { logs } = await startWorker(env, { AWS_ENDPOINT_URL_S3: url, MAX_ATTEMPTS: '8', EXPORT_STALL_TIMEOUT_SECONDS: '120' });

    const { job } = await env.requestExport(user.id);
    await untilFailedWith(logs, job.id, 'storage_unavailable', proxy);
    const done = await finalJob(env, job.id);

    expect(done.state).toBe('succeeded');
    expect(await env.waitForEmails(user.email, 1, job.id)).toHaveLength(1);
  });
});

describe('the last attempt', () => {
  const env = WorkerTestEnvironment.forSuite({ maxReceiveCount: 3 });

  it('the worker moves the message to the dead-letter queue itself, with why, when and which job', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 10);
    const target = new URL(env.database.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    proxies.push(proxy);
    proxy.down();
    const viaProxy = new URL(env.database.roles.worker.url); // the worker logs in as its role
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    await startWorker(env, { DATABASE_URL: viaProxy.toString(), MAX_ATTEMPTS: '3', RETRY_BASE_DELAY_SECONDS: '0' });

    const { job, body } = await env.requestExport(user.id);
    const done = await finalJob(env, job.id);
    const [dead] = await env.drainDeadLetters(1);

    expect(done).toMatchObject({ state: 'failed', attempts: 3, error: { code: 'database_unavailable' } });
    expect(dead!.Body).toBe(body);
    const attribute = (name: string) => dead!.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.reasonCode)).toBe('database_unavailable');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.reason)).toBeTruthy();
    expect(attribute(DEAD_LETTER_ATTRIBUTES.jobId)).toBe(job.id);
    expect(attribute(DEAD_LETTER_ATTRIBUTES.attempts)).toBe('3');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.receiveCount)).toBe('3');
    // Deleted from the source queue, not left for the redrive policy.
    await waitFor('the export queue to be empty', async () => ((await env.queueDepths()).exportQueue === 0 ? true : undefined));
    // No export email: the one email is the failure notice.
    const [notice] = await env.waitForEmails(user.email, 1, job.id);
    expect(notice!.subject).toMatch(/^Your memberships export of \d{1,2} [A-Z][a-z]+ \d{4} did not complete$/);
    expect(notice!.attachments).toHaveLength(0);
    await settle();
    expect(await env.emailsTo(user.email)).toHaveLength(1);
  });
});
