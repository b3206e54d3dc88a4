/**
 * The lease heartbeat against a job store stand-in (only `heartbeat` is
 * called): renewals on the cadence, a lost lease stopping the export, other
 * failures only logged, and stop() waiting for the renewal in flight. No
 * emulator: what DynamoDB does with a renewal is the JobStore's own test.
 */
import { JobCanceledError, LeaseLostError } from '@memberships/core/dynamodb';
import { waitFor } from '@memberships/local-platform';
import { startLeaseHeartbeat, type LeaseHeartbeat } from './lease-heartbeat';
import { captureLogs } from './testing/log-capture';

/** 20 ms between beats, so a test sees several within a fraction of a second. */
const INTERVAL_SECONDS = 0.02;
const LEASE_MS = 8000;

type Renewal = () => Promise<void>;

function heartbeatWith(renewal: Renewal) {
  const calls: { jobId: string; owner: string; leaseMs: number }[] = [];
  const logs = captureLogs();
  const lease = new AbortController();
  const heartbeat = startLeaseHeartbeat({
    jobs: {
      heartbeat: async (jobId: string, owner: string, leaseMs: number) => {
        calls.push({ jobId, owner, leaseMs });
        await renewal();
      },
    },
    jobId: 'job-1',
    owner: 'worker-1',
    leaseMs: LEASE_MS,
    intervalSeconds: INTERVAL_SECONDS,
    lease,
    log: logs.logger,
  });
  started.push(heartbeat);
  return { heartbeat, calls, logs, lease };
}

const started: LeaseHeartbeat[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((heartbeat) => heartbeat.stop()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startLeaseHeartbeat', () => {
  it('renews the lease as its owner on every beat, and moves the expiry with each renewal', async () => {
    const before = Date.now();
    const { heartbeat, calls } = heartbeatWith(async () => undefined);
    const claimedUntil = heartbeat.leaseExpiresAt();
    expect(claimedUntil).toBeGreaterThanOrEqual(before + LEASE_MS);

    await waitFor('three renewals', () => calls.length >= 3, { intervalMs: 10, timeoutMs: 5000 });

    expect(calls[0]).toEqual({ jobId: 'job-1', owner: 'worker-1', leaseMs: LEASE_MS });
    expect(heartbeat.leaseExpiresAt()).toBeGreaterThan(claimedUntil);
  });

  it('a lost lease aborts the lease signal with the LeaseLostError, and confirm() throws it', async () => {
    const lost = new LeaseLostError('job-1');
    const { heartbeat, lease } = heartbeatWith(async () => {
      throw lost;
    });

    await waitFor('the lease signal to abort', () => lease.signal.aborted, { intervalMs: 10, timeoutMs: 5000 });
    expect(lease.signal.aborted).toBe(true);

    expect(lease.signal.reason).toBe(lost);
    await expect(heartbeat.confirm()).rejects.toBe(lost);
  });

  it('any other failure is logged and the next beat tries again; the lease is not given up', async () => {
    let failures = 1;
    const { heartbeat, calls, logs, lease } = heartbeatWith(async () => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('DynamoDB unreachable');
      }
    });

    await waitFor('a renewal after the failed one', () => calls.length >= 2 && failures === 0, { intervalMs: 10, timeoutMs: 5000 });
    await heartbeat.stop();

    expect(lease.signal.aborted).toBe(false);
    expect(logs.find({ msg: 'job heartbeat failed; retrying on the next beat' })).toHaveLength(1);
    await expect(heartbeat.confirm()).resolves.toBeUndefined();
  });

  it('confirm() renews at once, and throws what the renewal throws', async () => {
    let answer: Error | undefined;
    const { heartbeat, calls } = heartbeatWith(async () => {
      if (answer) throw answer;
    });
    await heartbeat.stop();

    await heartbeat.confirm();
    expect(calls).toHaveLength(1);
    answer = new LeaseLostError('job-1');
    await expect(heartbeat.confirm()).rejects.toBe(answer);
  });

  it('one renewal at a time: a slow one is not stacked on, and stop() waits for it', async () => {
    let release: (() => void) | undefined;
    let settled = false;
    const { heartbeat, calls } = heartbeatWith(
      () =>
        new Promise<void>((resolve) => {
          release = () => {
            settled = true;
            resolve();
          };
        }),
    );
    await waitFor('the slow renewal to start', () => calls.length === 1, { intervalMs: 10, timeoutMs: 5000 });
    // Several beats pass while it hangs.
    await sleep(120);
    expect(calls).toHaveLength(1);

    const stopped = heartbeat.stop();
    setTimeout(() => release?.(), 30);
    await stopped;

    expect(settled).toBe(true);
    await sleep(80);
    expect(calls).toHaveLength(1);
  });
});

describe('startLeaseHeartbeat with a cancel check', () => {
  function checkedHeartbeat(isCanceled: () => Promise<boolean>) {
    const logs = captureLogs();
    const lease = new AbortController();
    let checks = 0;
    const heartbeat = startLeaseHeartbeat({
      jobs: { heartbeat: async () => undefined },
      jobId: 'job-1',
      owner: 'worker-1',
      leaseMs: LEASE_MS,
      // Renewals far apart: only the cancel check can stop the export in this test.
      intervalSeconds: 60,
      lease,
      log: logs.logger,
      cancelCheck: {
        jobs: {
          isCanceled: async () => {
            checks += 1;
            return isCanceled();
          },
        },
        intervalMs: 20,
      },
    });
    started.push(heartbeat);
    return { heartbeat, lease, logs, checks: () => checks };
  }

  it('aborts the lease with a JobCanceledError (a LeaseLostError) once the job reads canceled, long before the next renewal', async () => {
    let canceled = false;
    const { heartbeat, lease, checks } = checkedHeartbeat(async () => canceled);
    await waitFor('two checks', () => checks() >= 2, { intervalMs: 10, timeoutMs: 5000 });
    expect(lease.signal.aborted).toBe(false);
    canceled = true;
    await waitFor('the lease signal to abort', () => lease.signal.aborted, { intervalMs: 10, timeoutMs: 5000 });
    expect(lease.signal.reason).toBeInstanceOf(JobCanceledError);
    expect(lease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lease.signal.reason).toMatchObject({ code: 'job_canceled' });
    await expect(heartbeat.confirm()).rejects.toBeInstanceOf(JobCanceledError);
  });

  it('a failed check is logged and tried again; it does not stop the export', async () => {
    let failures = 2;
    const { lease, logs, checks } = checkedHeartbeat(async () => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('DynamoDB unreachable');
      }
      return false;
    });
    await waitFor('checks after the failures', () => checks() >= 4, { intervalMs: 10, timeoutMs: 5000 });
    expect(lease.signal.aborted).toBe(false);
    expect(logs.find({ msg: 'cancel check failed; retrying on the next check' }).length).toBeGreaterThan(0);
  });

  it('stop() ends the checks', async () => {
    const { heartbeat, checks } = checkedHeartbeat(async () => false);
    await waitFor('a check', () => checks() >= 1, { intervalMs: 10, timeoutMs: 5000 });
    await heartbeat.stop();
    const after = checks();
    await sleep(100);
    expect(checks()).toBe(after);
  });
});
