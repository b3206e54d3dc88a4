import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** What counts the records of a file's bytes as they stream (CsvRecordCounter, LineCounter). */
export interface RecordCounter {
  push(chunk: Uint8Array): void;
  /** Records completed so far. */
  readonly records: number;
  /** False while the bytes so far end inside a record (an incomplete file). */
  readonly complete: boolean;
}

/**
 * Passes the file's bytes through unchanged while counting its records, so
 * the rows that reached the file can be checked against PostgreSQL's count.
 * It sits after the dialect's transforms (BOM, CRLF) and before compression:
 * it counts exactly the records a reader of the file will find.
 */
export class RecordCountingStream extends Transform {
  constructor(
    private readonly counter: RecordCounter,
    /** Records before the first row (the CSV header line). */
    private readonly headerRecords: number,
    private readonly onChunk?: (rows: number) => void,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.counter.push(chunk);
    this.onChunk?.(this.rows);
    callback(null, chunk);
  }

  /** Data rows so far (header lines not counted). */
  get rows(): number {
    return Math.max(0, this.counter.records - this.headerRecords);
  }

  /** True when the bytes so far end between records. */
  get complete(): boolean {
    return this.counter.complete;
  }
}

/** The stored file's facts. */
export interface FileFacts {
  readonly bytes: number;
  /** Hex SHA-256 of the stored bytes (compressed, when the file is). */
  readonly sha256: string;
  /** The whole file, when it is no bigger than the limit it was metered with. */
  readonly content: Buffer | undefined;
}

/**
 * The last stage before the sink: hashes and measures the bytes exactly as
 * stored (after compression), and keeps them in memory only while the file
 * stays small enough to attach.
 */
export class FileMeter extends Transform {
  private readonly hash = createHash('sha256');
  private total = 0;
  private kept: Buffer[] | undefined = [];

  constructor(private readonly keepUpToBytes: number) {
    // 256 KiB before the sink: enough to smooth bursts, small enough to keep memory flat.
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.total += chunk.length;
    if (this.kept) {
      if (this.total <= this.keepUpToBytes) this.kept.push(chunk);
      else this.kept = undefined; // too big to attach: let the memory go at once
    }
    callback(null, chunk);
  }

  get bytes(): number {
    return this.total;
  }

  /** Call once, after the stream ended. */
  facts(): FileFacts {
    return {
      bytes: this.total,
      sha256: this.hash.digest('hex'),
      content: this.kept ? Buffer.concat(this.kept, this.total) : undefined,
    };
  }
}
