import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { IntegrityError } from './errors.js';

/** Where `exports.download()` puts the file. */
export type DownloadTarget =
  /**
   * A file path. The file appears complete or not at all: bytes go to a
   * temporary file beside it, which is checked and then renamed over `path`.
   */
  | { readonly path: string }
  /**
   * A folder: the file is saved in it under its own name,
   * `memberships-<day>-<id>.csv` (`.xlsx`, `.jsonl`, `.csv.gz`, ... by the
   * job's options), as a path target (a file of that name is replaced).
   */
  | { readonly directory: string }
  /**
   * A writable stream (a socket, `process.stdout`, an upload). It is ended when
   * the file is complete unless `end: false`. The checksum can only be checked
   * after the bytes went out: an IntegrityError then tells the consumer to
   * discard what it received.
   */
  | { readonly stream: Writable; readonly end?: boolean };

export interface ExpectedFile {
  readonly sha256?: string | undefined;
  readonly bytes?: number | undefined;
}

export interface WrittenFile {
  readonly bytes: number;
  /** Hex SHA-256 of the bytes written. */
  readonly sha256: string;
  /** The final path, for path targets. */
  readonly path?: string;
}

/** Streams `body` into the target (a folder already resolved to a path), hashing and counting on the way, in bounded memory. */
export async function writeDownload(
  jobId: string,
  body: ReadableStream<Uint8Array>,
  target: Exclude<DownloadTarget, { readonly directory: string }>,
  expected: ExpectedFile,
  signal?: AbortSignal,
): Promise<WrittenFile> {
  const meter = new Meter();
  const source = Readable.fromWeb(body as WebReadableStream<Uint8Array>);
  if ('stream' in target) {
    await pipeline(source, meter, target.stream, { end: target.end ?? true, ...(signal ? { signal } : {}) });
    return check(jobId, meter, expected);
  }

  const partial = join(dirname(target.path), `.${basename(target.path)}.${randomUUID().slice(0, 8)}.part`);
  try {
    // `flush` syncs the file before close, so the rename never exposes a file
    // whose bytes are still only in the page cache.
    await pipeline(source, meter, createWriteStream(partial, { flags: 'wx', flush: true }), signal ? { signal } : {});
    const written = check(jobId, meter, expected);
    await rename(partial, target.path);
    return { ...written, path: target.path };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

function check(jobId: string, meter: Meter, expected: ExpectedFile): WrittenFile {
  const actual = { bytes: meter.bytes, sha256: meter.digest() };
  const shaMismatch = expected.sha256 !== undefined && expected.sha256.toLowerCase() !== actual.sha256;
  const sizeMismatch = expected.bytes !== undefined && expected.bytes !== actual.bytes;
  if (shaMismatch || sizeMismatch) throw new IntegrityError(jobId, expected, actual);
  return actual;
}

/** Passes bytes through unchanged while counting and hashing them. */
class Meter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
