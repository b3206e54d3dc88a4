import { exportOptionsResource } from '../exports/export-options';
import type { ExportOptionsResource } from '../exports/export-options-input';
import { exportOptionsOf, fileExpiresAt, readState, type DeliveryMethod, type ExportJob, type JobState, type JobTrigger } from './job';

/**
 * An export job as the public sees it: what GET /v1/exports/{id} answers
 * (the API's schemas/export-job.ts describes it), and what a completion
 * event carries as `data.object` (the worker's event-fanout.ts), so a
 * webhook receiver reads exactly the shape a poller would.
 */

/** The public JSON of an export job; see schemas/export-job.ts. */
export interface ExportJobResource {
  readonly id: string;
  readonly state: JobState;
  readonly trigger: JobTrigger;
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at?: string;
  readonly finished_at?: string;
  readonly attempts: number;
  readonly progress: { readonly rows_exported: number; readonly rows_total: number | null };
  readonly options: ExportOptionsResource;
  readonly file?: { readonly rows: number; readonly bytes: number; readonly sha256: string; readonly content_type: string };
  readonly delivery?: { readonly method: DeliveryMethod; readonly to: string; readonly emailed_at: string };
  readonly error?: { readonly code: string; readonly message: string };
  readonly expires_at?: string;
  readonly download_count?: number;
  readonly last_downloaded_at?: string;
  readonly links: { readonly self: string; readonly download?: string; readonly downloads?: string };
}

export const EXPORTS_PATH = '/v1/exports';

export function exportPath(id: string): string {
  return `${EXPORTS_PATH}/${encodeURIComponent(id)}`;
}

/** Whether the job has a file that can be downloaded at `now` (succeeded, and its retention of `retentionDays` has not passed). */
export function hasFile(job: ExportJob, now: Date, retentionDays: number): job is ExportJob & { file: NonNullable<ExportJob['file']> } {
  return readState(job, now, retentionDays) === 'succeeded' && job.file !== undefined;
}

/**
 * Maps the stored job to its public shape as of `now`, field by field: what
 * is not named here (user id, S3 key, lease owner, schedule internals) never
 * leaves the API. The state is the one read at `now` (a succeeded job past
 * its file retention is `expired`); `expires_at` is on every job with a file.
 */
export function toJobResource(job: ExportJob, now: Date, retentionDays: number): ExportJobResource {
  const self = exportPath(job.id);
  const expiresAt = fileExpiresAt(job, retentionDays);
  return {
    id: job.id,
    state: readState(job, now, retentionDays),
    trigger: job.trigger,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.startedAt ? { started_at: job.startedAt } : {}),
    ...(job.finishedAt ? { finished_at: job.finishedAt } : {}),
    attempts: job.attempts,
    progress: { rows_exported: job.progress.rowsExported, rows_total: job.progress.rowsTotal },
    // On every job: one made before options existed made the default file, and says so.
    options: exportOptionsResource(exportOptionsOf(job)),
    ...(job.file
      ? { file: { rows: job.file.rows, bytes: job.file.bytes, sha256: job.file.sha256, content_type: job.file.contentType } }
      : {}),
    ...(job.delivery ? { delivery: { method: job.delivery.method, to: job.delivery.to, emailed_at: job.delivery.emailedAt } } : {}),
    ...(job.error ? { error: { code: job.error.code, message: job.error.message } } : {}),
    ...(expiresAt ? { expires_at: expiresAt.toISOString() } : {}),
    ...(job.file ? { download_count: job.downloadCount ?? 0 } : {}),
    ...(job.lastDownloadedAt ? { last_downloaded_at: job.lastDownloadedAt } : {}),
    links: {
      self,
      ...(hasFile(job, now, retentionDays) ? { download: `${self}/download` } : {}),
      ...(job.file ? { downloads: `${self}/downloads` } : {}),
    },
  };
}
