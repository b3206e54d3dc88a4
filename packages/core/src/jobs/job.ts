/**
 * The export job record. State machine:
 *
 *   queued ──claim──► running ──complete──► succeeded
 *     ▲                 │  └────fail──────► failed
 *     └────release──────┘   (queued may also go straight to failed)
 *
 * succeeded and failed are final: no write moves a job out of them.
 */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobTrigger = 'api' | 'schedule';

/** The alphabet and length of job ids (UUIDs, `sched-<schedule id>-<time>`), as a JSON-schema pattern. */
export const JOB_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,200}$';

export interface ExportFileFacts {
  /** S3 object key of the CSV file. */
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly contentType: string;
}

export interface ExportDelivery {
  /** `attachment` when the file was small enough to attach, `link` otherwise. */
  readonly method: 'attachment' | 'link';
  readonly to: string;
  readonly emailedAt: string;
  readonly messageId?: string | undefined;
  /**
   * false when SES's answer to the send was lost (connection cut or timed
   * out after the request went out): the email was most likely sent, but
   * nobody can tell. The file stays downloadable through the API.
   */
  readonly confirmed?: boolean | undefined;
}

/**
 * What the worker knows about the export email of a job, written before each
 * SendEmail and after it, so a retry can tell "never sent" from "possibly
 * sent" (see services/worker/README.md, "Email delivery"):
 * - `sending`: a send was about to start or in flight when the attempt ended;
 * - `sent`: SES accepted it (`messageId`), only the completion is missing;
 * - `not_sent`: SES answered with an error, or could not be reached at all;
 * - `unconfirmed`: the request went out but SES's answer was lost.
 */
export interface EmailAttempt {
  readonly state: 'sending' | 'sent' | 'not_sent' | 'unconfirmed';
  /** SendEmail calls made for this job so far (this one included). */
  readonly sends: number;
  readonly method: 'attachment' | 'link';
  readonly to: string;
  readonly at: string;
  readonly messageId?: string | undefined;
  /** The file the email carries, so a retry can complete the job without exporting again. */
  readonly file: ExportFileFacts;
}

export interface ExportJob {
  readonly id: string;
  readonly userId: string;
  readonly state: JobState;
  readonly trigger: JobTrigger;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string | undefined;
  readonly finishedAt?: string | undefined;
  /** Times a worker has claimed the job (1 on the first run). */
  readonly attempts: number;
  readonly progress: { readonly rowsExported: number; readonly rowsTotal: number | null };
  readonly file?: ExportFileFacts | undefined;
  readonly delivery?: ExportDelivery | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** The export email's send state while the job is not final (kept afterwards for the record). */
  readonly emailAttempt?: EmailAttempt | undefined;
  /** Set for scheduled exports (issue 5). */
  readonly scheduleId?: string | undefined;
  readonly scheduledAt?: string | undefined;
  /** When the API last re-sent the message of this never-started job (JobStore.markRequeued). */
  readonly requeuedAt?: string | undefined;
  /** Epoch seconds after which DynamoDB's TTL deletes the record. */
  readonly expiresAt: number;
}

export function isFinal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed';
}
