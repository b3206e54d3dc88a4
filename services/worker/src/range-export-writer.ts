import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/** Bytes kept in a range's spool file: read back when their part is uploaded. */
export interface SpoolSlice {
  readonly spool: FileHandle;
  readonly position: number;
  readonly length: number;
}

export interface RangePartWriterOptions {
  /** Size of every full part. */
  readonly partBytes: number;
  /**
   * The range's first full part, once a byte after it shows the range is
   * longer (the head waits for the ranges before it): as a slice of the spool
   * when there is one, so the wait holds no memory.
   */
  readonly onHead: (head: Buffer | SpoolSlice) => void;
  /** Number of the range's `index`-th full part after its head. */
  readonly partNumber: (index: number) => number;
  /** Stores one full part. */
  readonly uploadPart: (partNumber: number, body: Buffer) => Promise<void>;
  /** The range has ended: what follows its last full part (all of it when it never filled one). */
  readonly onEnd: (rest: Buffer) => void;
  /** Range 0: the file's hash, fed as the bytes come (in the file's order). */
  readonly hash?: Hash | undefined;
  /** Other ranges: a temporary file their bytes are kept in until the ranges before them are hashed. */
  readonly spool?: FileHandle | undefined;
  /** Range 0: its bytes are kept in memory while they are at most this many (for an attachment). */
  readonly keepUpToBytes?: number | undefined;
}

/**
 * The end of one range's pipeline: cuts the range's bytes into parts of
 * `partBytes`, uploading each full one while the next fills (one upload in
 * flight per range, so memory is about two parts per range: the part
 * filling, the part uploading; range 0's head, which has no spool, is
 * uploaded at once). A full part is only sent once a byte
 * after it arrives, so the range's tail is never a full part that could have
 * been a middle one, and a range of exactly one part stays a short range.
 */
export class RangePartWriter extends Writable {
  private part: Buffer;
  private filled = 0;
  private fullParts = 0;
  private headSent = false;
  private uploading: Promise<void> = Promise.resolve();
  /** The part being uploaded; it fills again once stored (no new 8 MiB buffer per part). */
  private uploadingPart: Buffer | undefined;
  /** Bytes written so far. */
  bytes = 0;
  /** The range's bytes while within keepUpToBytes; undefined once over. */
  kept: Buffer[] | undefined = [];

  constructor(private readonly options: RangePartWriterOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.part = Buffer.allocUnsafe(options.partBytes);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  private async take(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    this.options.hash?.update(chunk);
    if (this.kept) {
      if (this.bytes <= (this.options.keepUpToBytes ?? 0)) this.kept.push(chunk);
      else this.kept = undefined;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === this.part.length) await this.sendFullPart();
      const copied = chunk.copy(this.part, this.filled, offset);
      this.filled += copied;
      offset += copied;
    }
  }

  /** The part is full and more bytes follow: the head goes to the sequencer, later parts up their block. */
  private async sendFullPart(): Promise<void> {
    const full = this.part;
    await this.options.spool?.writeFile(full);
    if (this.headSent) {
      const partNumber = this.options.partNumber(this.fullParts);
      this.fullParts += 1;
      // One upload in flight: the previous must be stored before this one starts.
      await this.uploading;
      const stored = this.uploadingPart;
      this.uploadingPart = full;
      this.uploading = this.options.uploadPart(partNumber, full);
      // Marked handled here; awaited (and its failure surfaced) before the next part or at the end.
      this.uploading.catch(() => undefined);
      this.part = stored ?? Buffer.allocUnsafe(this.options.partBytes);
    } else {
      this.headSent = true;
      const { spool } = this.options;
      // With a spool the head is read back from it when its turn comes, and its buffer fills again now.
      this.options.onHead(spool ? { spool, position: 0, length: full.length } : full);
      this.part = spool ? full : Buffer.allocUnsafe(this.options.partBytes);
    }
    this.filled = 0;
  }

  private async finish(): Promise<void> {
    const rest = this.part.subarray(0, this.filled);
    await this.options.spool?.writeFile(rest);
    await this.uploading;
    this.options.onEnd(rest);
  }
}
