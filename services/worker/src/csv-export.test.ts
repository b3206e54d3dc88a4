/**
 * The export pipeline on its own, against a real PostgreSQL database: COPY →
 * record counter + SHA-256 → sink, with a file sink (the benchmark's) and a
 * sink that fails like a broken upload.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { createTestDatabase, csvObjects, seedMemberships, type TestDatabase } from '@memberships/local-platform';
import { Pool } from 'pg';
import { fileSink } from './bench/file-sink';
import { exportMemberships, type ExportProgress, type ExportSink } from './csv-export';
import { ExportAbortedError, StageError } from './errors';
import { sha256 } from './testing/worker-environment';

jest.setTimeout(120_000);

describe('exportMemberships', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dir: string;
  const userId = randomUUID();
  let rows: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    rows = (await seedMemberships(database.url, userId, 20_000, { tricky: true })).inserted;
    await seedMemberships(database.url, randomUUID(), 1000, { seed: 7 });
    pool = new Pool({ connectionString: database.url, max: 1 });
    dir = await mkdtemp(path.join(tmpdir(), 'csv-export-test-'));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves no query deadline timer behind: a process that ran an export with query_timeout set exits by itself', async () => {
    // node-postgres arms a timer per query when query_timeout is set and clears it when the query's
    // callback runs; pg-copy-streams never calls it, so each COPY left a timer of query_timeout
    // (30 min in the worker) holding the process open and firing on a finished query.
    const script = path.join(dir, 'export-and-exit.js');
    await writeFile(
      script,
      `const { Pool } = require(${JSON.stringify(require.resolve('pg'))});
       const { exportMemberships } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'csv-export.js'))});
       const { fileSink } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'bench', 'file-sink.js'))});
       const pool = new Pool({ connectionString: process.argv[2], max: 1, query_timeout: 600000 });
       exportMemberships({ pool, userId: process.argv[3], sink: fileSink(process.argv[4]), keepInMemoryUpToBytes: 0 })
         .then((result) => { console.log(JSON.stringify({ rows: result.rows })); return pool.end(); })
         .catch((error) => { console.error(error); process.exit(1); });`,
    );
    const child = spawn(process.execPath, [script, database.url, userId, path.join(dir, 'exit.csv')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      // Exits once its work is done, long before the 10-minute query deadline (jest's timeout ends a hang).
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ rows });
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('writes the user’s rows to the sink and reports rows, bytes and SHA-256 of exactly what was written', async () => {
    const file = path.join(dir, 'full.csv');
    const updates: ExportProgress[] = [];

    const result = await exportMemberships({
      pool,
      userId,
      sink: fileSink(file),
      keepInMemoryUpToBytes: 0,
      onProgress: (progress) => updates.push(progress),
    });

    const written = await readFile(file);
    expect(result).toEqual({ rows, bytes: written.length, sha256: sha256(written), content: undefined });
    expect(csvObjects(written.toString('utf8'))).toHaveLength(rows);
    // The total is known before the first byte; progress only grows and ends at the total.
    expect(updates[0]).toEqual({ rowsExported: 0, rowsTotal: rows });
    expect(updates.at(-1)).toEqual({ rowsExported: rows, rowsTotal: rows });
    expect(updates.every((update, i) => i === 0 || update.rowsExported >= updates[i - 1]!.rowsExported)).toBe(true);
  });

  it('keeps the file in memory when it is within the limit, for the attachment', async () => {
    const file = path.join(dir, 'small.csv');
    const result = await exportMemberships({ pool, userId, sink: fileSink(file), keepInMemoryUpToBytes: 64 * 1024 * 1024 });
    expect(result.content?.equals(await readFile(file))).toBe(true);
  });

  it('exports a header only for a user without memberships', async () => {
    const file = path.join(dir, 'empty.csv');
    const result = await exportMemberships({ pool, userId: randomUUID(), sink: fileSink(file), keepInMemoryUpToBytes: 1024 });
    expect(result.rows).toBe(0);
    expect(result.content?.toString('utf8')).toBe(
      'id,uuid,club_name,club_city,plan,status,started_on,ends_on,price,currency,auto_renew,notes,created_at,updated_at\n',
    );
  });

  it('stops when aborted, removes the partial file, and leaves the pool usable', async () => {
    const file = path.join(dir, 'aborted.csv');
    const controller = new AbortController();
    const reason = new ExportAbortedError('test stop');
    const exporting = exportMemberships({
      pool,
      userId,
      sink: fileSink(file),
      keepInMemoryUpToBytes: 0,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.rowsExported > 100) controller.abort(reason);
      },
    });

    await expect(exporting).rejects.toBe(reason);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    // The connection left mid-COPY was closed, not reused: the next export on the same one-connection pool works.
    const next = await exportMemberships({ pool, userId, sink: fileSink(path.join(dir, 'after-abort.csv')), keepInMemoryUpToBytes: 0 });
    expect(next.rows).toBe(rows);
  });

  it('reports a failing sink as a storage failure and stops reading PostgreSQL', async () => {
    let received = 0;
    const broken = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(received > 256 * 1024 ? new Error('upload connection reset') : null);
      },
    });
    let rejectDone!: (error: unknown) => void;
    const sink: ExportSink = {
      stream: broken,
      done: new Promise<void>((_resolve, reject) => {
        rejectDone = reject;
        broken.on('error', reject);
      }),
      abort: async (error) => rejectDone(error),
    };

    const failure = await exportMemberships({ pool, userId, sink, keepInMemoryUpToBytes: 0 }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(StageError);
    expect(failure).toMatchObject({ stage: 'storage' });
    const next = await exportMemberships({
      pool,
      userId,
      sink: fileSink(path.join(dir, 'after-failure.csv')),
      keepInMemoryUpToBytes: 0,
    });
    expect(next.rows).toBe(rows);
  });
});
