import { crc32, createDeflateRaw, type DeflateRaw } from 'node:zlib';

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** Bit 3: sizes and CRC follow the data (streamed, unknown up front); bit 11: the name is UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const DEFLATE = 8;
const VERSION = 20;
/** 1980-01-01 00:00 in MS-DOS time: entries carry no meaningful time, and a fixed one keeps files comparable. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MAX_32 = 0xffffffff;

interface Entry {
  readonly name: Buffer;
  readonly offset: number;
  crc: number;
  compressed: number;
  size: number;
}

/**
 * A ZIP archive written front to back as its entries are produced (what an
 * XLSX file is), without seeking and without holding an entry in memory:
 * each entry is deflated as it streams (zlib on libuv's threadpool) and its
 * CRC-32 and sizes follow it in a data descriptor.
 *
 * No ZIP64: an archive or entry past 4 GiB fails clearly instead of writing
 * a file no one can open (an XLSX sheet is capped at 1,048,576 rows, far
 * below that).
 */
export class ZipWriter {
  private readonly entries: Entry[] = [];
  private offset = 0;
  private current: { entry: Entry; deflate: DeflateRaw; ended: Promise<void> } | undefined;
  /** Set once the archive outgrew what it can describe; every later call throws it. */
  private failure: RangeError | undefined;

  constructor(
    /** Receives the archive's bytes in order. */
    private readonly output: (chunk: Buffer) => void,
    private readonly level = 6,
  ) {}

  /** Starts the next entry; the previous one must be ended. */
  startEntry(name: string): void {
    this.throwIfFailed();
    if (this.current) throw new Error('ZipWriter: end the current entry first');
    const entry: Entry = { name: Buffer.from(name, 'utf8'), offset: this.offset, crc: 0, compressed: 0, size: 0 };
    const header = Buffer.alloc(30);
    header.writeUInt32LE(LOCAL_HEADER, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(DEFLATE, 8);
    header.writeUInt16LE(DOS_TIME, 10);
    header.writeUInt16LE(DOS_DATE, 12);
    // CRC-32 and both sizes stay 0 here: they are in the data descriptor (flag bit 3).
    header.writeUInt16LE(entry.name.length, 26);
    this.emit(header);
    this.emit(entry.name);
    // Large output chunks: fewer, bigger pushes down the pipeline.
    const deflate = createDeflateRaw({ level: this.level, chunkSize: 128 * 1024 });
    deflate.on('data', (chunk: Buffer) => {
      entry.compressed += chunk.length;
      this.emit(chunk);
    });
    const ended = new Promise<void>((resolve, reject) => {
      deflate.once('end', resolve);
      deflate.once('error', reject);
    });
    ended.catch(() => undefined);
    this.current = { entry, deflate, ended };
    this.entries.push(entry);
  }

  /** Adds bytes to the current entry; resolves once zlib took them (backpressure). */
  write(data: Buffer): Promise<void> {
    const current = this.current;
    if (!current) throw new Error('ZipWriter: start an entry first');
    this.throwIfFailed();
    current.entry.crc = crc32(data, current.entry.crc);
    current.entry.size += data.length;
    if (current.entry.size > MAX_32)
      this.failure ??= new RangeError('a ZIP entry past 4 GiB needs ZIP64, which this writer does not write');
    this.throwIfFailed();
    return new Promise((resolve, reject) => {
      current.deflate.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Ends the current entry: flushes zlib and writes the data descriptor. */
  async endEntry(): Promise<void> {
    const current = this.current;
    if (!current) throw new Error('ZipWriter: no entry to end');
    current.deflate.end();
    await current.ended;
    this.current = undefined;
    this.throwIfFailed();
    const { entry } = current;
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
    descriptor.writeUInt32LE(entry.crc >>> 0, 4);
    descriptor.writeUInt32LE(entry.compressed, 8);
    descriptor.writeUInt32LE(entry.size, 12);
    this.emit(descriptor);
  }

  /** A whole small entry at once. */
  async addEntry(name: string, content: string | Buffer): Promise<void> {
    this.startEntry(name);
    await this.write(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    await this.endEntry();
  }

  /** Writes the central directory; the archive is complete after it. */
  finish(): void {
    this.throwIfFailed();
    if (this.current) throw new Error('ZipWriter: end the current entry first');
    const start = this.offset;
    for (const entry of this.entries) {
      const header = Buffer.alloc(46);
      header.writeUInt32LE(CENTRAL_HEADER, 0);
      header.writeUInt16LE(VERSION, 4);
      header.writeUInt16LE(VERSION, 6);
      header.writeUInt16LE(FLAGS, 8);
      header.writeUInt16LE(DEFLATE, 10);
      header.writeUInt16LE(DOS_TIME, 12);
      header.writeUInt16LE(DOS_DATE, 14);
      header.writeUInt32LE(entry.crc >>> 0, 16);
      header.writeUInt32LE(entry.compressed, 20);
      header.writeUInt32LE(entry.size, 24);
      header.writeUInt16LE(entry.name.length, 28);
      header.writeUInt32LE(entry.offset, 42);
      this.emit(header);
      this.emit(entry.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
    end.writeUInt16LE(this.entries.length, 8);
    end.writeUInt16LE(this.entries.length, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    this.emit(end);
  }

  /** Called from zlib's events too, so it records an overflow rather than throwing into them. */
  private emit(chunk: Buffer): void {
    if (this.failure) return;
    this.offset += chunk.length;
    if (this.offset > MAX_32) {
      this.failure = new RangeError('a ZIP archive past 4 GiB needs ZIP64, which this writer does not write');
      return;
    }
    this.output(chunk);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
