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
