import type { EmailAttempt, ExportDelivery, ExportFileFacts } from '@memberships/core/contract';
import type { JobStore } from '@memberships/core/dynamodb';
import type { Logger } from 'pino';
import { classifyFailure, inStage, isLeaseLost } from './errors';
import { finishRetry } from './retry-policy';

/**
 * Recording a job as succeeded once SES accepted its email (or may have).
 * Shared by the export pipeline and the failure path (a job whose email may
 * have gone out is completed, never failed): either way, a completion that
 * is not written means a retry that emails again, so the write is retried
 * through a DynamoDB outage rather than given up at the first error.
 */

/** Default of FINISH_RETRY_SECONDS, in ms. */
export const DEFAULT_FINISH_RETRY_MS = 120_000;

export interface JobCompletionOptions {
  readonly jobs: Pick<JobStore, 'complete'>;
  /** This worker: the write is conditional on it still holding the job. */
  readonly workerId: string;
  /** How long the write is retried before the attempt is given up (FINISH_RETRY_SECONDS). */
  readonly finishRetryMs?: number | undefined;
  /** FILE_RETENTION_DAYS: the completion files the job under the hour its file expires (the expiry sweep's index). */
  readonly fileRetentionDays: number;
}

/** Records the job as succeeded, as `completeJob` with its options bound. */
export type CompleteJob = (
  log: Logger,
  jobId: string,
  file: ExportFileFacts,
  delivery: ExportDelivery,
  emailAttempt: EmailAttempt | undefined,
) => Promise<void>;

/**
 * The job's completion, retried with backoff (retry-policy.ts finishRetry)
 * for up to `finishRetryMs`; the message stays hidden meanwhile (sqs-consumer
 * extends it). Throws the last error when it gives up.
 */
export function jobCompletion(options: JobCompletionOptions): CompleteJob {
  const finishRetryMs = options.finishRetryMs ?? DEFAULT_FINISH_RETRY_MS;
  return async (log, jobId, file, delivery, emailAttempt) => {
    const deadline = Date.now() + finishRetryMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await inStage('jobs', () =>
          options.jobs.complete(jobId, options.workerId, file, delivery, emailAttempt, options.fileRetentionDays),
        );
        return;
      } catch (error) {
        const next = finishRetry(attempt, { leaseLost: isLeaseLost(error), kind: classifyFailure(error).kind }, deadline - Date.now());
        if (!next.retry) throw error;
        log.warn({ err: error, retryInMs: next.waitMs }, 'could not record the finished export; retrying');
        await sleep(next.waitMs);
      }
    }
  };
}

/** The delivery recorded on a job from what its email attempt says. */
export function deliveryOf(attempt: EmailAttempt): ExportDelivery {
  return {
    method: attempt.method,
    to: attempt.to,
    emailedAt: attempt.at,
    messageId: attempt.messageId,
    ...(attempt.state === 'sent' ? {} : { confirmed: false }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
