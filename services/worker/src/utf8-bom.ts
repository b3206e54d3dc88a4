import { Transform, type TransformCallback } from 'node:stream';

/** EF BB BF: tells a spreadsheet the CSV is UTF-8 (Excel otherwise reads `Zürich` as `ZÃ¼rich`). */
export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Writes the UTF-8 byte order mark before the first byte, even for an empty stream; the rest passes unchanged. */
export class Utf8BomPrefix extends Transform {
  private written = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.written) {
      this.written = true;
      this.push(UTF8_BOM);
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.written) this.push(UTF8_BOM);
    callback();
  }
}
