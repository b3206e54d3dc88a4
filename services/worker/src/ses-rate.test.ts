/**
 * The 1st-of-month peak against SES's maximum send rate: the real worker
 * (createWorker, real SDK clients and pg pool) with 8 lanes and a burst of
 * exports, on an SES stand-in that refuses what goes over 3 emails per
 * second, as SES does. What a user notices: every export arrives, exactly
 * once; and the refused sends were sent again within their attempt, not by
 * running the whole export again.
 */
import { isFinal } from '@memberships/core/contract';
import {
  isAddressedTo,
  listEmails,
  startTestIamGate,
  type RunningIamGate,
  seedMemberships,
  startSesLocal,
  type CreatedUser,
  type RunningEmulator,
} from '@memberships/local-platform';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(180_000);

// Under what 8 lanes of small exports send: at 5/s this burst was refused only twice, too few to tell
// a send retried within its attempt from an export run again; at 3/s it was refused 6 to 18 times.
const MAX_SEND_RATE = 3;
const LANES = 8;
const EXPORTS = 24;

const startWorker = inProcessWorkers({ defaults: SHORT_WAITS });

describe('SES refusing sends over the maximum send rate', () => {
  const env = WorkerTestEnvironment.forSuite();
  // A stand-in of its own: the suite-wide one is the whole jest run's, and a rate there would throttle
  // every other suite's emails. An IAM gate of the test's own in front of it, so the worker's SendEmail
  // is still held to its task role's policy, and the refusals reach it through the gate as in AWS.
  let ses: RunningEmulator;
  let gate: RunningIamGate;
  const sesLines: string[] = [];

  beforeAll(async () => {
    ses = await startSesLocal({ maxSendRate: MAX_SEND_RATE, onLine: (line) => sesLines.push(line) });
    gate = await startTestIamGate({ ses: ses.endpoint });
  });

  afterAll(async () => {
    await gate?.stop();
    await ses?.stop();
  });

  it('a burst of exports on 8 lanes emails every user exactly once, the refused sends sent again within their attempt', async () => {
    const users: CreatedUser[] = [];
    for (let i = 0; i < EXPORTS; i += 1) {
      const user = await env.createUser();
      await seedMemberships(env.database.url, user.id, 20, { seed: i + 1 });
      users.push(user);
    }
    const { logs } = await startWorker(env, { WORKER_CONCURRENCY: String(LANES), AWS_ENDPOINT_URL_SESV2: gate.endpoint });

    const jobs = await Promise.all(users.map(async (user) => (await env.requestExport(user.id)).job));
    const done = await Promise.all(jobs.map((job) => env.waitForJob(job.id, (candidate) => isFinal(candidate.state), 120_000)));

    expect(done.map((job) => job.state)).toEqual(jobs.map(() => 'succeeded'));
    const mailbox = await listEmails(ses.endpoint);
    for (const [index, user] of users.entries()) {
      const jobId = jobs[index]!.id;
      const received = mailbox.filter((email) => isAddressedTo(email, user.email) && (email.body.text ?? '').includes(jobId)).length;
      expect({ jobId, received }).toEqual({ jobId, received: 1 });
    }
    expect(gate.unacknowledged()).toEqual([]);
    // SES did refuse sends of this burst: the rate was really reached.
    const throttled = sesLines.filter((line) => line.startsWith('throttled v2:SendEmail')).length;
    expect(throttled).toBeGreaterThanOrEqual(3);
    // One accepted call per email, and one more call for each refusal: every refused send was sent again.
    const sendCalls = Object.entries(gate.calls())
      .filter(([call]) => call.startsWith('worker ') && call.endsWith('SendEmail'))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(sendCalls).toBe(EXPORTS + throttled);
    // Each was sent again inside its attempt: the exports were not run again for it (with one call per
    // email, each refusal fails an attempt, and as many jobs need a second one).
    const firstAttempt = done.filter((job) => job.attempts === 1).length;
    expect(firstAttempt).toBeGreaterThanOrEqual(EXPORTS - 2);
    const emailRetries = logs.records.filter(
      (record) => record.msg.startsWith('export attempt failed') && record.failureCode === 'email_unavailable',
    );
    expect(emailRetries.length).toBeLessThanOrEqual(2);
    process.stdout.write(
      `${JSON.stringify({ test: 'ses-rate', exports: EXPORTS, lanes: LANES, maxSendRate: MAX_SEND_RATE, throttledSends: throttled, sendEmailCalls: sendCalls, firstAttempt, attemptsRetriedForEmail: emailRetries.length })}\n`,
    );
  });
});
