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
  /** The file's hash, fed in the file's order: by range 0 as its bytes come, by the others from their turn on. */
  readonly hash: Hash;
  /**
   * Other ranges: a temporary file all their bytes are kept in, so the ones that came before the range's
   * turn (startTurn) can be hashed then, and a small file's read back for the attachment. Range 0 has
   * none: its turn is from the start.
   */
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
 *
 * The hash takes the file's bytes in order, so a later range waits for its
 * turn: until every range before it is in the hash, its bytes are only
 * spooled. At its turn (startTurn) it hashes what it spooled and what fills
 * its part, between two of its chunks, and from then on every chunk as it
 * comes; a range that ended before its turn is hashed from its spool then.
 * So the ranges' hashing overlaps their streaming, and once the last range
 * ends its bytes are hashed already (`hashed`).
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
  /** Bytes in the spool file, from its start. */
  private spooled = 0;
  /** The range's turn came: the ranges before it are in the hash. */
  private turn: boolean;
  /** Its bytes so far are in the hash, and the ones to come go there as they come. */
  private live: boolean;
  private ended = false;
  private resolveHashed!: () => void;
  private rejectHashed!: (error: unknown) => void;
  /** Resolves once every byte of the range is in the hash (after its turn and its end). */
  readonly hashed: Promise<void>;

  constructor(private readonly options: RangePartWriterOptions) {
    super({ highWaterMark: 256 * 1024 });
    this.part = Buffer.allocUnsafe(options.partBytes);
    this.turn = this.live = options.spool === undefined;
    this.hashed = new Promise<void>((resolve, reject) => {
      this.resolveHashed = resolve;
      this.rejectHashed = reject;
    });
    // Awaited only once the ranges streamed; a failed stream leaves it pending or rejected, unawaited.
    this.hashed.catch(() => undefined);
  }

  /** Every range before this one is in the hash: this one's bytes go there now. */
  startTurn(): void {
    if (this.turn) return;
    this.turn = true;
    // Ended before its turn: everything it had is in the spool. Otherwise its next chunk (or its end) catches up.
    if (this.ended) this.catchUp(false).then(this.resolveHashed, this.rejectHashed);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.turn && !this.live) await this.catchUp(true);
    this.bytes += chunk.length;
    if (this.live) this.options.hash.update(chunk);
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
    await this.toSpool(full);
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
    if (this.turn && !this.live) await this.catchUp(true);
    const rest = this.part.subarray(0, this.filled);
    await this.toSpool(rest);
    await this.uploading;
    this.options.onEnd(rest);
    this.ended = true;
    if (this.live) this.resolveHashed();
    // The turn came while the tail was being spooled: the spool has everything.
    else if (this.turn) await this.catchUp(false).then(this.resolveHashed, this.rejectHashed);
  }

  private async toSpool(bytes: Buffer): Promise<void> {
    const { spool } = this.options;
    if (!spool) return;
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await spool.write(bytes, offset, bytes.length - offset, this.spooled);
      offset += bytesWritten;
      this.spooled += bytesWritten;
    }
  }

  /**
   * The range's turn: what it spooled goes into the hash, then (`withPart`)
   * the bytes filling its part, not spooled yet; from then on it is live.
   */
  private async catchUp(withPart: boolean): Promise<void> {
    const { spool, hash } = this.options;
    if (spool && this.spooled > 0) {
      for await (const chunk of spool.createReadStream({ start: 0, end: this.spooled - 1, autoClose: false })) hash.update(chunk as Buffer);
    }
    if (withPart) hash.update(this.part.subarray(0, this.filled));
    this.live = true;
  }
}
