import type { ExportJob, JobState, JobTrigger } from '@memberships/core/contract';

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
  readonly file?: { readonly rows: number; readonly bytes: number; readonly sha256: string; readonly content_type: string };
  readonly delivery?: { readonly method: 'attachment' | 'link'; readonly to: string; readonly emailed_at: string };
  readonly error?: { readonly code: string; readonly message: string };
  readonly links: { readonly self: string; readonly download?: string };
}

export const EXPORTS_PATH = '/v1/exports';

export function exportPath(id: string): string {
  return `${EXPORTS_PATH}/${encodeURIComponent(id)}`;
}

/** Whether the job has a file that can be downloaded. */
export function hasFile(job: ExportJob): job is ExportJob & { file: NonNullable<ExportJob['file']> } {
  return job.state === 'succeeded' && job.file !== undefined;
}

/**
 * Maps the stored job to its public shape, field by field: what is not named
 * here (user id, S3 key, lease owner, schedule internals) never leaves the API.
 */
export function toJobResource(job: ExportJob): ExportJobResource {
  const self = exportPath(job.id);
  return {
    id: job.id,
    state: job.state,
    trigger: job.trigger,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    ...(job.startedAt ? { started_at: job.startedAt } : {}),
    ...(job.finishedAt ? { finished_at: job.finishedAt } : {}),
    attempts: job.attempts,
    progress: { rows_exported: job.progress.rowsExported, rows_total: job.progress.rowsTotal },
    ...(job.file
      ? { file: { rows: job.file.rows, bytes: job.file.bytes, sha256: job.file.sha256, content_type: job.file.contentType } }
      : {}),
    ...(job.delivery ? { delivery: { method: job.delivery.method, to: job.delivery.to, emailed_at: job.delivery.emailedAt } } : {}),
    ...(job.error ? { error: { code: job.error.code, message: job.error.message } } : {}),
    links: hasFile(job) ? { self, download: `${self}/download` } : { self },
  };
}
