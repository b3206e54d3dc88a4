import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_EXPORT_OPTIONS, exportContentType, type ExportOptions } from '@memberships/core/contract';
import { countSelect, exportCopyStatement, exportRowsQuery, exportSessionSettings } from '@memberships/core/postgres';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CsvRecordCounter } from './csv-record-counter';
import { CrlfRecordEnds } from './crlf-record-ends';
import { ExportIntegrityError, StageError } from './errors';
import { FileMeter, type RecordCounter, RecordCountingStream } from './export-meter';
import { LineCounter } from './line-counter';
import { RowCursorStream } from './row-cursor';
import { Utf8BomPrefix } from './utf8-bom';
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
    const rowsTotal = await database(async () => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      for (const statement of exportSessionSettings(exportOptions)) await client.query(statement);
      const { rows } = await client.query<{ count: string }>(countSelect(userId, exportOptions));
      return Number(rows[0]?.count ?? 0);
    });
    options.onProgress?.({ rowsExported: 0, rowsTotal });
    signal?.throwIfAborted();

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

/** CSV and JSON Lines: COPY's bytes, the dialect's BOM and CRLF, counted as the reader will count them. */
function copyBody(client: PoolClient, userId: string, options: ExportOptions, onRows: (rows: number) => void): FormatBody {
  const copy = client.query(copyTo(exportCopyStatement(userId, options)));
  const csv = options.format === 'csv';
  const stages: Transform[] = [];
  if (csv && options.csv.bom) stages.push(new Utf8BomPrefix());
  // A CSV file has one header line; JSON Lines has none (every line is a row).
  const header = csv ? 1 : 0;
  // What counts the records that reach the file: the CRLF stage itself when there is one (no second scan).
  let counter: Pick<RecordCounter, 'records' | 'complete'>;
  if (csv && options.csv.lineEnding === 'crlf') {
    const crlf = new CrlfRecordEnds((records) => onRows(Math.max(0, records - header)));
    stages.push(crlf);
    counter = crlf;
  } else {
    const records = csv ? new CsvRecordCounter() : new LineCounter();
    stages.push(new RecordCountingStream(records, header, onRows));
    counter = records;
  }
  return {
    source: copy,
    stages,
    rows: () => Math.max(0, counter.records - header),
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

/**
 * node-postgres arms a timer per query when `query_timeout` is set and clears
 * it in the query's callback, which pg-copy-streams never calls. Without this
 * the timer outlives the COPY (holding the process open for the whole
 * deadline) and then fires on a finished query. While the COPY runs, the timer
 * is the deadline that ends a server that stopped answering.
 */
function settleQueryDeadline(copy: object): void {
  const settle = (copy as { callback?: unknown }).callback;
  if (typeof settle === 'function') (settle as () => void)();
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
