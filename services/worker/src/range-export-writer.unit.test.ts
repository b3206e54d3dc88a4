import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RangePartWriter } from './range-export-writer';

/**
 * The hash's turn in one range's writer: whenever the turn comes (before
 * the first byte, between chunks, after the end, while the tail is being
 * spooled), the hash gets range 0's bytes and then exactly this range's, in
 * order, once each. Range 0 is stood in for by bytes hashed before the turn.
 */

const PART_BYTES = 64;

let dir: string;
let spool: FileHandle;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'range-writer-'));
  spool = await open(path.join(dir, 'spool'), 'w+');
});

afterEach(async () => {
  await spool.close();
  await rm(dir, { recursive: true, force: true });
});

function laterRange(hash: ReturnType<typeof createHash>) {
  const uploads: { partNumber: number; body: Buffer }[] = [];
  let rest: Buffer | undefined;
  const writer = new RangePartWriter({
    partBytes: PART_BYTES,
    hash,
    spool,
    onHead: () => undefined,
    partNumber: (index) => 100 + index,
    uploadPart: async (partNumber, body) => {
      uploads.push({ partNumber, body: Buffer.from(body) });
    },
    onEnd: (tail) => {
      rest = Buffer.from(tail);
    },
  });
  return { writer, uploads, rest: () => rest };
}

function write(writer: RangePartWriter, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => writer.write(chunk, (error) => (error ? reject(error) : resolve())));
}

function end(writer: RangePartWriter): Promise<void> {
  return new Promise((resolve, reject) => {
    writer.once('error', reject);
    writer.end(() => resolve());
  });
}

const sha256 = (...buffers: Buffer[]) => createHash('sha256').update(Buffer.concat(buffers)).digest('hex');

/** 300 bytes in chunks of varied sizes: four full parts and a tail of 44. */
const CHUNKS = [7, 64, 1, 100, 50, 78].map((size) => randomBytes(size));
const BYTES = Buffer.concat(CHUNKS);
const BEFORE = randomBytes(33);

describe('RangePartWriter: the hash’s turn', () => {
  it.each([0, 1, 3, CHUNKS.length])('hashes every byte once, in order, when the turn comes after %i chunk(s)', async (turnAfter) => {
    const hash = createHash('sha256').update(BEFORE);
    const { writer, uploads, rest } = laterRange(hash);
    for (const [index, chunk] of CHUNKS.entries()) {
      if (index === turnAfter) writer.startTurn();
      await write(writer, chunk);
    }
    if (turnAfter === CHUNKS.length) writer.startTurn();
    await end(writer);
    await writer.hashed;
    expect(hash.digest('hex')).toBe(sha256(BEFORE, BYTES));
    expect(writer.bytes).toBe(BYTES.length);
    // The parts and the tail are the range's bytes too (the head, the first full part, is kept in the spool).
    const head = BYTES.subarray(0, PART_BYTES);
    expect(Buffer.concat([head, ...uploads.map((upload) => upload.body), rest()!])).toEqual(BYTES);
  });

  it('hashes a range that ended before its turn from its spool when the turn comes', async () => {
    const hash = createHash('sha256').update(BEFORE);
    const { writer } = laterRange(hash);
    for (const chunk of CHUNKS) await write(writer, chunk);
    await end(writer);
    let settled = false;
    void writer.hashed.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Not before its turn: the ranges before it may still be streaming.
    expect(settled).toBe(false);
    writer.startTurn();
    await writer.hashed;
    expect(hash.digest('hex')).toBe(sha256(BEFORE, BYTES));
  });

  it('hashes once when the turn comes while the tail is being spooled', async () => {
    const hash = createHash('sha256').update(BEFORE);
    const { writer } = laterRange(hash);
    for (const chunk of CHUNKS) await write(writer, chunk);
    const ended = end(writer);
    // _final has begun (the tail's spool write is in flight) and the range has not ended yet.
    await new Promise((resolve) => setImmediate(resolve));
    writer.startTurn();
    await ended;
    await writer.hashed;
    expect(hash.digest('hex')).toBe(sha256(BEFORE, BYTES));
  });

  it('spools every byte, the tail too, whenever the turn came: a small file is read back from the spool', async () => {
    for (const turnAfter of [0, CHUNKS.length]) {
      await spool.truncate(0);
      const { writer } = laterRange(createHash('sha256'));
      for (const [index, chunk] of CHUNKS.entries()) {
        if (index === turnAfter) writer.startTurn();
        await write(writer, chunk);
      }
      await end(writer);
      writer.startTurn();
      await writer.hashed;
      const { size } = await spool.stat();
      const { buffer } = await spool.read(Buffer.alloc(size), 0, size, 0);
      expect(buffer).toEqual(BYTES);
    }
  });
});
