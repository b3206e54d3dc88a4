import { createHash } from 'node:crypto';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ExportOptions } from '@memberships/core/contract';
import {
  escapeLiteral,
  type ExportIdRange,
  exportRangeCopyStatement,
  exportSessionSettings,
  rangeStartsSelect,
} from '@memberships/core/postgres-client';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { settleQueryDeadline } from './copy-deadline';
import type { ExportFileResult, ExportProgress, MultipartSink, PartUpload } from './csv-export';
import { ExportIntegrityError, inStage, StageError } from './errors';
import { PartSequencer, type PlannedPart } from './range-export-parts';
import { recordStages } from './record-stages';
import { RangePartWriter, type SpoolSlice } from './range-export-writer';

/** How long a range may wait for a connection of its own before the export takes the single stream instead. */
const CONNECT_WAIT_MS = 1000;

/** One parallel-range export per process, so the pool never needs more than concurrency + ranges - 1 connections. */
let rangeExportRunning = false;

export interface RangeExportOptions {
  readonly pool: Pool;
  /** In the export's REPEATABLE READ READ ONLY transaction, session settings applied, rows counted. */
  readonly client: PoolClient;
  readonly userId: string;
  /** A CSV or JSONL export, uncompressed. */
  readonly options: ExportOptions;
  readonly multipart: MultipartSink;
  readonly ranges: number;
  /** The count `client`'s snapshot gave: the ranges' rows must add up to it. */
  readonly rowsTotal: number;
  readonly keepInMemoryUpToBytes: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((progress: ExportProgress) => void) | undefined;
}

/**
 * Writes one CSV or JSONL file as `ranges` id ranges COPYed in parallel, each
 * on a connection of its own, straight into the parts of a multipart upload
 * (range-export-parts.ts), so one large export uses as many of the
 * database's cores as it has ranges instead of one backend's.
 *
 * One snapshot for the whole file: `client`'s transaction (which counted)
 * exports its snapshot, and every other range's transaction imports it with
 * the same session settings before any COPY starts; `client` runs range 0
 * and stays open to the end. The ranges split the rows into about equal
 * counts by id, the export's order, so the parts joined in order are the
 * single COPY's bytes: the header (and BOM) in range 0 only, CRLF per range
 * (ranges end on record ends). Each range's rows must equal both its COPY's
 * row count and its records, and their sum the count.
 *
 * The SHA-256 is exact over the file's order: range 0 is hashed as it
 * streams; each later range spools its bytes to a temporary file (deleted
 * after) until the ranges before it are hashed, then hashes the spool and
 * goes on hashing as it streams (range-export-writer.ts), so the hashing
 * overlaps the COPYs instead of following them.
 *
 * Resolves undefined, having touched neither the sink nor the transaction,
 * when another parallel export runs in this process or a range's connection
 * cannot be had within a second: the caller then writes one stream on the
 * same snapshot. Failures are tagged like the single stream's ('database',
 * 'storage'); any failure or the signal stops every range and aborts the upload.
 */
export async function exportRanges(request: RangeExportOptions): Promise<ExportFileResult | undefined> {
  const ranges = Math.min(request.ranges, request.rowsTotal);
  if (rangeExportRunning || ranges < 2) return undefined;
  rangeExportRunning = true;
  try {
    return await exportRangesOnce(request, ranges);
  } finally {
    rangeExportRunning = false;
  }
}

/** The row positions (1-based) where ranges 2 to `ranges` of `rowsTotal` rows begin: about rowsTotal / ranges rows each. */
export function rangeStartPositions(rowsTotal: number, ranges: number): number[] {
  return Array.from({ length: ranges - 1 }, (_, i) => Math.floor(((i + 1) * rowsTotal) / ranges) + 1);
}

/** The ranges that the ids starting ranges 2 to n (ascending) cut the rows into: the first open below, the last above. */
export function idRangesFromStarts(starts: readonly string[]): ExportIdRange[] {
  return Array.from({ length: starts.length + 1 }, (_, i) => ({ fromId: starts[i - 1], toId: starts[i] }));
}

async function exportRangesOnce(request: RangeExportOptions, ranges: number): Promise<ExportFileResult | undefined> {
  const { client, userId, options, rowsTotal } = request;
  const positions = rangeStartPositions(rowsTotal, ranges);
  const [bounds, extras] = await Promise.allSettled([
    inStage('database', async () => {
      const [snapshot, starts] = (await client.query(
        `SELECT pg_export_snapshot() AS snapshot; ${rangeStartsSelect(userId, options, positions)}`,
      )) as unknown as [QueryResult<{ snapshot: string }>, QueryResult<{ id: string }>];
      const ids = starts.rows.map((row) => row.id);
      // Positions within the count of the same snapshot always have a row; anything else is no plan to run.
      if (ids.length !== positions.length || ids.some((id) => typeof id !== 'string'))
        throw new Error(`range starts: ${JSON.stringify(ids)} for positions ${positions.join(', ')} of ${rowsTotal} rows`);
      return { snapshot: String(snapshot.rows[0]?.snapshot), starts: ids };
    }),
    connectAll(request.pool, ranges - 1),
  ]);
  if (extras.status === 'rejected' || bounds.status === 'rejected') {
    if (extras.status === 'fulfilled') for (const extra of extras.value) extra.release();
    if (bounds.status === 'rejected') throw bounds.reason;
    return undefined;
  }
  const { snapshot, starts } = bounds.value;
  const connections = [client, ...extras.value];
  const idRanges = idRangesFromStarts(starts);

  // A checked-out client has no pool listener: without this, a dropped connection would crash the process.
  let connectionError: unknown;
  const onError = (error: unknown) => {
    connectionError ??= error;
  };
  for (const extra of extras.value) extra.on('error', onError);
  let healthy = false;
  let upload: PartUpload | undefined;
  let spoolDir: string | undefined;
  const spools: FileHandle[] = [];
  try {
    const imported = [
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      `SET TRANSACTION SNAPSHOT ${escapeLiteral(snapshot)}`,
      ...exportSessionSettings(options),
    ].join('; ');
    await inStage('database', () => Promise.all(extras.value.map((extra) => extra.query(imported))));
    request.signal?.throwIfAborted();
    upload = await inStage('storage', () => request.multipart.create());
    spoolDir = await mkdtemp(path.join(tmpdir(), 'range-export-'));
    for (let i = 1; i < ranges; i += 1) spools.push(await open(path.join(spoolDir, `range-${i}`), 'w+'));

    const hash = createHash('sha256');
    const result = await streamRanges({ request, upload, connections, idRanges, hash, spools });
    await inStage('database', () => Promise.all(extras.value.map((extra) => extra.query('COMMIT'))));
    healthy = true;
    // A file small enough to attach: range 0 kept its bytes, the others' are all in their spools.
    const content = result.bytes <= request.keepInMemoryUpToBytes ? result.kept : undefined;
    if (content)
      for (const spool of spools)
        for await (const chunk of spool.createReadStream({ start: 0, autoClose: false })) content.push(chunk as Buffer);
    await inStage('storage', () => upload!.complete());
    return { rows: result.rows, bytes: result.bytes, sha256: hash.digest('hex'), content: content && Buffer.concat(content) };
  } catch (error) {
    await upload?.abort(error);
    if (connectionError && !(error instanceof StageError) && !request.signal?.aborted) throw new StageError('database', connectionError);
    throw error;
  } finally {
    await Promise.allSettled(spools.map((spool) => spool.close()));
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    for (const extra of extras.value) {
      extra.off('error', onError);
      // A connection left mid-COPY (or that broke) is closed rather than returned to the pool.
      extra.release(healthy ? undefined : true);
    }
  }
}

interface StreamedRanges {
  readonly rows: number;
  readonly bytes: number;
  /** Range 0's bytes, while small enough to attach. */
  readonly kept: Buffer[] | undefined;
}

/** Runs every range's COPY → dialect → part writer at once; on the first failure (or the signal) stops them all. */
async function streamRanges(work: {
  request: RangeExportOptions;
  upload: PartUpload;
  connections: readonly PoolClient[];
  idRanges: readonly ExportIdRange[];
  hash: ReturnType<typeof createHash>;
  spools: readonly FileHandle[];
}): Promise<StreamedRanges> {
  const { request, upload, connections, idRanges } = work;
  const { options, signal } = request;
  const partBytes = Math.max(request.multipart.partBytes, request.multipart.minPartBytes);
  const sequencer = new PartSequencer<Buffer | SpoolSlice>(idRanges.length);
  const stop = new AbortController();
  // The first failure names the stage; the ones that follow are its echoes.
  let failure: unknown;
  const fail = (stage: 'database' | 'storage') => (error: unknown) => {
    failure ??= new StageError(stage, error);
    stop.abort(failure);
  };
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const seams: Promise<void>[] = [];
  const uploadPlanned = (parts: readonly PlannedPart<Buffer | SpoolSlice>[]) => {
    for (const part of parts)
      seams.push(
        partBody(part.chunks)
          .then((body) => upload.uploadPart(part.partNumber, body))
          .catch(fail('storage')),
      );
  };
  const rowsByRange = idRanges.map(() => 0);
  const onRows = (range: number) => (rows: number) => {
    rowsByRange[range] = rows;
    request.onProgress?.({ rowsExported: rowsByRange.reduce((sum, n) => sum + n, 0), rowsTotal: request.rowsTotal });
  };

  const bodies = idRanges.map((idRange, range) => {
    const body = rangeBody(connections[range]!, request.userId, options, idRange, range === 0, onRows(range));
    const writer = new RangePartWriter({
      partBytes,
      onHead: (head) => uploadPlanned(sequencer.long(range, head)),
      partNumber: (index) => sequencer.partNumber(range, index),
      uploadPart: (partNumber, part) => upload.uploadPart(partNumber, part),
      onEnd: (rest) => uploadPlanned(sequencer.finish(range, [rest])),
      hash: work.hash,
      ...(range === 0 ? { keepUpToBytes: request.keepInMemoryUpToBytes } : { spool: work.spools[range - 1] }),
    });
    body.source.once('error', fail('database'));
    writer.once('error', fail('storage'));
    const piped = pipeline([body.source, ...body.stages, writer], { signal: stop.signal }).catch((error: unknown) => {
      throw failure ?? (signal?.aborted ? signal.reason : new StageError('database', error));
    });
    return { body, writer, piped };
  });
  // The hash's turn goes down the ranges: each takes it once every range before it is in the hash.
  const hashed = (async () => {
    for (const [range, { writer }] of bodies.entries()) {
      if (range > 0) writer.startTurn();
      await writer.hashed;
    }
  })();
  // Awaited once the ranges streamed; after a failure it may never settle, and nothing waits for it.
  hashed.catch(() => undefined);
  try {
    await Promise.all(bodies.map((range) => range.piped));
    await Promise.all(seams);
    if (failure) throw failure;
    await hashed;
  } catch (error) {
    stop.abort(error);
    await Promise.allSettled([...bodies.map((range) => range.piped), ...seams]);
    if (signal?.aborted) throw signal.reason;
    throw failure ?? error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const range of bodies) settleQueryDeadline(range.body.copy);
  }

  let rows = 0;
  for (const { body } of bodies) {
    const counted = body.rows();
    // PostgreSQL's own row count for the range and the records that reached the file must match.
    if (body.copy.rowCount !== counted || !body.counter.complete) throw new ExportIntegrityError(body.copy.rowCount, counted);
    rows += counted;
  }
  if (rows !== request.rowsTotal) throw new ExportIntegrityError(request.rowsTotal, rows);
  return { rows, bytes: bodies.reduce((sum, range) => sum + range.writer.bytes, 0), kept: bodies[0]!.writer.kept };
}

/** A planned part's bytes: spooled heads read back; a lone Buffer (range 0's head) as it is, no copy. */
async function partBody(chunks: readonly (Buffer | SpoolSlice)[]): Promise<Buffer> {
  const buffers = await Promise.all(
    chunks.map(async (chunk) => {
      if (Buffer.isBuffer(chunk)) return chunk;
      const { buffer, bytesRead } = await chunk.spool.read(Buffer.allocUnsafe(chunk.length), 0, chunk.length, chunk.position);
      if (bytesRead !== chunk.length) throw new Error(`read ${bytesRead} of a spooled head's ${chunk.length} bytes`);
      return buffer;
    }),
  );
  return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
}

/** One range's COPY and the dialect's stages: the BOM and the header only in the first range. */
function rangeBody(
  client: PoolClient,
  userId: string,
  options: ExportOptions,
  idRange: ExportIdRange,
  first: boolean,
  onRows: (rows: number) => void,
) {
  const header = options.format === 'csv' && first ? 1 : 0;
  const copy = client.query(copyTo(exportRangeCopyStatement(userId, options, idRange, header === 1)));
  const { stages, counter, rows } = recordStages(options, header, first, onRows);
  return { source: copy, copy, stages, counter, rows };
}

/** `count` more connections, each within CONNECT_WAIT_MS; rejects (having released those it got) when one is not had in time. */
async function connectAll(pool: Pool, count: number): Promise<PoolClient[]> {
  const attempts = Array.from({ length: count }, () => connectWithin(pool, CONNECT_WAIT_MS));
  const settled = await Promise.allSettled(attempts);
  const got = settled.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
  if (got.length === count) return got;
  for (const extra of got) extra.release();
  throw (settled.find((attempt) => attempt.status === 'rejected') as PromiseRejectedResult).reason;
}

function connectWithin(pool: Pool, ms: number): Promise<PoolClient> {
  const connecting = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      // Whenever it comes, the late connection goes back to the pool unused.
      connecting.then((extra) => extra.release()).catch(() => undefined);
      reject(new Error(`no database connection within ${ms} ms`));
    }, ms);
  });
  return Promise.race([connecting, late]).finally(() => clearTimeout(timer));
}
