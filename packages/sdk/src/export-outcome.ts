import type { ExportJob, FailedExportJob, SucceededExportJob } from './types.js';

/**
 * Whether a job succeeded with everything the API promises on success (file
 * facts, finish time, download link), narrowing it to
 * SucceededExportJob. For jobs from `exports.get()` or `exports.listAll()`;
 * `exports.wait()` already resolves with one.
 */
export function isSucceededExport(job: ExportJob): job is SucceededExportJob {
  return (
    job.state === 'succeeded' && job.file !== undefined && typeof job.finished_at === 'string' && typeof job.links.download === 'string'
  );
}

/** Whether a job ended in `failed` (its `error` says why). */
export function isFailedExport(job: ExportJob): job is FailedExportJob {
  return job.state === 'failed';
}

/** Which of the success facts a `succeeded` job lacks, for the error that reports it. */
export function missingSuccessFacts(job: ExportJob): string[] {
  const missing: string[] = [];
  if (job.file === undefined) missing.push('file');
  if (typeof job.finished_at !== 'string') missing.push('finished_at');
  if (typeof job.links.download !== 'string') missing.push('links.download');
  return missing;
}
