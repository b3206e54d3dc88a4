import type { ExportJob } from './types.js';

/**
 * What an export's file is called: the name the API gives it in every
 * download and the email gives its attachment (core's `exportFileName`, which
 * the SDK cannot import: it ships alone), so a file saved by the SDK or the
 * CLI is named as the one in the mailbox and opens in the right program.
 */

/** `.csv`, `.xlsx`, `.jsonl`, with `.gz` after it when compressed: what the job's options make. */
export function exportFileExtension(job: Pick<ExportJob, 'options'>): string {
  // An API from before export options sends none: its files are CSV.
  const options = job.options as ExportJob['options'] | undefined;
  const format = options?.format ?? 'csv';
  const compression = options?.compression ?? 'none';
  return `.${format}${compression === 'gzip' ? '.gz' : ''}`;
}

/**
 * `memberships-<YYYY-MM-DD>-<job id>.<extension>`: the day the export was
 * requested (UTC) and the job id, so two exports of one day do not overwrite
 * each other in a downloads folder.
 */
export function exportFileName(job: Pick<ExportJob, 'id' | 'created_at' | 'options'>): string {
  const created = new Date(job.created_at);
  if (Number.isNaN(created.getTime())) throw new RangeError(`created_at is not a valid time: ${job.created_at}`);
  return `memberships-${created.toISOString().slice(0, 10)}-${job.id}${exportFileExtension(job)}`;
}
