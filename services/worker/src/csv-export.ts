import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_EXPORT_OPTIONS, exportContentType, type ExportOptions } from '@memberships/core/contract';
import { countSelect, exportCopyStatement, exportRowsQuery, exportSessionSettings } from '@memberships/core/postgres-client';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { settleQueryDeadline } from './copy-deadline';
import { ExportIntegrityError, StageError } from './errors';
import { FileMeter } from './export-meter';
import { exportRanges } from './range-export';
import { recordStages } from './record-stages';
import { RowCursorStream } from './row-cursor';
import { XlsxWriter } from './xlsx-writer';

/** The default file's media type (exportContentType gives every format's). */
export const CSV_CONTENT_TYPE = exportContentType(DEFAULT_EXPORT_OPTIONS);
/** gzip level 6 (gzip's own default): most of level 9's size at a fraction of its time. */
const GZIP_LEVEL = 6;

/** Where the file's bytes go: an S3 upload in the worker, a file in the benchmark. */
export interface ExportSink {
  /** Receives the bytes, with backpressure. */
  readonly stream: Writable;
  /** Resolves once the bytes are stored; rejects when storing failed. */
  readonly done: Promise<void>;
  /** Gives up storing (the export failed or was stopped); resolves once nothing half-written is left. Never rejects. */
  abort(reason: unknown): Promise<void>;
  /**
   * Stores the file as numbered parts instead (an export written in parallel
   * ranges). Once `create` was called, `stream` is never written and `done`
   * settles with the parts' upload; `abort` also drops the parts.
   */
  readonly multipart?: MultipartSink | undefined;
}

/** A sink's multipart capability: S3's CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload. */
export interface MultipartSink {
  /** The smallest part but the last that the store accepts (S3: 5 MiB). */
  readonly minPartBytes: number;
  /** The size to cut parts at (at least minPartBytes). */
  readonly partBytes: number;
  /** Starts the upload; rejects when it cannot (the sink is then unused). */
  create(): Promise<PartUpload>;
}

export interface PartUpload {
  /** Stores one part (numbers 1-10,000, in any order, not necessarily consecutive); `body` is reused once this settles. */
  uploadPart(partNumber: number, body: Buffer): Promise<void>;
  /** Joins the uploaded parts in number order into the file. */
  complete(): Promise<void>;
  /** Drops the upload and its parts (nothing is billed). Never rejects. */
  abort(reason: unknown): Promise<void>;
}

/** An export of at least `minRows` rows COPYs `ranges` id ranges in parallel (exportRanges); undefined or ranges <= 1: one stream. */
export interface ParallelRanges {
  readonly ranges: number;
  readonly minRows: number;
}

export interface ExportProgress {
  readonly rowsExported: number;
  /** Rows the export will hold, known once counted. */
  readonly rowsTotal: number | null;
}

export interface MembershipExportOptions {
  readonly pool: Pool;
  readonly userId: string;
  readonly sink: ExportSink;
  /** Columns, filters, format, dialect, zone, compression. Default: today's CSV. */
  readonly export?: ExportOptions | undefined;
  /** The file's bytes are also kept in memory while it is at most this big (for an email attachment). */
  readonly keepInMemoryUpToBytes: number;
  /** Stops the export; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called with the row count first, then after every chunk; keep it cheap. */
  readonly onProgress?: ((progress: ExportProgress) => void) | undefined;
  /** XLSX rows per sheet, header included (tests); default Excel's 1,048,576. */
  readonly xlsxMaxRowsPerSheet?: number | undefined;
  /**
   * Large uncompressed CSV and JSONL exports in parallel id ranges, each on a
   * connection of its own (the pool needs ranges - 1 more), into the sink's
   * parts; XLSX and gzip are one stream whatever their size (a workbook and a
   * gzip member cannot be cut and joined). Default: one stream.
   */
  readonly parallel?: ParallelRanges | undefined;
}

export interface ExportFileResult {
  /** Data rows (header lines are not counted). */
  readonly rows: number;
  /** Size of the stored file (compressed, when it is). */
  readonly bytes: number;
  /** Hex SHA-256 of the stored file. */
  readonly sha256: string;
  /** The whole stored file, when it is no bigger than `keepInMemoryUpToBytes`. */
  readonly content: Buffer | undefined;
}

/** How one format's rows become bytes: a source of the database's output, and the stages that make the file. */
interface FormatBody {
  readonly source: Readable;
  readonly stages: readonly Transform[];
  /** Rows that reached the file so far. */
  rows(): number;
  /** After the stream: PostgreSQL's own row count, and whether the bytes end between records. */
  check(): { sent: number; complete: boolean };
  settle(): void;
}

/**
 * Streams one user's memberships out of PostgreSQL into `sink`, as the job's
 * options say: CSV (any delimiter, BOM, CRLF) and JSON Lines straight from
 * `COPY ... TO STDOUT` (PostgreSQL formats, quotes and neutralises every
 * value; pg-copy-streams hands the bytes over with backpressure), XLSX from
 * the typed SELECT through a cursor; then gzip when asked. Memory stays flat
 * however many rows there are.
 *
 * The session settings (the time zone), the count and the rows run in one
 * REPEATABLE READ READ ONLY transaction, so the progress total and the file
 * describe the same snapshot; the rows that reached the file (counted before
 * compression) must equal both that count and PostgreSQL's own.
 *
 * Failures are tagged with the stage that failed (`database` or `storage`).
 */
export async function exportMemberships(options: MembershipExportOptions): Promise<ExportFileResult> {
  const { pool, userId, sink, signal } = options;
  const exportOptions = options.export ?? DEFAULT_EXPORT_OPTIONS;
  // Awaited later; marked handled now so a sink given up before streaming starts is no unhandled rejection.
  sink.done.catch(() => undefined);
  let client: PoolClient;
  try {
    signal?.throwIfAborted();
    client = await connect(pool);
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
  // A checked-out client has no pool listener: without this, a dropped connection would crash the process.
  let connectionError: unknown;
  const onClientError = (error: unknown) => {
    connectionError ??= error;
  };
  client.on('error', onClientError);
  let healthy = false;
  try {
    const rowsTotal = await database(() => beginAndCount(client, userId, exportOptions));
    options.onProgress?.({ rowsExported: 0, rowsTotal });
    signal?.throwIfAborted();

    if (sink.multipart && rangesApply(options.parallel, exportOptions, rowsTotal)) {
      const ranged = await exportRanges({
        pool,
        client,
        userId,
        options: exportOptions,
        multipart: sink.multipart,
        ranges: options.parallel.ranges,
        rowsTotal,
        keepInMemoryUpToBytes: options.keepInMemoryUpToBytes,
        signal,
        onProgress: options.onProgress,
      });
      if (ranged) {
        await database(() => client.query('COMMIT'));
        healthy = true;
        return ranged;
      }
      // No second connection to be had at once, or another parallel export runs: the same snapshot in one stream.
    }

    const onRows = (rowsExported: number) => options.onProgress?.({ rowsExported, rowsTotal });
    const body =
      exportOptions.format === 'xlsx'
        ? xlsxBody(client, userId, exportOptions, onRows, options.xlsxMaxRowsPerSheet)
        : copyBody(client, userId, exportOptions, onRows);
    const meter = new FileMeter(options.keepInMemoryUpToBytes);
    // zlib compresses on libuv's threadpool, off the event loop; large chunks keep the pushes few.
    const compression = exportOptions.compression === 'gzip' ? [createGzip({ level: GZIP_LEVEL, chunkSize: 128 * 1024 })] : [];
    try {
      await streamToSink(body.source, [...body.stages, ...compression, meter], sink, signal);
    } finally {
      body.settle();
    }

    await database(() => client.query('COMMIT'));
    healthy = true;
    const rows = body.rows();
    const { sent, complete } = body.check();
    // PostgreSQL's own row count and the snapshot's count must both match what reached the file.
    if (sent !== rows || rowsTotal !== rows || !complete) throw new ExportIntegrityError(sent !== rows ? sent : rowsTotal, rows);
    return { rows, ...meter.facts() };
  } catch (error) {
    await sink.abort(error);
    if (signal?.aborted) throw signal.reason;
    if (connectionError && !(error instanceof StageError)) throw new StageError('database', connectionError);
    throw error;
  } finally {
    client.off('error', onClientError);
    // A connection that broke, or was left mid-COPY or mid-cursor, is closed rather than returned to the pool.
    client.release(healthy ? undefined : true);
  }
}

/**
 * Opens the export's transaction, applies the session settings and counts,
 * in one round trip: a simple-query string of several statements runs in
 * order and stops at the first error (every statement is built from checked
 * values and escaped literals, none takes a parameter).
 */
async function beginAndCount(client: PoolClient, userId: string, options: ExportOptions): Promise<number> {
  const statements = ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', ...exportSessionSettings(options), countSelect(userId, options)];
  const results = (await client.query(statements.join('; '))) as unknown as QueryResult<{ count: string }>[];
  return Number(results.at(-1)?.rows[0]?.count ?? 0);
}

/**
 * Whether this export is written in parallel ranges: asked for, large
 * enough, and a format whose bytes can be cut at record ends and joined:
 * uncompressed CSV or JSONL (an XLSX workbook and a gzip member are one
 * stream each, so those keep the single stream whatever their size).
 */
function rangesApply(parallel: ParallelRanges | undefined, options: ExportOptions, rowsTotal: number): parallel is ParallelRanges {
  return (
    parallel !== undefined &&
    parallel.ranges > 1 &&
    rowsTotal >= parallel.minRows &&
    (options.format === 'csv' || options.format === 'jsonl') &&
    options.compression === 'none'
  );
}

/** CSV and JSON Lines: COPY's bytes, the dialect's BOM and CRLF, counted as the reader will count them. */
function copyBody(client: PoolClient, userId: string, options: ExportOptions, onRows: (rows: number) => void): FormatBody {
  const copy = client.query(copyTo(exportCopyStatement(userId, options)));
  // A CSV file has one header line; JSON Lines has none (every line is a row).
  const { stages, counter, rows } = recordStages(options, options.format === 'csv' ? 1 : 0, true, onRows);
  return {
    source: copy,
    stages,
    rows,
    check: () => ({ sent: copy.rowCount, complete: counter.complete }),
    settle: () => settleQueryDeadline(copy),
  };
}

/** XLSX: the typed rows through a cursor into the workbook writer. */
function xlsxBody(
  client: PoolClient,
  userId: string,
  options: ExportOptions,
  onRows: (rows: number) => void,
  maxRowsPerSheet: number | undefined,
): FormatBody {
  const cursor = new RowCursorStream(client, exportRowsQuery(userId, options));
  const writer = new XlsxWriter({ columns: options.columns, onRows, ...(maxRowsPerSheet ? { maxRowsPerSheet } : {}) });
  return {
    source: cursor,
    stages: [writer],
    rows: () => writer.rows,
    // The writer only finishes the archive after the last row, so a finished stream is a complete file.
    check: () => ({ sent: cursor.fetched, complete: true }),
    settle: () => undefined,
  };
}

async function connect(pool: Pool): Promise<PoolClient> {
  return database(() => pool.connect());
}

async function database<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new StageError('database', error);
  }
}

/** Runs source → stages → sink and waits until the sink has stored everything; on any failure stops them all. */
async function streamToSink(
  source: Readable,
  stages: readonly Transform[],
  sink: ExportSink,
  signal: AbortSignal | undefined,
): Promise<void> {
  // The first failure names the stage; the ones that follow are its echoes through the pipeline.
  let failure: StageError | undefined;
  const fail = (stage: 'database' | 'storage') => (error: unknown) => {
    failure ??= new StageError(stage, error);
  };
  source.once('error', fail('database'));
  sink.stream.once('error', fail('storage'));
  const stored = sink.done.catch((error: unknown) => {
    fail('storage')(error);
    throw failure;
  });

  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const piped = pipeline([source, ...stages, sink.stream], { signal: stop.signal }).catch((error: unknown) => {
    throw failure ?? (signal?.aborted ? signal.reason : new StageError('database', error));
  });
  try {
    await Promise.all([piped, stored]);
  } catch (error) {
    // Whichever side failed, the other must not run on: stop reading PostgreSQL and drop the upload.
    stop.abort(error);
    await Promise.allSettled([sink.abort(error), piped, stored]);
    if (signal?.aborted) throw signal.reason;
    throw failure ?? error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
