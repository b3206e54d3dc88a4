/**
 * The signed links of the export emails, end to end through the worker
 * in-process against the real emulators: what lands in the SES stand-in's
 * mailbox (and, for the headers it does not keep from a raw message, what
 * the worker sent it), and whether the tokens in it verify with the keys of
 * the environment's own link signing secret. Also what the user gets when
 * emailed links are off, and what happens when the key cannot be read.
 */
import { createServer, request as httpRequest } from 'node:http';
import path from 'node:path';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOptions } from '@memberships/core/config';
import { isFinal, PAUSE_LINK_DAYS, scheduledJobId, verifyLink, type LinkKeyring, type LinkPurpose } from '@memberships/core/contract';
import { LinkKeySource, UserStore } from '@memberships/core/dynamodb';
import { seedMemberships, spawnService, type SesEmail, waitFor } from '@memberships/local-platform';
import { simpleParser, type ParsedMail } from 'mailparser';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { startTcpProxy, type TcpProxy } from './testing/tcp-proxy';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const MAIN = path.resolve(__dirname, '..', 'dist', 'main.js');
const DAY_MS = 86_400_000;
/** Where the links must point; given with a trailing slash, which the worker drops. */
const PUBLIC_API_URL = 'https://api.memberships.test';
/** A retention other than the default, so the token's expiry shows it follows FILE_RETENTION_DAYS. */
const RETENTION_DAYS = 3;
/** Over the limit: 2,000 rows are about 300 KB. */
const LINK_SETTINGS = { ATTACHMENT_LIMIT_BYTES: '4096', FILE_RETENTION_DAYS: String(RETENTION_DAYS), PUBLIC_API_URL: `${PUBLIC_API_URL}/` };

const proxies: TcpProxy[] = [];
const closers: Array<() => Promise<void>> = [];
const startWorker = inProcessWorkers({
  defaults: SHORT_WAITS,
  beforeStop: async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await Promise.all(closers.splice(0).map((close) => close()));
  },
});

/** The addresses in a text part. */
const urlsIn = (text: string | undefined) => [...(text ?? '').matchAll(/https?:\/\/[^\s<>"]+/g)].map(([url]) => url);

/** The keys of the environment's link signing secret, read as the services read them. */
async function keyringOf(env: WorkerTestEnvironment): Promise<LinkKeyring> {
  const client = new SecretsManagerClient(clientOptions(env.aws, 'secretsManager'));
  try {
    return await new LinkKeySource({ client, secretId: env.linkSigningSecretArn }).keyring();
  } finally {
    client.destroy();
  }
}

/** The token of `url`, checked for `purpose` on `subject` with the environment's keys, as of now. */
async function verified(env: WorkerTestEnvironment, url: string, purpose: LinkPurpose, subject: string) {
  const token = new URL(url).searchParams.get('token');
  expect(token).toBeTruthy();
  const keyring = await keyringOf(env);
  // The longest either kind lives (its own lifetime is asserted by the caller).
  const maxLifetimeSeconds = PAUSE_LINK_DAYS * 86_400;
  const check = verifyLink(token!, { purpose, subject, maxLifetimeSeconds }, keyring, new Date());
  if (!check.valid) throw new Error(`the ${purpose} token of ${url} does not verify: ${check.reason}`);
  // Bound to its subject: the same token names nothing else.
  expect(verifyLink(token!, { purpose, subject: `${subject}-other`, maxLifetimeSeconds }, keyring, new Date())).toEqual({
    valid: false,
    reason: 'other_link',
  });
  return check.link;
}

/**
 * A loopback forwarder in front of the SES stand-in that keeps the raw MIME
 * of every SendEmail: the stand-in stores a raw message's subject, parts
 * and attachments, but not its headers.
 */
async function recordRawEmails(upstream: string): Promise<{ endpoint: string; sent: ParsedMail[] }> {
  const target = new URL(upstream);
  const sent: ParsedMail[] = [];
  const server = createServer((incoming, answer) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (incoming.method === 'POST' && incoming.url?.startsWith('/v2/email/outbound-emails')) {
        const data = (JSON.parse(body.toString('utf8')) as { Content?: { Raw?: { Data?: string } } }).Content?.Raw?.Data;
        if (data) sent.push(await simpleParser(Buffer.from(data, 'base64')));
      }
      const outgoing = httpRequest(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (response) => {
          answer.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(answer);
        },
      );
      outgoing.on('error', () => answer.destroy());
      outgoing.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { endpoint: `http://127.0.0.1:${address.port}`, sent };
}

/** A header of a parsed message, unfolded, or undefined. */
function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((candidate) => candidate.key === name.toLowerCase())?.line;
  return line
    ?.slice(line.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();
}

/** Nothing that looks like S3 or a presigned URL anywhere in the stored email. */
function expectNoS3(env: WorkerTestEnvironment, email: SesEmail): void {
  const whole = JSON.stringify(email);
  expect(whole).not.toMatch(/X-Amz-/i);
  expect(whole).not.toContain(env.names.buckets.exportFiles);
  expect(whole).not.toContain(new URL(env.aws.endpoints.s3!).host);
}

describe('download links in export emails', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('a file over the attachment limit is emailed as a signed API link for its job and user, valid for the file’s retention', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 2000);
    await startWorker(env, LINK_SETTINGS);

    const before = Date.now();
    const { job } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
    const after = Date.now();

    expect(done).toMatchObject({ state: 'succeeded', delivery: { method: 'link', to: user.email } });
    expect(done.file!.bytes).toBeGreaterThan(4096);
    const [email, ...more] = await env.waitForEmails(user.email, 1, job.id);
    expect(more).toEqual([]);
    expect(email!.attachments).toEqual([]);
    expectNoS3(env, email!);

    const [link, ...otherLinks] = urlsIn(email!.body.text);
    expect(otherLinks).toEqual([]);
    expect(link).toMatch(new RegExp(`^${PUBLIC_API_URL.replace(/\./g, '\\.')}/v1/exports/${job.id}/file\\?token=[A-Za-z0-9_.%-]+$`));
    expect(email!.body.html).toContain(`href="${link}"`);

    const grant = await verified(env, link!, 'download', job.id);
    expect(grant.userId).toBe(user.id);
    // Valid for FILE_RETENTION_DAYS from the send (the token counts whole seconds).
    expect(grant.expiresAt.getTime()).toBeGreaterThanOrEqual(before + RETENTION_DAYS * DAY_MS - 1000);
    expect(grant.expiresAt.getTime()).toBeLessThanOrEqual(after + RETENTION_DAYS * DAY_MS);
    // The email says the same expiry the token carries.
    expect(email!.body.text).toContain(`The link works until ${grant.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z')} (UTC)`);
  });

  it('with emailed links turned off for the account, the email has no link and names the command that downloads the file', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 2000);
    const users = new UserStore({ client: env.dynamodb, table: env.names.tables.users });
    expect(await users.setEmailedDownloadLinks(user.id, false)).toMatchObject({ emailedDownloadLinks: false });
    await startWorker(env, LINK_SETTINGS);

    const { job } = await env.requestExport(user.id);
    const done = await env.waitForJob(job.id, (j) => isFinal(j.state));

    expect(done).toMatchObject({ state: 'succeeded', delivery: { method: 'app', to: user.email } });
    const [email, ...more] = await env.waitForEmails(user.email, 1, job.id);
    expect(more).toEqual([]);
    expect(email!.attachments).toEqual([]);
    expect(urlsIn(email!.body.text)).toEqual([]);
    expect(email!.body.html).not.toMatch(/https?:|href=/);
    expect(email!.body.text).toContain(`memberships exports download ${job.id}`);
    expect(email!.body.text).toContain('download links in emails are turned off for your account');
    expectNoS3(env, email!);
  });
});

describe('the monthly export email', () => {
  const env = WorkerTestEnvironment.forSuite();

  it('says monthly and carries a signed one-click pause link, in its text and in its List-Unsubscribe headers', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 40);
    const schedule = await env.schedules.create({ userId: user.id, dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'UTC' });
    const ses = await recordRawEmails(env.aws.endpoints.ses!);
    await startWorker(env, { AWS_ENDPOINT_URL_SESV2: ses.endpoint, PUBLIC_API_URL });

    await env.sendTick(schedule, '2026-12-01T06:00:00Z');
    const jobId = scheduledJobId(schedule.id, '2026-12-01T06:00:00Z');
    const done = await env.waitForJob(jobId, (j) => isFinal(j.state));

    expect(done).toMatchObject({ state: 'succeeded', trigger: 'schedule', delivery: { method: 'attachment' } });
    const [email, ...more] = await env.waitForEmails(user.email, 1, jobId);
    expect(more).toEqual([]);
    expect(email!.subject).toMatch(/^Your monthly memberships export of \d{1,2} [A-Z][a-z]+ \d{4}: 40 memberships$/);
    expect(email!.body.text).toContain('This is your monthly export');
    expect(email!.body.text).toContain(`memberships schedule pause ${schedule.id}`);
    const [pauseUrl, ...otherLinks] = urlsIn(email!.body.text);
    expect(otherLinks).toEqual([]);
    expect(pauseUrl).toMatch(
      new RegExp(`^${PUBLIC_API_URL.replace(/\./g, '\\.')}/v1/export-schedules/${schedule.id}/pause-link\\?token=[A-Za-z0-9_.%-]+$`),
    );
    expect(email!.body.html).toContain(`href="${pauseUrl}"`);

    // The message SES was given: RFC 8058's two headers, naming the same link.
    const [raw, ...moreRaw] = ses.sent;
    expect(moreRaw).toEqual([]);
    expect(raw!.subject).toBe(email!.subject);
    expect(header(raw!, 'List-Unsubscribe')).toBe(`<${pauseUrl}>`);
    expect(header(raw!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

    const grant = await verified(env, pauseUrl!, 'pause', schedule.id);
    expect(grant.userId).toBe(user.id);
    // Past the next month's email, which brings a new link.
    expect(grant.expiresAt.getTime() - grant.issuedAt.getTime()).toBe(62 * DAY_MS);
  });

  it('an on-demand export’s email has neither the pause link nor the headers', async () => {
    const user = await env.createUser();
    await seedMemberships(env.database.url, user.id, 40);
    const ses = await recordRawEmails(env.aws.endpoints.ses!);
    await startWorker(env, { AWS_ENDPOINT_URL_SESV2: ses.endpoint });

    const { job } = await env.requestExport(user.id);
    await env.waitForJob(job.id, (j) => isFinal(j.state));

    const [email] = await env.waitForEmails(user.email, 1, job.id);
    expect(email!.subject).toMatch(/^Your memberships export of /);
    expect(email!.body.text).not.toContain('monthly');
    expect(ses.sent).toHaveLength(1);
    expect(header(ses.sent[0]!, 'List-Unsubscribe')).toBeUndefined();
    expect(header(ses.sent[0]!, 'List-Unsubscribe-Post')).toBeUndefined();
  });
});

/** The attempts of `jobId` that failed, as logged: code, kind, the stage that failed, and what followed. */
const failedAttempts = (records: readonly Record<string, unknown>[], jobId: string) =>
  records
    .filter((record) => record.jobId === jobId && record.failureCode !== undefined)
    .map((record) => ({
      failureCode: record.failureCode,
      failureKind: record.failureKind,
      stage: (record.err as { stage?: string } | undefined)?.stage,
      msg: record.msg,
    }));

describe('when the link signing key cannot be read', () => {
  // Each with a queue of its own: a killed worker process's receive still in flight must not take the other's message.
  describe('because Secrets Manager is unreachable', () => {
    const env = WorkerTestEnvironment.forSuite();

    // The built worker as a process: in jest's sandbox the SDK meets Node's network errors from another realm and wraps
    // them without their code ("AWS SDK error wrapper for TimeoutError"), so an in-process worker would see `unknown`.
    it('the attempt fails as links_unavailable before anything is sent, and the retry emails the link', async () => {
      const small = await env.createUser();
      const user = await env.createUser();
      // The warm-up's completion event is fanned out with a download link, which reads the link signing key and
      // keeps it 5 minutes: read before the outage below, the export under test would find it cached and never
      // fail. This suite's own webhook queue holds every event 15 s, so the warm-up's reaches the webhook lanes
      // only once the outage has begun (its fan-out then fails and is retried; nothing here waits for it).
      await env.sqs.send(new SetQueueAttributesCommand({ QueueUrl: env.queues.webhookQueueUrl, Attributes: { DelaySeconds: '15' } }));
      await seedMemberships(env.database.url, small.id, 5);
      await seedMemberships(env.database.url, user.id, 2000);
      const target = new URL(env.aws.endpoints.secretsManager!);
      const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      proxies.push(proxy);
      const worker = await spawnService(
        MAIN,
        env.env({
          ...SHORT_WAITS,
          ...LINK_SETTINGS,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${proxy.port}`,
          // Long enough that the test has Secrets Manager back before the retry, even on a loaded machine.
          RETRY_BASE_DELAY_SECONDS: '5',
          LOG_LEVEL: 'info',
        }),
        { name: 'worker', readyLine: (line) => line.includes('"msg":"worker started"') },
      );
      closers.push(async () => {
        if (!worker.exitStatus) await worker.kill();
      });
      // The database password comes from Secrets Manager too: an attached export first, so only the link key is left to read.
      const { job: warmUp } = await env.requestExport(small.id);
      expect(await env.waitForJob(warmUp.id, (j) => isFinal(j.state))).toMatchObject({
        state: 'succeeded',
        delivery: { method: 'attachment' },
      });
      proxy.down();

      const { job } = await env.requestExport(user.id);
      await waitFor('the first attempt to fail', () => (failedAttempts(worker.jsonLogs(), job.id).length > 0 ? true : undefined));
      expect(failedAttempts(worker.jsonLogs(), job.id)).toEqual([
        {
          failureCode: 'links_unavailable',
          failureKind: 'transient',
          stage: 'links',
          msg: 'export attempt failed; job released, retry scheduled',
        },
      ]);
      // Links are signed before the `sending` record: nothing was sent, nor recorded as being sent.
      const released = await env.waitForJob(job.id, (j) => j.state === 'queued');
      expect(released.emailAttempt).toBeUndefined();
      expect(await env.emailsTo(user.email)).toEqual([]);

      proxy.up();
      const done = await env.waitForJob(job.id, (j) => isFinal(j.state));
      expect(done).toMatchObject({ state: 'succeeded', attempts: 2, delivery: { method: 'link' }, emailAttempt: { sends: 1 } });
      const [email, ...more] = await env.waitForEmails(user.email, 1, job.id);
      expect(more).toEqual([]);
      const [link] = urlsIn(email!.body.text);
      expect((await verified(env, link!, 'download', job.id)).userId).toBe(user.id);
    });
  });

  describe('because the secret does not exist', () => {
    const env = WorkerTestEnvironment.forSuite();

    it('each attempt fails before anything is sent, then the job fails and only the failure notice is emailed', async () => {
      const user = await env.createUser();
      await seedMemberships(env.database.url, user.id, 2000);
      // Under the name the worker's role may read, so the read reaches Secrets Manager, which has no such secret.
      const missing = env.linkSigningSecretArn.replace(/-[A-Za-z0-9]{6}$/, '-Zz9Zz9');
      expect(missing).not.toBe(env.linkSigningSecretArn);
      const { logs } = await startWorker(env, {
        ...LINK_SETTINGS,
        LINK_SIGNING_SECRET_ARN: missing,
        MAX_ATTEMPTS: '2',
        RETRY_BASE_DELAY_SECONDS: '0',
      });

      const { job } = await env.requestExport(user.id);
      await waitFor('the last attempt to fail', () =>
        logs.records.find((record) => record.jobId === job.id && /failed on its last attempt/.test(record.msg)),
      );

      // A secret without a value is an operator's fix: retried as `unknown` (a deployment may be writing it just
      // now), under the code that says what failed.
      expect(failedAttempts(logs.records, job.id)).toEqual([
        {
          failureCode: 'links_unavailable',
          failureKind: 'unknown',
          stage: 'links',
          msg: 'export attempt failed; job released, retry scheduled',
        },
        {
          failureCode: 'links_unavailable',
          failureKind: 'unknown',
          stage: 'links',
          msg: 'export failed on its last attempt; job failed, message sent to the dead-letter queue',
        },
      ]);
      const done = await env.jobs.get(job.id);
      expect(done).toMatchObject({ state: 'failed', attempts: 2, error: { code: 'links_unavailable' } });
      expect(done!.emailAttempt).toBeUndefined();
      expect(done!.delivery).toBeUndefined();
      // The only email is the failure notice.
      const [notice, ...more] = await env.waitForEmails(user.email, 1, job.id);
      expect(more).toEqual([]);
      expect(notice!.subject).toMatch(/did not complete$/);
      expect(urlsIn(notice!.body.text)).toEqual([]);
    });
  });
});
