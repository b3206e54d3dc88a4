import { dataOf, ensureOk } from '../api-call.js';
import { backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import {
  ApiError,
  DownloadError,
  ExportCanceledError,
  ExportExpiredError,
  ExportFailedError,
  NetworkError,
  UnexpectedResponseError,
  WaitTimeoutError,
} from '../errors.js';
import { join } from 'node:path';
import { exportFileName } from '../export-file-name.js';
import { isFailedExport, isSucceededExport, missingSuccessFacts } from '../export-outcome.js';
import { writeDownload, type DownloadTarget, type WrittenFile } from '../file-download.js';
import type { ExportDownloads, ExportJob, ExportPage, ExportRequest, SucceededExportJob } from '../types.js';
import type { CallOptions, ResourceContext } from './context.js';

export interface CreateExportOptions extends CallOptions {
  /**
   * Makes retries safe: the same key returns the same job instead of starting
   * another export. 1–200 characters of `A-Z a-z 0-9 _ . : -`.
   */
  readonly idempotencyKey?: string | undefined;
}

export interface CreatedExport {
  readonly job: ExportJob;
  /**
   * True when the API returned a job that already existed: an export of yours
   * still running, or the job of an earlier request with the same idempotency key.
   */
  readonly existing: boolean;
}

export interface ListExportsOptions extends CallOptions {
  /** Jobs per page, 1–100. The API's default is 20. */
  readonly limit?: number | undefined;
  /** `next_cursor` of the previous page. */
  readonly cursor?: string | undefined;
}

export interface WaitOptions extends CallOptions {
  /** Called with the job on the first poll and whenever its state or progress changes. */
  readonly onProgress?: ((job: ExportJob) => void | Promise<void>) | undefined;
  /** Give up with a WaitTimeoutError after this long. Default: wait as long as it takes. */
  readonly timeoutMs?: number | undefined;
  /** Poll interval: a fixed number of ms, or a backoff. Default `{ initial: 500, max: 5000, factor: 1.5 }`. */
  readonly intervalMs?: number | BackoffOptions | undefined;
}

export interface DownloadResult extends WrittenFile {
  /** The job the file belongs to. */
  readonly job: ExportJob;
}

export interface ExportsResource {
  /**
   * Requests an export (202 Accepted): all your memberships as CSV, or the
   * columns, rows, format and dialect `request` asks for (the API's field
   * names: `{ format: 'xlsx', columns: ['id', 'club_name'], filters: { status: ['active'] } }`).
   * ApiError `validation_failed` (400) lists every bad field in
   * `problem.errors`; `idempotency_key_reused` (422) when the key was used
   * before with other options.
   */
  create(request?: ExportRequest, options?: CreateExportOptions): Promise<CreatedExport>;
  /** One job. ApiError `export_not_found` (404) for unknown ids and other users' jobs. */
  get(id: string, options?: CallOptions): Promise<ExportJob>;
  /** One page of your jobs, newest first. */
  list(options?: ListExportsOptions): Promise<ExportPage>;
  /** Every job, newest first, fetching pages as the loop goes: `for await (const job of client.exports.listAll())`. */
  listAll(options?: Omit<ListExportsOptions, 'cursor'>): AsyncGenerator<ExportJob, void, undefined>;
  /**
   * Cancels a queued or running export: the job comes back `canceled` (a
   * running one's worker stops within seconds, sends nothing), and a new
   * export can be requested at once. ApiError `export_already_finished`
   * (409, `problem.state`) when it has already ended; `export_not_found` (404).
   */
  cancel(id: string, options?: CallOptions): Promise<ExportJob>;
  /**
   * Who downloaded the file: `download_count` and `last_downloaded_at` over
   * every download, and `items`, the latest 50 newest first (`at`, `via`:
   * `api` | `email_link` | `cli` | `sdk`, `client_address`, `user_agent?`).
   * ApiError `export_not_found` (404) for unknown ids and other users' jobs.
   */
  downloads(id: string, options?: CallOptions): Promise<ExportDownloads>;
  /**
   * Stops the download link emailed for this export at once (it then shows
   * that it was revoked); `download()` and the API's own download keep
   * working. ApiError `export_not_found` (404).
   */
  revokeLink(id: string, options?: CallOptions): Promise<void>;
  /**
   * Polls until the job finishes. Resolves with the succeeded job, typed so
   * that `file` (rows, bytes, sha256), `finished_at` and `links.download` are
   * there; rejects with ExportFailedError (its `code` and message come from
   * the job), ExportCanceledError (canceled), ExportExpiredError (its file
   * retention passed before the wait saw it succeed), WaitTimeoutError, or
   * the signal's AbortError. Brief network
   * trouble and 5xx/429 answers are retried (up to 5 in a row) rather than
   * ending the wait.
   */
  wait(id: string, options?: WaitOptions): Promise<SucceededExportJob>;
  /** The short-lived URL of the finished file (valid for minutes; do not store it). */
  downloadUrl(id: string, options?: CallOptions): Promise<string>;
  /**
   * Downloads the finished file to a path, a folder (saved under its own name,
   * with the extension of its format: `.csv`, `.xlsx`, `.jsonl`, `.csv.gz`...)
   * or a stream, and checks its SHA-256 and size against the job.
   * ApiError `export_not_ready` (409) while it is not finished.
   */
  download(id: string, target: DownloadTarget, options?: CallOptions): Promise<DownloadResult>;
}

/** Consecutive transient failures `wait()` rides out before giving up. */
const WAIT_TRANSIENT_FAILURES = 5;

export function createExportsResource(ctx: ResourceContext): ExportsResource {
  const get = async (id: string, options: CallOptions = {}): Promise<ExportJob> =>
    dataOf(await ctx.raw.GET('/v1/exports/{id}', { params: { path: { id } }, signal: options.signal }));

  const list = async (options: ListExportsOptions = {}): Promise<ExportPage> =>
    dataOf(
      await ctx.raw.GET('/v1/exports', {
        params: { query: { limit: options.limit, cursor: options.cursor } },
        signal: options.signal,
      }),
    );

  /** The API's answer to the download route: a redirect to the file (or, some day, the file itself). */
  const locate = async (id: string, options: CallOptions): Promise<{ url?: string; response: Response; data?: unknown }> => {
    const result = await ctx.raw.GET('/v1/exports/{id}/download', {
      params: { path: { id } },
      redirect: 'manual',
      parseAs: 'stream',
      signal: options.signal,
    });
    const { response } = result;
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (!location) throw new DownloadError(id, response.status, `The API redirected the download of export ${id} without a Location.`);
      return { url: new URL(location, response.url || ctx.baseUrl).href, response };
    }
    if (response.ok) return { response, data: result.data };
    throw ApiError.fromResponse(response, result.error);
  };

  return {
    async create(request = {}, options = {}) {
      const { data, error, response } = await ctx.raw.POST('/v1/exports', {
        // `{}` when nothing is asked: the API takes it as it takes no body, the defaults.
        body: request,
        headers: options.idempotencyKey === undefined ? {} : { 'Idempotency-Key': options.idempotencyKey },
        signal: options.signal,
      });
      const job = dataOf({ data, error, response });
      return { job, existing: response.headers.get('export-request') === 'existing' };
    },

    get,
    list,

    async cancel(id, options = {}) {
      return dataOf(await ctx.raw.POST('/v1/exports/{id}/cancel', { params: { path: { id } }, signal: options.signal }));
    },

    async downloads(id, options = {}) {
      return dataOf(await ctx.raw.GET('/v1/exports/{id}/downloads', { params: { path: { id } }, signal: options.signal }));
    },

    async revokeLink(id, options = {}) {
      ensureOk(await ctx.raw.DELETE('/v1/exports/{id}/link', { params: { path: { id } }, signal: options.signal }));
    },

    async *listAll(options = {}) {
      let cursor: string | undefined;
      do {
        const page = await list({ ...options, cursor });
        yield* page.items;
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    },

    async wait(id, options = {}) {
      const { signal, onProgress, timeoutMs, intervalMs } = options;
      const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : ctx.now() + timeoutMs;
      let last: ExportJob | undefined;
      let failures = 0;
      for (let attempt = 0; ; attempt += 1) {
        signal?.throwIfAborted();
        let pause = backoffDelay(attempt, intervalMs);
        try {
          const job = await get(id, { signal: withDeadline(signal, deadline - ctx.now()) });
          failures = 0;
          if (!last || hasMoved(last, job)) await onProgress?.(job);
          last = job;
          if (isSucceededExport(job)) return job;
          if (job.state === 'succeeded') {
            throw new UnexpectedResponseError(
              `The API reported export ${id} succeeded but without ${missingSuccessFacts(job).join(', ')}; ` +
                'this SDK may be too old or too new for the API.',
            );
          }
          if (isFailedExport(job)) throw new ExportFailedError(job);
          if (job.state === 'canceled') throw new ExportCanceledError(job);
          if (job.state === 'expired') throw new ExportExpiredError(job);
        } catch (error) {
          if (isFinalOutcome(error)) throw error;
          signal?.throwIfAborted();
          if (ctx.now() >= deadline) throw new WaitTimeoutError(id, timeoutMs ?? 0, last);
          failures += 1;
          if (!isTransient(error) || failures > WAIT_TRANSIENT_FAILURES) throw error;
          if (error instanceof ApiError && error.retryAfterSeconds !== undefined) {
            pause = Math.max(pause, error.retryAfterSeconds * 1000);
          }
        }
        const remaining = deadline - ctx.now();
        if (remaining <= 0) throw new WaitTimeoutError(id, timeoutMs ?? 0, last);
        await sleep(Math.min(pause, remaining), signal);
      }
    },

    async downloadUrl(id, options = {}) {
      const located = await locate(id, options);
      await located.response.body?.cancel();
      if (!located.url) throw new DownloadError(id, located.response.status, `The API did not give a link for export ${id}.`);
      return located.url;
    },

    async download(id, target, options = {}) {
      const { signal } = options;
      const job = await get(id, { signal });
      const located = await locate(id, { signal });
      let response = located.response;
      if (located.url) {
        // A plain fetch: the link is presigned, and the bearer token must not
        // travel to the file host.
        try {
          response = await ctx.fetch(located.url, { signal });
        } catch (error) {
          if (error instanceof ExportFailedError) throw error;
          signal?.throwIfAborted();
          throw new DownloadError(
            id,
            undefined,
            `Could not fetch the file of export ${id} from ${new URL(located.url).origin}: ${describe(error)}. Try again.`,
            { cause: error },
          );
        }
        if (!response.ok || !response.body) {
          await response.body?.cancel();
          throw new DownloadError(
            id,
            response.status,
            `The file host answered ${response.status} for export ${id}; the link may have expired. Try the download again.`,
          );
        }
      }
      if (!response.body) throw new DownloadError(id, response.status, `The download of export ${id} had no content.`);
      const resolved = 'directory' in target ? { path: join(target.directory, exportFileName(job)) } : target;
      const written = await writeDownload(id, response.body, resolved, { sha256: job.file?.sha256, bytes: job.file?.bytes }, signal);
      return { ...written, job };
    },
  };
}

/** The errors that are the wait's answer (the job ended without a file, or the API broke the contract), never retried. */
function isFinalOutcome(error: unknown): boolean {
  return (
    error instanceof ExportFailedError ||
    error instanceof ExportCanceledError ||
    error instanceof ExportExpiredError ||
    error instanceof UnexpectedResponseError
  );
}

function hasMoved(before: ExportJob, after: ExportJob): boolean {
  return (
    before.state !== after.state ||
    before.progress.rows_exported !== after.progress.rows_exported ||
    before.progress.rows_total !== after.progress.rows_total
  );
}

function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true;
  return error instanceof ApiError && (error.status === 429 || error.status >= 500);
}

function withDeadline(signal: AbortSignal | undefined, remainingMs: number): AbortSignal | undefined {
  if (!Number.isFinite(remainingMs)) return signal;
  const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(remainingMs)));
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : error.message;
  }
  return String(error);
}
