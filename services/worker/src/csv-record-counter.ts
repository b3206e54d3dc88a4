const QUOTE = 0x22; // "
const NEWLINE = 0x0a; // \n

/**
 * Counts CSV records (RFC 4180, as PostgreSQL's COPY ... CSV writes them) in
 * a byte stream fed chunk by chunk, without parsing fields in JavaScript.
 *
 * A record ends at a newline outside quotes. Every '"' toggles the quoted
 * state: an escaped quote ("") toggles twice and so changes nothing. So the
 * counter only alternates native Buffer.indexOf searches for '"' and '\n',
 * which keeps it close to memchr speed; the state carries over chunk
 * boundaries, so a chunk may end anywhere (inside a field, between the two
 * quotes of an escape, between \r and \n). The delimiter does not matter
 * (`,` `;` or tab), and CRLF record ends count once (at their \n).
 */
export class CsvRecordCounter {
  private quoted = false;
  private count = 0;

  /** Records completed so far (each ended by a newline outside quotes). */
  get records(): number {
    return this.count;
  }

  /** True while the input ends inside a quoted field. */
  get insideQuotes(): boolean {
    return this.quoted;
  }

  /** True when the input so far ends outside quotes: no field was cut off. */
  get complete(): boolean {
    return !this.quoted;
  }

  push(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const length = bytes.length;
    let position = 0;
    // The next newline found by a search that ran past a quote, kept so the same bytes are not searched
    // twice; -1 once the rest of the chunk has none, -2 before the first search.
    let nextNewline = -2;
    while (position < length) {
      const quote = bytes.indexOf(QUOTE, position);
      if (this.quoted) {
        // Newlines inside quotes are data; only the closing quote matters.
        if (quote === -1) return;
        this.quoted = false;
        position = quote + 1;
        continue;
      }
      const end = quote === -1 ? length : quote;
      if (nextNewline !== -1 && nextNewline < position) nextNewline = bytes.indexOf(NEWLINE, position);
      while (nextNewline !== -1 && nextNewline < end) {
        this.count += 1;
        nextNewline = bytes.indexOf(NEWLINE, nextNewline + 1);
      }
      if (quote === -1) return;
      this.quoted = true;
      position = quote + 1;
    }
  }
}
