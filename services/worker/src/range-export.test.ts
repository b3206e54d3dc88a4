/**
 * Exports in parallel id ranges (exportMemberships with `parallel`), against
 * a real PostgreSQL database: the file joined from the parts must be the
 * single stream's, byte for byte, for every COPY format and dialect, on one
 * snapshot whatever other connections change meanwhile; failures and the
 * abort signal stop every range and drop the upload.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { DEFAULT_EXPORT_OPTIONS, type ExportOptions } from '@memberships/core/contract';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createTestDatabase, s3Client, seedMemberships, testAwsSettings, waitFor, type TestDatabase } from '@memberships/local-platform';
import { Client, Pool } from 'pg';
import { fileSink } from './bench/file-sink';
import { exportMemberships, type ExportSink, type PartUpload } from './csv-export';
import { ExportAbortedError, StageError } from './errors';
import { ExportFileStore } from './file-store';
import { startHttpRequestLog } from './testing/http-request-log';
import { sha256 } from './testing/worker-environment';

jest.setTimeout(120_000);

/** Small parts, so a 20,000-row file is many parts and every seam between ranges is exercised. */
const PART_BYTES = 64 * 1024;

interface PartsSink extends ExportSink {
  /** The joined file once completed. */
  readonly file: () => Buffer | undefined;
  readonly parts: Map<number, Buffer>;
  readonly events: string[];
}

/**
 * A sink that takes parts only, held in memory, refusing what S3 refuses (a
 * number out of 1-10,000 or twice, a middle part under the part size);
 * `beforePart` may hold or fail an upload.
 */
function partsSink(beforePart?: (partNumber: number) => Promise<void>): PartsSink {
  const parts = new Map<number, Buffer>();
  const events: string[] = [];
  let file: Buffer | undefined;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const upload: PartUpload = {
    uploadPart: async (partNumber, body) => {
      await beforePart?.(partNumber);
      if (partNumber < 1 || partNumber > 10_000 || parts.has(partNumber)) throw new Error(`bad part number ${partNumber}`);
      parts.set(partNumber, Buffer.from(body));
    },
    complete: async () => {
      const ordered = [...parts.entries()].sort(([a], [b]) => a - b);
      for (const [number, body] of ordered.slice(0, -1)) if (body.length < PART_BYTES) throw new Error(`short middle part ${number}`);
      file = Buffer.concat(ordered.map(([, body]) => body));
      events.push('complete');
      settle.resolve();
    },
    abort: async (reason) => {
      parts.clear();
      events.push('abort');
      settle.reject(reason);
    },
  };
  return {
    stream: new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('the stream of a parts sink is not used')) }),
    done,
    abort: (reason) => upload.abort(reason),
    multipart: {
      minPartBytes: PART_BYTES,
      partBytes: PART_BYTES,
      create: async () => {
        events.push('create');
        return upload;
      },
    },
    file: () => file,
    parts,
    events,
  };
}

const options = (overrides: Partial<ExportOptions>): ExportOptions => ({ ...DEFAULT_EXPORT_OPTIONS, ...overrides });
const excel = options({ csv: { delimiter: ';', bom: true, lineEnding: 'crlf' }, timeZone: 'Europe/Berlin' });

describe('exportMemberships in parallel ranges', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dir: string;
  const userId = randomUUID();
  let rows: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    rows = (await seedMemberships(database.url, userId, 20_000, { tricky: true })).inserted;
    await seedMemberships(database.url, randomUUID(), 2000, { seed: 7 });
    pool = new Pool({ connectionString: database.url, max: 8 });
    dir = await mkdtemp(path.join(tmpdir(), 'range-export-test-'));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The file of today's single stream, for the same user and options. */
  async function singleStream(user: string, exportOptions: ExportOptions): Promise<Buffer> {
    const file = path.join(dir, `single-${randomUUID()}`);
    await exportMemberships({ pool, userId: user, export: exportOptions, sink: fileSink(file), keepInMemoryUpToBytes: 0 });
    return readFile(file);
  }

  const variants: [string, ExportOptions][] = [
    ['CSV', DEFAULT_EXPORT_OPTIONS],
    ['CSV with BOM, CRLF, ; and a zone', excel],
    ['CSV with tabs', options({ csv: { delimiter: '\t', bom: false, lineEnding: 'lf' } })],
    ['CSV of some columns, filtered', options({ columns: ['notes', 'id', 'created_at'], filters: { status: ['active', 'paused'] } })],
    ['JSON Lines in a zone', options({ format: 'jsonl', timeZone: 'America/New_York' })],
  ];
  for (const [name, exportOptions] of variants) {
    it(`writes the single stream's bytes, rows and SHA-256: ${name}`, async () => {
      const expected = await singleStream(userId, exportOptions);
      for (const ranges of [2, 3, 4]) {
        const sink = partsSink();
        const result = await exportMemberships({
          pool,
          userId,
          export: exportOptions,
          sink,
          keepInMemoryUpToBytes: 0,
          parallel: { ranges, minRows: 1000 },
        });
        expect(sink.events).toEqual(['create', 'complete']);
        const file = sink.file()!;
        expect(file.equals(expected)).toBe(true);
        expect(sink.parts.size).toBeGreaterThan(ranges);
        expect(result).toEqual({ rows: expect.any(Number), bytes: expected.length, sha256: sha256(expected), content: undefined });
        if (exportOptions === DEFAULT_EXPORT_OPTIONS) expect(result.rows).toBe(rows);
      }
    });
  }

  it('keeps a file within the attachment limit in memory, as the single stream does', async () => {
    const expected = await singleStream(userId, excel);
    const result = await exportMemberships({
      pool,
      userId,
      export: excel,
      sink: partsSink(),
      keepInMemoryUpToBytes: 64 * 1024 * 1024,
      parallel: { ranges: 3, minRows: 1000 },
    });
    expect(result.content?.equals(expected)).toBe(true);
  });

  it('takes the single stream below minRows, and for a second parallel export while one runs', async () => {
    const below = partsSink();
    await expect(
      exportMemberships({ pool, userId, sink: below, keepInMemoryUpToBytes: 0, parallel: { ranges: 3, minRows: rows + 1 } }),
    ).rejects.toBeInstanceOf(StageError);
    // That sink has no stream: the single stream was taken (and failed on it), no upload was created.
    expect(below.events).not.toContain('create');

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = partsSink(() => held);
    const running = exportMemberships({ pool, userId, sink: first, keepInMemoryUpToBytes: 0, parallel: { ranges: 2, minRows: 1 } });
    while (!first.events.includes('create')) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = path.join(dir, 'second.csv');
    const secondResult = await exportMemberships({
      pool,
      userId,
      sink: { ...fileSink(second), multipart: partsSink().multipart },
      keepInMemoryUpToBytes: 0,
      parallel: { ranges: 2, minRows: 1 },
    });
    expect(secondResult.rows).toBe(rows);
    release();
    expect((await running).sha256).toBe(secondResult.sha256);
    expect((await readFile(second)).equals(first.file()!)).toBe(true);
  });

  it('takes the single stream when no second connection can be had at once', async () => {
    const small = new Pool({ connectionString: database.url, max: 1 });
    try {
      const file = path.join(dir, 'one-connection.csv');
      const sink = { ...fileSink(file), multipart: partsSink().multipart };
      const result = await exportMemberships({ pool: small, userId, sink, keepInMemoryUpToBytes: 0, parallel: { ranges: 4, minRows: 1 } });
      expect(result.rows).toBe(rows);
      expect((await readFile(file)).equals(await singleStream(userId, DEFAULT_EXPORT_OPTIONS))).toBe(true);
    } finally {
      await small.end();
    }
  });

  it('writes one snapshot: rows inserted and deleted by another connection during the export are not in the file', async () => {
    const user = randomUUID();
    await seedMemberships(database.url, user, 10_000, { seed: 3 });
    const before = await singleStream(user, DEFAULT_EXPORT_OPTIONS);
    let deleted = 0;
    const changeRows = async () => {
      const other = new Client({ connectionString: database.url });
      await other.connect();
      try {
        // Rows in every range go, and new ones arrive at the end (by id order).
        deleted = (await other.query('DELETE FROM memberships WHERE user_id = $1 AND id % 7 = 0', [user])).rowCount ?? 0;
      } finally {
        await other.end();
      }
      await seedMemberships(database.url, user, 500, { seed: 4 });
    };
    // The change commits after the export counted (its first connection) and before the other ranges' transactions
    // begin: only the imported snapshot keeps them on the counted rows.
    let connections = 0;
    let change: Promise<void> | undefined;
    const changing = {
      connect: () => {
        connections += 1;
        if (connections === 1) return pool.connect();
        change ??= changeRows();
        return change.then(() => pool.connect());
      },
    } as unknown as Pool;
    const sink = partsSink();
    const result = await exportMemberships({
      pool: changing,
      userId: user,
      sink,
      keepInMemoryUpToBytes: 0,
      parallel: { ranges: 4, minRows: 1 },
    });
    expect(connections).toBe(4);
    expect(deleted).toBeGreaterThan(1000);
    expect(sink.events).toEqual(['create', 'complete']);
    expect(result.rows).toBe(10_000);
    expect(sink.file()!.equals(before)).toBe(true);
    expect((await singleStream(user, DEFAULT_EXPORT_OPTIONS)).equals(before)).toBe(false);
  });

  it('reports a failing part upload as a storage failure, aborts the upload and leaves the pool usable', async () => {
    const sink = partsSink(async (partNumber) => {
      if (partNumber > 5) throw new Error('upload connection reset');
    });
    const failure = await exportMemberships({ pool, userId, sink, keepInMemoryUpToBytes: 0, parallel: { ranges: 3, minRows: 1 } }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StageError);
    expect(failure).toMatchObject({ stage: 'storage' });
    expect(sink.events).toContain('abort');
    expect(sink.events).not.toContain('complete');
    expect(sink.parts.size).toBe(0);
    await expect(waitForIdle(pool)).resolves.toBe(true);
    const next = partsSink();
    expect(
      (await exportMemberships({ pool, userId, sink: next, keepInMemoryUpToBytes: 0, parallel: { ranges: 3, minRows: 1 } })).rows,
    ).toBe(rows);
  });

  it('stops every range when aborted and aborts the upload', async () => {
    const controller = new AbortController();
    const reason = new ExportAbortedError('test stop');
    const sink = partsSink();
    const exporting = exportMemberships({
      pool,
      userId,
      sink,
      keepInMemoryUpToBytes: 0,
      signal: controller.signal,
      parallel: { ranges: 4, minRows: 1 },
      onProgress: (progress) => {
        if (progress.rowsExported > 2000) controller.abort(reason);
      },
    });
    await expect(exporting).rejects.toBe(reason);
    expect(sink.events).toContain('abort');
    expect(sink.events).not.toContain('complete');
    // No range's COPY runs on: every backend of this database is idle (or gone) once the export has rejected.
    await expect(waitForIdle(pool)).resolves.toBe(true);
    expect(
      (await exportMemberships({ pool, userId, sink: partsSink(), keepInMemoryUpToBytes: 0, parallel: { ranges: 4, minRows: 1 } })).rows,
    ).toBe(rows);
  });

  describe('into S3 (the local S3 stand-in)', () => {
    let s3: S3Client;
    const bucket = `range-export-${randomUUID()}`;
    beforeAll(async () => {
      s3 = s3Client(testAwsSettings());
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });
    afterAll(() => s3?.destroy());

    it('stores the single stream’s bytes through CreateMultipartUpload, UploadPart and CompleteMultipartUpload, with the file’s metadata', async () => {
      // Big enough for several 5 MiB parts per range.
      const user = randomUUID();
      await seedMemberships(database.url, user, 120_000, { seed: 5 });
      const expected = await singleStream(user, excel);
      const store = new ExportFileStore(s3, { bucket, partSizeBytes: 5 * 1024 * 1024 });
      const key = `exports/${user}/parts.csv`;
      const result = await exportMemberships({
        pool,
        userId: user,
        export: excel,
        sink: store.openUpload(key, 'memberships.csv', 'text/csv; charset=utf-8'),
        keepInMemoryUpToBytes: 0,
        parallel: { ranges: 3, minRows: 1 },
      });
      // Every range is longer than one part: heads, full parts and tails all go through S3.
      expect(expected.length).toBeGreaterThan(3 * 5 * 1024 * 1024 + 3 * 1024 * 1024);
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await stored.Body!.transformToByteArray());
      expect(body.equals(expected)).toBe(true);
      expect(result.sha256).toBe(sha256(expected));
      expect(stored.ContentType).toBe('text/csv; charset=utf-8');
      expect(stored.ContentDisposition).toContain('memberships.csv');
      const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      expect(pending.Uploads ?? []).toEqual([]);
    });

    it('aborts the multipart upload when the export fails, leaving no parts behind', async () => {
      const store = new ExportFileStore(s3, { bucket, partSizeBytes: 5 * 1024 * 1024 });
      const key = `exports/${userId}/failed.csv`;
      const sink = store.openUpload(key, 'memberships.csv', 'text/csv; charset=utf-8');
      const controller = new AbortController();
      const reason = new ExportAbortedError('test stop');
      const exporting = exportMemberships({
        pool,
        userId,
        sink,
        keepInMemoryUpToBytes: 0,
        signal: controller.signal,
        parallel: { ranges: 2, minRows: 1 },
        onProgress: (progress) => {
          if (progress.rowsExported > 1000) controller.abort(reason);
        },
      });
      await expect(exporting).rejects.toBe(reason);
      const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const upload of pending.Uploads ?? [])
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
      expect((pending.Uploads ?? []).filter((upload) => upload.Key === key)).toEqual([]);
      await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    });

    it('lets a part on its way be answered before AbortMultipartUpload, and sends nothing after it', async () => {
      // S3 frees a part still uploading at the abort only if the abort is repeated: none may be.
      const aws = testAwsSettings();
      const calls = await startHttpRequestLog(aws.endpoints.s3!);
      const logged = s3Client({ ...aws, endpoints: { ...aws.endpoints, s3: calls.endpoint } });
      try {
        const key = `exports/${userId}/aborted-mid-part.csv`;
        const sink = new ExportFileStore(logged, { bucket }).openUpload(key, 'memberships.csv', 'text/csv; charset=utf-8');
        const upload = await sink.multipart!.create();
        // Big enough to be still on its way when the abort comes (the stand-in takes bodies up to 11 MiB).
        const part = upload.uploadPart(1, Buffer.alloc(10 * 1024 * 1024, 'a'));
        const partCall = () => calls.requests.find((call) => call.method === 'PUT' && call.query.get('partNumber') === '1');
        await waitFor('the part to be on its way', partCall, { timeoutMs: 10_000, intervalMs: 1 });
        await sink.abort(new ExportAbortedError('test stop'));
        await expect(part).resolves.toBeUndefined();
        await expect(upload.uploadPart(2, Buffer.alloc(5 * 1024 * 1024))).rejects.toThrow('the upload was aborted');

        const abort = calls.requests.find((call) => call.method === 'DELETE' && call.query.has('uploadId'));
        expect(abort).toMatchObject({ status: 204 });
        expect(partCall()).toMatchObject({ status: 200 });
        expect(partCall()!.answeredAt).toBeLessThanOrEqual(abort!.startedAt);
        expect(calls.requests.filter((call) => call.startedAt > abort!.startedAt)).toEqual([]);
        await expect(
          s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: abort!.query.get('uploadId')! })),
        ).rejects.toMatchObject({ name: 'NoSuchUpload' });
      } finally {
        logged.destroy();
        await calls.close();
      }
    });
  });

  /** True once no other backend of the test database runs a query (a stopped COPY's backend goes idle or away). */
  async function waitForIdle(on: Pool): Promise<boolean> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { rows: active } = await on.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'",
      );
      if (active[0].n === 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }
});
