import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22; // "
const NEWLINE = 0x0a; // \n
const CR = 0x0d; // \r

/**
 * Turns the LF that ends each CSV record (COPY writes LF) into CRLF, as
 * RFC 4180 and Excel on Windows expect, and leaves every line break inside a
 * quoted field exactly as stored: it is data, and a notes field's own
 * newlines must come back as they went in.
 *
 * Quotes are tracked as in CsvRecordCounter: every '"' toggles the quoted
 * state (an escaped "" toggles twice), and the state carries over chunk
 * boundaries, so a chunk may end anywhere. A chunk with no record end
 * passes through as it is; one with some is copied once into a buffer of
 * its final size. It counts the records it ends as it goes (CsvRecordCounter's count, without
 * scanning the bytes twice).
 */
export class CrlfRecordEnds extends Transform {
  private quoted = false;
  private count = 0;
  /** Record ends found in the chunk being converted (reused: no allocation per chunk). */
  private ends = new Int32Array(64 * 1024);

  constructor(private readonly onChunk?: (records: number) => void) {
    super({ highWaterMark: 256 * 1024 });
  }

  /** Records ended so far: this stage also counts them, so the CSV needs no second scan. */
  get records(): number {
    return this.count;
  }

  /** True when the input so far ends outside quotes. */
  get complete(): boolean {
    return !this.quoted;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const converted = this.convert(chunk);
    this.onChunk?.(this.count);
    callback(null, converted);
  }

  /** The chunk with its record-ending LFs as CRLF (the same buffer when it has none). */
  convert(chunk: Buffer): Buffer {
    const length = chunk.length;
    if (this.ends.length < length) this.ends = new Int32Array(length);
    const ends = this.ends;
    let found = 0;
    let quoted = this.quoted;
    // A plain loop over the bytes: text columns are always quoted, so quotes come every few bytes and
    // a native search per quote costs more in calls than this JIT-compiled loop does in bytes (measured).
    for (let i = 0; i < length; i += 1) {
      const byte = chunk[i];
      if (byte === QUOTE) quoted = !quoted;
      else if (byte === NEWLINE && !quoted) ends[found++] = i;
    }
    this.quoted = quoted;
    this.count += found;
    if (found === 0) return chunk;
    // One buffer of the final size, filled segment by segment: no Buffer object per record.
    const out = Buffer.allocUnsafe(length + found);
    let from = 0;
    let to = 0;
    for (let i = 0; i < found; i += 1) {
      const newline = ends[i]!;
      to += chunk.copy(out, to, from, newline);
      out[to++] = CR;
      out[to++] = NEWLINE;
      from = newline + 1;
    }
    if (from < length) chunk.copy(out, to, from, length);
    return out;
  }
}
