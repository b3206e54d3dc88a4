import { exportFileName, readState, type DownloadChannel, type DownloadRecord, type ExportJob } from '@memberships/core/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ExportFailedError, ExportFileExpiredError, ExportNotReadyError } from '../../errors';
import { hasFile } from './job-resource';

/**
 * Handing out an export's file, the same way whichever door the request came
 * through (the API's `/download` with an access token, the emailed link's
 * `/file` with a signed token): the job must have a live file, the download
 * is recorded on the job BEFORE the answer (no record, no file: the record
 * is what lets an owner see who fetched it), then a redirect to a presigned
 * S3 URL of at most 5 minutes, made for this click.
 */

/** Longest User-Agent kept in a download record. */
const MAX_USER_AGENT = 512;

/** What the download came through, for an authenticated request: our CLI and SDK say so in their User-Agent. */
export function downloadChannel(userAgent: string | undefined): DownloadChannel {
  if (userAgent?.startsWith('memberships-cli/')) return 'cli';
  if (userAgent?.startsWith('memberships-sdk/')) return 'sdk';
  return 'api';
}

/** Throws the problem that says why the job has no file to give now. */
export function assertDownloadable(
  job: ExportJob,
  now: Date,
  retentionDays: number,
): asserts job is ExportJob & { file: NonNullable<ExportJob['file']> } {
  if (job.state === 'failed') throw new ExportFailedError(job.id);
  // The bucket's lifecycle rule deletes files after the retention while the job record lives longer: say so.
  if (readState(job, now, retentionDays) === 'expired') throw new ExportFileExpiredError(job.id, retentionDays);
  if (!hasFile(job, now, retentionDays)) throw new ExportNotReadyError(job.id, job.state);
}

export async function sendFile(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  job: ExportJob,
  via: DownloadChannel,
): Promise<FastifyReply> {
  const now = app.clock.now();
  const retentionDays = app.config.fileRetentionDays;
  assertDownloadable(job, now, retentionDays);
  const userAgent = request.headers['user-agent'];
  const record: DownloadRecord = {
    at: now.toISOString(),
    via,
    clientAddress: request.ip,
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT) } : {}),
  };
  // Only a succeeded job takes the record: one canceled or gone since it was read gets no file either.
  if (!(await app.jobStore.recordDownload(job.id, record))) throw new ExportNotReadyError(job.id, job.state);
  const url = await app.exportFiles.downloadUrl(job.file.key, exportFileName(job));
  request.log.info({ jobId: job.id, via }, 'export download link issued');
  // The URL is a bearer credential for the file: keep it out of caches and of the next site's Referer.
  return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(url, 302);
}

/** The public JSON of a download record. */
export interface DownloadResource {
  readonly at: string;
  readonly via: DownloadChannel;
  readonly client_address: string;
  readonly user_agent?: string;
}

export function toDownloadResource(record: DownloadRecord): DownloadResource {
  return {
    at: record.at,
    via: record.via,
    client_address: record.clientAddress,
    ...(record.userAgent ? { user_agent: record.userAgent } : {}),
  };
}
