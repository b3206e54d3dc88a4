import { Transform, type TransformCallback } from 'node:stream';

const QUOTE = 0x22; // "
const NEWLINE = 0x0a; // \n
const CRLF = Buffer.from('\r\n');

/**
 * Turns the LF that ends each CSV record (COPY writes LF) into CRLF, as
 * RFC 4180 and Excel on Windows expect, and leaves every line break inside a
 * quoted field exactly as stored: it is data, and a notes field's own
 * newlines must come back as they went in.
 *
 * Quotes are tracked as in CsvRecordCounter: every '"' toggles the quoted
 * state (an escaped "" toggles twice), and the state carries over chunk
 * boundaries, so a chunk may end anywhere. The scan is native
 * Buffer.indexOf searches; a chunk with no record end passes through as it is.
 */
export class CrlfRecordEnds extends Transform {
  private quoted = false;

  constructor() {
    super({ highWaterMark: 256 * 1024 });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.convert(chunk));
  }

  /** The chunk with its record-ending LFs as CRLF (the same buffer when it has none). */
  convert(chunk: Buffer): Buffer {
    const length = chunk.length;
    const parts: Buffer[] = [];
    let copiedUpTo = 0;
    let position = 0;
    // As in CsvRecordCounter: the next newline a search already found past a quote (-1: none left, -2: not searched yet).
    let nextNewline = -2;
    while (position < length) {
      const quote = chunk.indexOf(QUOTE, position);
      if (this.quoted) {
        if (quote === -1) break;
        this.quoted = false;
        position = quote + 1;
        continue;
      }
      const end = quote === -1 ? length : quote;
      if (nextNewline !== -1 && nextNewline < position) nextNewline = chunk.indexOf(NEWLINE, position);
      while (nextNewline !== -1 && nextNewline < end) {
        parts.push(chunk.subarray(copiedUpTo, nextNewline), CRLF);
        copiedUpTo = nextNewline + 1;
        nextNewline = chunk.indexOf(NEWLINE, copiedUpTo);
      }
      if (quote === -1) break;
      this.quoted = true;
      position = quote + 1;
    }
    if (parts.length === 0) return chunk;
    if (copiedUpTo < length) parts.push(chunk.subarray(copiedUpTo));
    return Buffer.concat(parts);
  }
}
