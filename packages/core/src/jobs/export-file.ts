import { DEFAULT_EXPORT_OPTIONS, type ExportOptions, exportFileExtension } from '../exports/export-options';

/**
 * What a user's export file is called and how it is offered for download,
 * wherever they get it: attached to the email, behind the email's link, or
 * from `GET /v1/exports/{id}/download`. One definition, so the same file has
 * the same name everywhere (the worker and the API each had their own, and
 * they had drifted apart).
 */

/** The facts of a job its file is named after. */
export interface NamedExportJob {
  readonly id: string;
  /** ISO 8601 date-time: the day the user asked for the export. */
  readonly createdAt: string;
  /** The job's format and compression (its extension); absent on jobs from before options: `.csv`. */
  readonly options?: Pick<ExportOptions, 'format' | 'compression'> | undefined;
}

/**
 * `memberships-<YYYY-MM-DD>-<job id>.csv` (`.xlsx`, `.jsonl`, `.csv.gz`, ...
 * as the job's options say): the day the export was requested (UTC), so
 * that the name does not change between the email and a later download, and
 * the job id, so that two exports of one day do not overwrite each other in
 * a downloads folder. It reads the options from the job itself, so every
 * caller names a job's file alike.
 */
export function exportFileName(job: NamedExportJob): string {
  const created = new Date(job.createdAt);
  if (Number.isNaN(created.getTime())) throw new RangeError(`createdAt is not a valid time: ${job.createdAt}`);
  return `memberships-${created.toISOString().slice(0, 10)}-${job.id}${exportFileExtension(job.options ?? DEFAULT_EXPORT_OPTIONS)}`;
}

/** Characters RFC 5987's attr-char allows unescaped that encodeURIComponent would leave as they are. */
const NOT_ATTR_CHAR = /['()*]/g;

/**
 * The Content-Disposition that downloads `fileName` as an attachment
 * (RFC 6266): a quoted ASCII `filename` for old clients, with every
 * character outside `A-Z a-z 0-9 . _ -` replaced by `_`, and the exact name
 * as UTF-8 in `filename*` (RFC 8187), which clients prefer when they know it.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^A-Za-z0-9._-]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(NOT_ATTR_CHAR, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
