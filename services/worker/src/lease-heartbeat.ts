import { JobCanceledError, LeaseLostError, type JobStore } from '@memberships/core/dynamodb';
import type { Logger } from 'pino';

/**
 * Keeps a claimed job ours while its export runs. The claim holds the job
 * for `leaseMs`; without renewal another delivery may take it over (that is
 * how a dead worker's job is recovered). The renewal runs on the heartbeat
 * cadence, like sqs-consumer's visibility extension of the message, so the
 * lease runs out one interval before the message reappears (leaseMsFor in
 * config.ts). Progress has its own writer (progress-reporter.ts).
 *
 * A job canceled through the API (JobStore.cancel) loses its lease at once,
 * but the renewal that would notice runs only every HEARTBEAT_INTERVAL_SECONDS
 * (10 s by default): too late for "stopped within seconds". So a cheap read of
 * the job's state runs beside it, every `cancelCheck.intervalMs` (1 s by
 * default), and aborts `lease` with a JobCanceledError.
 */

/** How often a running export looks whether its job was canceled, unless told otherwise. */
export const DEFAULT_CANCEL_CHECK_INTERVAL_MS = 1000;

export interface LeaseHeartbeatOptions {
  readonly jobs: Pick<JobStore, 'heartbeat'>;
  readonly jobId: string;
  /** This worker (the lease owner). */
  readonly owner: string;
  readonly leaseMs: number;
  readonly intervalSeconds: number;
  /** Aborted with the LeaseLostError when a renewal finds the job is no longer ours: that stops the export. */
  readonly lease: AbortController;
  readonly log: Logger;
  /** Reads whether the job was canceled, every `intervalMs` (default DEFAULT_CANCEL_CHECK_INTERVAL_MS); none when absent. */
  readonly cancelCheck?: { readonly jobs: Pick<JobStore, 'isCanceled'>; readonly intervalMs?: number | undefined } | undefined;
}

export interface LeaseHeartbeat {
  /**
   * Renews once more now (after any renewal in flight); throws LeaseLostError
   * if the job is no longer ours. `renewal` replaces the plain renewal with a
   * write that renews the lease itself, conditional on holding it (e.g.
   * JobStore.recordEmailAttempt with `leaseMs`): one request instead of two.
   */
  confirm(renewal?: () => Promise<void>): Promise<void>;
  /** Stops renewing; resolves once a renewal in flight has settled. */
  stop(): Promise<void>;
  /** Epoch ms when the lease runs out, as last renewed. */
  leaseExpiresAt(): number;
}

/**
 * Renews the lease every interval. A lost lease aborts `lease`; any other
 * failure is only logged (the next beat tries again, and the lease outlasts
 * a few misses). One renewal at a time: a slow one is not stacked on.
 */
export function startLeaseHeartbeat(options: LeaseHeartbeatOptions): LeaseHeartbeat {
  const { jobs, jobId, owner, leaseMs, lease, log } = options;
  let inFlight: Promise<void> | undefined;
  // Until when the lease holds, as last renewed (the claim took it a moment ago).
  let leaseExpiresAt = Date.now() + leaseMs;
  const renew = async (renewal: () => Promise<void> = () => jobs.heartbeat(jobId, owner, leaseMs)) => {
    const startedAt = Date.now();
    await renewal();
    leaseExpiresAt = startedAt + leaseMs;
  };
  const beat = async () => {
    try {
      await renew();
    } catch (error) {
      if (error instanceof LeaseLostError) lease.abort(error);
      else log.warn({ err: error }, 'job heartbeat failed; retrying on the next beat');
    }
  };
  const timer = setInterval(() => {
    inFlight ??= beat().finally(() => {
      inFlight = undefined;
    });
  }, options.intervalSeconds * 1000);
  const { cancelCheck } = options;
  let checking: Promise<void> | undefined;
  const check = async () => {
    try {
      if (!lease.signal.aborted && (await cancelCheck!.jobs.isCanceled(jobId))) {
        log.info('job canceled; stopping the export');
        lease.abort(new JobCanceledError(jobId));
      }
    } catch (error) {
      // Advisory: the renewal still notices a canceled job (it is no longer running), only later.
      log.warn({ err: error }, 'cancel check failed; retrying on the next check');
    }
  };
  const cancelTimer = cancelCheck
    ? setInterval(() => {
        checking ??= check().finally(() => {
          checking = undefined;
        });
      }, cancelCheck.intervalMs ?? DEFAULT_CANCEL_CHECK_INTERVAL_MS)
    : undefined;
  return {
    confirm: async (renewal) => {
      await inFlight;
      if (lease.signal.aborted) throw lease.signal.reason;
      await renew(renewal);
    },
    stop: async () => {
      clearInterval(timer);
      clearInterval(cancelTimer);
      await Promise.all([inFlight, checking]);
    },
    leaseExpiresAt: () => leaseExpiresAt,
  };
}
