import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { countSelect, exportCopyStatement } from '@memberships/core/postgres';
import type { Pool, PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CsvRecordCounter } from './csv-record-counter';
import { ExportIntegrityError, StageError } from './errors';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Where the CSV bytes go: an S3 upload in the worker, a file in the benchmark. */
export interface CsvSink {
  /** Receives the bytes, with backpressure. */
  readonly stream: Writable;
  /** Resolves once the bytes are stored; rejects when storing failed. */
  readonly done: Promise<void>;
  /** Gives up storing (the export failed or was stopped); resolves once nothing half-written is left. Never rejects. */
  abort(reason: unknown): Promise<void>;
}

export interface CsvExportProgress {
  readonly rowsExported: number;
  /** Rows the export will hold, known once counted. */
  readonly rowsTotal: number | null;
}

export interface CsvExportOptions {
  readonly pool: Pool;
  readonly userId: string;
  readonly sink: CsvSink;
  /** The file's bytes are also kept in memory while it is at most this big (for an email attachment). */
  readonly keepInMemoryUpToBytes: number;
  /** Stops the export; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
  /** Called with the row count first, then after every chunk; keep it cheap. */
  readonly onProgress?: ((progress: CsvExportProgress) => void) | undefined;
}

export interface CsvExportResult {
  /** Data rows (the header line is not counted). */
  readonly rows: number;
  readonly bytes: number;
  /** Hex SHA-256 of the file. */
  readonly sha256: string;
  /** The whole file, when it is no bigger than `keepInMemoryUpToBytes`. */
  readonly content: Buffer | undefined;
}

/**
 * Passes the CSV bytes through unchanged while counting records, hashing and
 * measuring them in the same pass, and keeping them in memory only as long as
 * the file stays small enough to attach.
 */
export class CsvMeter extends Transform {
  private readonly counter = new CsvRecordCounter();
  private readonly hash = createHash('sha256');
  private total = 0;
  private kept: Buffer[] | undefined = [];

  constructor(
    private readonly keepUpToBytes: number,
    private readonly onChunk?: (meter: CsvMeter) => void,
  ) {
    // 256 KiB between COPY and the sink: enough to smooth bursts, small enough to keep memory flat.
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counter.push(chunk);
    this.hash.update(chunk);
    this.total += chunk.length;
    if (this.kept) {
      if (this.total <= this.keepUpToBytes) this.kept.push(chunk);
      else this.kept = undefined; // too big to attach: let the memory go at once
    }
    this.onChunk?.(this);
    callback(null, chunk);
  }

  /** Data rows so far: records minus the header line. */
  get rows(): number {
    return Math.max(0, this.counter.records - 1);
  }

  get bytes(): number {
    return this.total;
  }

  /** True when the input so far ends in the middle of a quoted field (an incomplete file). */
  get endsInsideQuotes(): boolean {
    return this.counter.insideQuotes;
  }

  /** Call once, after the stream ended. */
  result(): CsvExportResult {
    return {
      rows: this.rows,
      bytes: this.total,
      sha256: this.hash.digest('hex'),
      content: this.kept ? Buffer.concat(this.kept, this.total) : undefined,
    };
  }
}

/**
 * Streams one user's memberships out of PostgreSQL as CSV into `sink`.
 *
 * PostgreSQL does the work: `COPY (SELECT ...) TO STDOUT WITH CSV HEADER`
 * formats and quotes every value, and pg-copy-streams hands the bytes over
 * with backpressure, so memory stays flat however many rows there are. The
 * count and the COPY run in one REPEATABLE READ READ ONLY transaction, so the
 * progress total and the file describe the same snapshot.
 *
 * Failures are tagged with the stage that failed (`database` or `storage`).
 */
export async function exportMembershipsCsv(options: CsvExportOptions): Promise<CsvExportResult> {
  const { pool, userId, sink, signal } = options;
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
      const { rows } = await client.query<{ count: string }>(countSelect(userId));
      return Number(rows[0]?.count ?? 0);
    });
    options.onProgress?.({ rowsExported: 0, rowsTotal });
    signal?.throwIfAborted();

    const meter = new CsvMeter(options.keepInMemoryUpToBytes, (m) => options.onProgress?.({ rowsExported: m.rows, rowsTotal }));
    const copy = client.query(copyTo(exportCopyStatement(userId)));
    try {
      await streamToSink(copy, meter, sink, signal);
    } finally {
      settleQueryDeadline(copy);
    }

    await database(() => client.query('COMMIT'));
    healthy = true;
    // PostgreSQL's own row count (from COPY's command tag) must match what reached the sink.
    if (copy.rowCount !== meter.rows || meter.endsInsideQuotes) throw new ExportIntegrityError(copy.rowCount, meter.rows);
    return meter.result();
  } catch (error) {
    await sink.abort(error);
    if (signal?.aborted) throw signal.reason;
    if (connectionError && !(error instanceof StageError)) throw new StageError('database', connectionError);
    throw error;
  } finally {
    client.off('error', onClientError);
    // A connection that broke, or was left mid-COPY, is closed rather than returned to the pool.
    client.release(healthy ? undefined : true);
  }
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

/** Runs COPY → meter → sink and waits until the sink has stored everything; on any failure stops all three. */
async function streamToSink(copy: Readable, meter: CsvMeter, sink: CsvSink, signal: AbortSignal | undefined): Promise<void> {
  // The first failure names the stage; the ones that follow are its echoes through the pipeline.
  let failure: StageError | undefined;
  const fail = (stage: 'database' | 'storage') => (error: unknown) => {
    failure ??= new StageError(stage, error);
  };
  copy.once('error', fail('database'));
  sink.stream.once('error', fail('storage'));
  const stored = sink.done.catch((error: unknown) => {
    fail('storage')(error);
    throw failure;
  });

  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const piped = pipeline(copy, meter, sink.stream, { signal: stop.signal }).catch((error: unknown) => {
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
