import { DEFAULT_EXPORT_OPTIONS, type ExportOptions } from '../exports/export-options';
import { buckets } from '../resources';

/**
 * The export job record. State machine:
 *
 *   queued ──claim──► running ──complete──► succeeded ··(file retention passes)··► expired
 *     ▲  │              │  │ └────fail──────► failed
 *     └──┼──release─────┘  └────cancel──────► canceled
 *        ├────cancel──────────────────────────► canceled
 *        └────fail────────────────────────────► failed
 *
 * succeeded, failed and canceled are final: no write moves a job out of
 * them. `expired` is never stored: a succeeded job READS as expired once its
 * file's retention has passed (readState), because the bucket's lifecycle
 * rule deletes the file on its own and no background job has to record that.
 */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'] as const;
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

/**
 * How the export email carried the file: `attachment` when it was small
 * enough to attach, `link` (a signed link to the API) otherwise, `app` when
 * the account turned emailed links off (the email says where to download it).
 */
export type DeliveryMethod = 'attachment' | 'link' | 'app';

export interface ExportDelivery {
  readonly method: DeliveryMethod;
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
  readonly method: DeliveryMethod;
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
  /**
   * What the file holds and how it is written, complete (the API validated and
   * filled in the defaults). Absent on jobs created before options existed:
   * read it with exportOptionsOf, which gives those the defaults.
   */
  readonly options?: ExportOptions | undefined;
  readonly file?: ExportFileFacts | undefined;
  readonly delivery?: ExportDelivery | undefined;
  readonly error?: { readonly code: string; readonly message: string } | undefined;
  /** The export email's send state while the job is not final (kept afterwards for the record). */
  readonly emailAttempt?: EmailAttempt | undefined;
  /** Set for scheduled exports (a subscription's tick). */
  readonly scheduleId?: string | undefined;
  readonly scheduledAt?: string | undefined;
  /** When the API last re-sent the message of this never-started job (JobStore.markRequeued). */
  readonly requeuedAt?: string | undefined;
  /** Downloads of the file, every one counted (JobStore.recordDownload). */
  readonly downloadCount?: number | undefined;
  readonly lastDownloadedAt?: string | undefined;
  /** The latest downloads in detail, oldest first (at most DOWNLOAD_RECORDS_KEPT); they expire with the job. */
  readonly downloads?: readonly DownloadRecord[] | undefined;
  /** Emailed links of this job issued before this time are revoked (JobStore.revokeLinks). */
  readonly linksRevokedAt?: string | undefined;
  /** Set once the failure notice of a failed job is claimed (JobStore.claimFailureNotice). */
  readonly failureNotice?: { readonly at: string; readonly by: string } | undefined;
  /** The state a canceled job was canceled from (JobStore.cancel). */
  readonly canceledFrom?: 'queued' | 'running' | undefined;
  /**
   * The UTC hour (expiryHourOf) in which the file of a succeeded job expires,
   * written by JobStore.complete: the key of the sparse `byExpiryHour` index
   * the expiry sweep reads to emit `export.expired`.
   */
  readonly expiryHour?: string | undefined;
  /** Epoch seconds after which DynamoDB's TTL deletes the record. */
  readonly expiresAt: number;
}

/** How a download was asked for: the API with a token, the emailed link, or the CLI or SDK (by their User-Agent). */
export const DOWNLOAD_CHANNELS = ['api', 'email_link', 'cli', 'sdk'] as const;
export type DownloadChannel = (typeof DOWNLOAD_CHANNELS)[number];

export interface DownloadRecord {
  readonly at: string;
  readonly via: DownloadChannel;
  /** The client's address as the API saw it (behind the trusted proxies). */
  readonly clientAddress: string;
  /** Truncated to 512 characters. */
  readonly userAgent?: string | undefined;
}

/**
 * Download records kept on a job in detail (the count counts all): a link
 * clicked by a mail scanner thousands of times must not grow the job record
 * towards DynamoDB's 400 KB item limit.
 */
export const DOWNLOAD_RECORDS_KEPT = 50;

/**
 * The options of a job or a schedule; DEFAULT_EXPORT_OPTIONS (the file of
 * before options existed) for one created without.
 */
export function exportOptionsOf(record: { readonly options?: ExportOptions | undefined }): ExportOptions {
  return record.options ?? DEFAULT_EXPORT_OPTIONS;
}

export function isFinal(state: JobState): boolean {
  return state === 'succeeded' || state === 'failed' || state === 'canceled' || state === 'expired';
}

/**
 * When the job's file is (or was) deleted by the bucket's lifecycle rule:
 * `retentionDays` after the job finished. Undefined for a job without a file.
 */
export function fileExpiresAt(job: ExportJob, retentionDays: number = buckets.exportFiles.expireAfterDays): Date | undefined {
  if (!job.file) return undefined;
  return new Date(Date.parse(job.finishedAt ?? job.updatedAt) + retentionDays * 86_400_000);
}

/** The UTC hour a time falls in, as `2026-12-08T05`: the `byExpiryHour` index's partition of a file expiring then. */
export function expiryHourOf(time: Date): string {
  return time.toISOString().slice(0, 13);
}

/** The state as of `now`: a succeeded job whose file retention has passed reads `expired`. */
export function readState(job: ExportJob, now: Date, retentionDays: number = buckets.exportFiles.expireAfterDays): JobState {
  if (job.state !== 'succeeded') return job.state;
  const expiresAt = fileExpiresAt(job, retentionDays);
  return expiresAt !== undefined && now.getTime() >= expiresAt.getTime() ? 'expired' : job.state;
}
