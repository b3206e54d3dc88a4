/**
 * Export benchmark: the worker's export path against psql's \copy of the same
 * SELECT, on the same 1,000,000-row user.
 *
 *   npm run bench                      (root; builds first)
 *   node services/worker/dist/bench/export-bench.js [--rows N]
 *
 * PostgreSQL: DATABASE_URL's server when set, else an embedded one (as the
 * tests do); a fresh database is created and dropped. Progress goes to
 * stderr; stdout gets exactly one JSON line:
 *   {"rows":…,"psqlRowsPerSec":…,"workerRowsPerSec":…,"ratio":…,"peakRssMb":…,"identical":true}
 * Exit code 1 when the two files differ, 2 when the benchmark cannot run.
 *
 * The worker path runs in a child process (the same exportMembershipsCsv the
 * handler uses: COPY → record counter + SHA-256 → file), so its peak RSS is
 * its own, reported by process.resourceUsage().maxRSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportSelect } from '@memberships/core';
import { createTestDatabase, seedMemberships, startPostgres, TRICKY_MEMBERSHIPS } from '@memberships/local-platform';
import { Pool } from 'pg';
import { exportMembershipsCsv } from '../csv-export';
import { fileSink } from './file-sink';

const DEFAULT_ROWS = 1_000_000;
/** Rows of another user in the same table, so the export has to use the (user_id, id) index as in production. */
const OTHER_USER_ROWS = 100_000;
const PSQL = '/usr/bin/psql';

interface ChildRequest {
  readonly url: string;
  readonly userId: string;
  readonly out: string;
}

interface ChildReport {
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
  readonly maxRssKb: number;
}

class BenchmarkError extends Error {}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function rowsArgument(argv: readonly string[]): number {
  const index = argv.indexOf('--rows');
  if (index === -1) return DEFAULT_ROWS;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new BenchmarkError(`--rows needs a positive integer, got ${argv[index + 1]}`);
  return value;
}

function checkPsql(): void {
  const probe = spawnSync(PSQL, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new BenchmarkError(
      `psql is needed as the baseline but ${PSQL} cannot run (${probe.error?.message ?? probe.stderr.trim()}). ` +
        'Install the PostgreSQL client (e.g. apt-get install postgresql-client).',
    );
  }
}

/** Runs psql's \copy of the export SELECT into `out`; resolves with the elapsed seconds. */
function psqlCopy(url: string, userId: string, out: string): Promise<number> {
  const command = `\\copy (${exportSelect(userId)}) TO '${out.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // UTF8 client encoding, like the worker's COPY ... ENCODING 'UTF8': the bytes must be the same.
    const child = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], {
      env: { PATH: process.env.PATH, PGCLIENTENCODING: 'UTF8' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new BenchmarkError(`psql \\copy failed (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/** Runs the worker's export path in a child process and returns its report. */
function workerCopy(request: ChildRequest): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--child', JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new BenchmarkError(`the worker export child failed (exit ${code})`));
      try {
        resolve(JSON.parse(stdout) as ChildReport);
      } catch {
        reject(new BenchmarkError(`the worker export child printed no report: ${stdout}`));
      }
    });
  });
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function runBenchmark(): Promise<number> {
  const rows = rowsArgument(process.argv);
  checkPsql();
  progress('starting PostgreSQL (DATABASE_URL when set, else embedded)');
  const server = await startPostgres();
  const workDir = await mkdtemp(path.join(tmpdir(), 'export-bench-'));
  try {
    const database = await createTestDatabase(server.url);
    try {
      const userId = randomUUID();
      progress(`seeding ${rows} memberships (+${OTHER_USER_ROWS} of another user)`);
      await seedMemberships(database.url, randomUUID(), OTHER_USER_ROWS, { seed: 2 });
      const seeded = await seedMemberships(database.url, userId, Math.max(0, rows - TRICKY_MEMBERSHIPS.length), { tricky: true });

      const psqlFile = path.join(workDir, 'psql.csv');
      const workerFile = path.join(workDir, 'worker.csv');
      progress('warming the cache (untimed psql run)');
      await psqlCopy(database.url, userId, psqlFile);
      progress('timing psql \\copy');
      const psqlSeconds = await psqlCopy(database.url, userId, psqlFile);
      progress('timing the worker export path (child process)');
      const worker = await workerCopy({ url: database.url, userId, out: workerFile });

      const [psqlSize, workerSize, psqlSha] = await Promise.all([stat(psqlFile), stat(workerFile), sha256OfFile(psqlFile)]);
      const workerSha = await sha256OfFile(workerFile);
      const identical = psqlSize.size === workerSize.size && psqlSha === workerSha && worker.sha256 === workerSha;
      if (worker.rows !== seeded.inserted) {
        progress(`row count mismatch: seeded ${seeded.inserted}, worker counted ${worker.rows}`);
      }
      const psqlRowsPerSec = Math.round(seeded.inserted / psqlSeconds);
      const workerRowsPerSec = Math.round(worker.rows / worker.seconds);
      const report = {
        rows: worker.rows,
        psqlRowsPerSec,
        workerRowsPerSec,
        ratio: Number((workerRowsPerSec / psqlRowsPerSec).toFixed(3)),
        peakRssMb: Number((worker.maxRssKb / 1024).toFixed(1)),
        identical: identical && worker.rows === seeded.inserted,
      };
      progress(
        `file ${worker.bytes} bytes; psql ${psqlSeconds.toFixed(2)} s, worker ${worker.seconds.toFixed(2)} s` +
          (identical ? '' : `; files differ (psql sha256 ${psqlSha}, worker ${workerSha})`),
      );
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return report.identical ? 0 : 1;
    } finally {
      await database.drop();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
    await server.stop();
  }
}

/** The child: one export through exportMembershipsCsv into a file, timed, with its own peak RSS. */
async function runChild(request: ChildRequest): Promise<void> {
  const pool = new Pool({ connectionString: request.url, max: 1, application_name: 'export-bench' });
  try {
    const started = performance.now();
    const result = await exportMembershipsCsv({
      pool,
      userId: request.userId,
      sink: fileSink(request.out),
      // The worker's default attachment limit: the bench pays for keeping small files too.
      keepInMemoryUpToBytes: 5 * 1024 * 1024,
    });
    const seconds = (performance.now() - started) / 1000;
    const report: ChildReport = {
      rows: result.rows,
      bytes: result.bytes,
      sha256: result.sha256,
      seconds,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    process.stdout.write(JSON.stringify(report));
  } finally {
    await pool.end();
  }
}

if (process.argv[2] === '--child') {
  runChild(JSON.parse(process.argv[3] ?? '{}') as ChildRequest).catch((error: unknown) => {
    process.stderr.write(`[bench child] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
} else {
  runBenchmark().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
