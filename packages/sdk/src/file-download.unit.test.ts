import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { IntegrityError } from './errors.js';
import { writeDownload } from './file-download.js';

const csv = 'id,plan\n1,gold\n2,"silver, annual"\n';
const sha256 = createHash('sha256').update(csv).digest('hex');
const body = (): ReadableStream<Uint8Array> => new Response(csv).body as ReadableStream<Uint8Array>;

describe('writeDownload', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdk-download-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the file and reports its size and checksum', async () => {
    const path = join(dir, 'memberships.csv');
    const written = await writeDownload('job-1', body(), { path }, { sha256, bytes: Buffer.byteLength(csv) });
    expect(written).toEqual({ path, sha256, bytes: Buffer.byteLength(csv) });
    expect(await readFile(path, 'utf8')).toBe(csv);
    expect(await readdir(dir)).toEqual(['memberships.csv']);
  });

  it('leaves an existing file as it was and no partial file when the checksum does not match', async () => {
    const path = join(dir, 'memberships.csv');
    await writeFile(path, 'previous export\n');
    const wrong = 'f'.repeat(64);

    const attempt = writeDownload('job-1', body(), { path }, { sha256: wrong });

    await expect(attempt).rejects.toBeInstanceOf(IntegrityError);
    await expect(attempt).rejects.toMatchObject({ code: 'integrity_mismatch', actual: { sha256 } });
    expect(await readFile(path, 'utf8')).toBe('previous export\n');
    expect(await readdir(dir)).toEqual(['memberships.csv']);
  });

  it('rejects a truncated file by its size', async () => {
    const path = join(dir, 'memberships.csv');
    await expect(writeDownload('job-1', body(), { path }, { bytes: 10_000 })).rejects.toBeInstanceOf(IntegrityError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails with a clear error when the directory does not exist, leaving nothing behind', async () => {
    const path = join(dir, 'missing', 'memberships.csv');
    await expect(writeDownload('job-1', body(), { path }, {})).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('streams into a writable and ends it', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => sink.on('end', resolve));

    const written = await writeDownload('job-1', body(), { stream: sink }, { sha256 });
    await ended;

    expect(written).toEqual({ sha256, bytes: Buffer.byteLength(csv) });
    expect(Buffer.concat(chunks).toString('utf8')).toBe(csv);
  });
});
