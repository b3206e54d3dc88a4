const NEWLINE = 0x0a; // \n

/**
 * Counts the lines of a JSON Lines stream fed chunk by chunk. JSON text
 * escapes every control character, so each newline byte ends one record;
 * the count is native Buffer.indexOf searches, at memchr speed.
 */
export class LineCounter {
  private count = 0;
  private endsWithNewline = true;

  /** Lines completed so far. */
  get records(): number {
    return this.count;
  }

  /** True when the input so far ends at a line end (or is empty): no half record. */
  get complete(): boolean {
    return this.endsWithNewline;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let position = bytes.indexOf(NEWLINE);
    while (position !== -1) {
      this.count += 1;
      position = bytes.indexOf(NEWLINE, position + 1);
    }
    this.endsWithNewline = bytes[bytes.length - 1] === NEWLINE;
  }
}
