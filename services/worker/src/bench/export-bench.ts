/**
 * Export benchmark: the worker's export path, with its progress writes to
 * DynamoDB on and off, against psql's \copy of the same SELECT, on the same
 * 1,000,000-row user.
 *
 *   npm run bench                      (root; builds first)
 *   node services/worker/dist/bench/export-bench.js [--rows N] [--rounds N] [--progress-interval-ms N] [--ranges-only] [--help]
 *
 * PostgreSQL: DATABASE_URL's server when set, else an embedded one (as the
 * tests do); a fresh database is created and dropped. DynamoDB: a DynamoDB
 * Local of its own (the local platform's), with the job tables created from
 * core's definitions. Progress goes to stderr; stdout gets one JSON line for today's CSV:
 *   {"rows":…,"psqlRowsPerSec":…,"workerRowsPerSec":…,"ratio":…,"workerNoProgressRowsPerSec":…,
 *    "progressOverhead":…,"progressWrites":…,"progressWriteCpuMs":…,"progressCpuShare":…,
 *    "progressIntervalMs":…,"rounds":…,"peakRssMb":…,"identical":true}
 * then one line per format and option set (format-bench.ts: csv-excel,
 * csv-gzip, jsonl, xlsx), then one per number of parallel id ranges
 * (range-bench.ts: 1-4; `--ranges-only` prints just those). Exit code 1 when a file differs from psql's (or the
 * job does not end up with the exact row count, or a format's file is not
 * what it should be), 2 when the benchmark cannot run.
 *
 * After an untimed psql run (so every timed run finds the table cached),
 * each round times psql, the worker path with progress writes off and the
 * worker path with them on (the way the handler runs it: a claimed job,
 * JobStore.recordProgress at most once per PROGRESS_INTERVAL_MS, never
 * awaited by the stream), in an order that rotates per round. Rates are the
 * medians over the rounds: the machine is shared, and a single run swings
 * by more than the 2% the progress writes may cost. `workerRowsPerSec` and
 * `ratio` are with progress on; `progressOverhead` is
 * 1 − on / off (negative when the difference is lost in the noise). As a
 * low-noise bound beside it, each run with progress on also times 50 more
 * writes (to a second job, after the export): `progressWriteCpuMs` is the
 * worker CPU one write takes, and `progressCpuShare` = writes × that / the
 * export's duration, the share of the export the writes could take even if
 * every millisecond of it held up the stream.
 *
 * Each worker run is a child process (export-bench-child.ts: the same
 * exportMemberships the handler uses, COPY → record counter + SHA-256 →
 * file, loading only what the worker's export path loads), so its peak RSS
 * is its own, reported by process.resourceUsage().maxRSS; `peakRssMb` is the
 * largest of them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsClientSettings } from '@memberships/core/config';
import { JobStore } from '@memberships/core/dynamodb';
import { exportCopyOptions, exportSelect } from '@memberships/core/postgres-client';
import {
  benchUsage,
  createTestDatabase,
  dynamoDbClient,
  HELP,
  LOCAL_CREDENTIALS,
  parseBenchArguments,
  positiveInteger,
  seedMemberships,
  startDynamoDbLocal,
  startSecretsManagerLocal,
  startPostgres,
  TRICKY_MEMBERSHIPS,
  type RunningEmulator,
  type RunningPostgres,
} from '@memberships/local-platform';
import { Client } from 'pg';
import { DEFAULT_PROGRESS_INTERVAL_MS } from '../progress-reporter';
import { runFormatBenchmarks } from './format-bench';
import { benchJobTables, createJobTables } from './job-tables';
import type { ChildReport, ChildRequest } from './export-bench-child';
import { runRangeBenchmarks } from './range-bench';
import { WORKER_NODE_FLAGS } from '../node-flags';

const DEFAULT_ROWS = 1_000_000;
/** Rows of another user in the same table, so the export has to use the (user_id, id) index as in production. */
const OTHER_USER_ROWS = 100_000;
const DEFAULT_ROUNDS = 5;
/** The range counts of the parallel-range lines (range-bench.ts); 1 is the single stream. */
const RANGE_COUNTS = [1, 2, 3, 4];
const PSQL = '/usr/bin/psql';
const REGION = 'us-east-1';
/** The lease the benchmark's jobs are claimed under: long enough for any run. */
const BENCH_LEASE_MS = 30 * 60_000;
const BENCH_OWNER = 'export-bench';

type RunKind = 'psql' | 'off' | 'on';

class BenchmarkError extends Error {}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

const COMMAND = {
  usage: 'npm run bench -- [options]   (or: node services/worker/dist/bench/export-bench.js [options])',
  summary:
    "The worker's export path against psql's \\copy of the same SELECT on one user's memberships: CSV with progress\n" +
    'writes on and off, each format, and 1-4 parallel id ranges. One JSON line per measurement on stdout.',
  options: {
    rows: { type: 'number', default: DEFAULT_ROWS, ...positiveInteger, help: "the measured user's memberships" },
    rounds: { type: 'number', default: DEFAULT_ROUNDS, ...positiveInteger, help: 'timed rounds; rates are their medians' },
    'progress-interval-ms': {
      type: 'number',
      default: DEFAULT_PROGRESS_INTERVAL_MS,
      ...positiveInteger,
      help: 'PROGRESS_INTERVAL_MS of the runs with progress writes on',
    },
    'ranges-only': { type: 'flag', help: 'only the parallel-range lines' },
  },
} as const;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
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

async function vacuumMemberships(url: string): Promise<void> {
  const client = new Client({ connectionString: url, application_name: 'export-bench' });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE) memberships');
  } finally {
    await client.end();
  }
}

/** Runs psql's \copy of the export SELECT into `out`; resolves with the elapsed seconds. */
function psqlCopy(url: string, userId: string, out: string): Promise<number> {
  // The worker's own COPY options (text columns always quoted), so the two files must be byte for byte equal.
  return psqlCopySelect(url, exportSelect(userId), exportCopyOptions(), out);
}

/** Runs psql's \copy of `select` with COPY options `copyOptions` into `out`; resolves with the elapsed seconds. */
function psqlCopySelect(url: string, select: string, copyOptions: string, out: string): Promise<number> {
  const command = `\\copy (${select}) TO '${out.replace(/'/g, "''")}' WITH ${copyOptions}`;
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
export function workerCopy(request: ChildRequest): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    // With the V8 flags the worker's image runs it with, so the peak RSS measured is the one that ships.
    const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, path.join(__dirname, 'export-bench-child.js'), JSON.stringify(request)], {
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

/** The SHA-256 of the files' bytes one after the other (one file: that file's). */
export async function sha256OfFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256OfFile(file: string): Promise<string> {
  return sha256OfFiles([file]);
}

/** A queued job for the benchmark user, claimed the way a worker claims it. */
async function claimedJob(jobs: JobStore, userId: string): Promise<{ id: string; attempt: number }> {
  const created = await jobs.create({ userId, trigger: 'api', skipActiveGuard: true });
  const claim = await jobs.claim(created.job.id, BENCH_OWNER, BENCH_LEASE_MS);
  if (!claim.claimed) throw new BenchmarkError(`could not claim the benchmark job (${claim.reason})`);
  return { id: claim.job.id, attempt: claim.job.attempts };
}

/**
 * PostgreSQL, DynamoDB Local (the job record the progress writes go to) and the Secrets Manager
 * stand-in (the database is migrated the way the migrate task does it, which keeps the service
 * roles' passwords there), started side by side; if one fails, the others are stopped.
 */
async function startServers(): Promise<{ postgres: RunningPostgres; dynamodb: RunningEmulator; secretsManager: RunningEmulator }> {
  const [postgres, dynamodb, secretsManager] = await Promise.allSettled([
    startPostgres(),
    startDynamoDbLocal(),
    startSecretsManagerLocal({ region: REGION }),
  ]);
  if (postgres.status === 'fulfilled' && dynamodb.status === 'fulfilled' && secretsManager.status === 'fulfilled') {
    return { postgres: postgres.value, dynamodb: dynamodb.value, secretsManager: secretsManager.value };
  }
  await Promise.allSettled(
    [postgres, dynamodb, secretsManager].map((started) => (started.status === 'fulfilled' ? started.value.stop() : undefined)),
  );
  throw [postgres, dynamodb, secretsManager].flatMap((started) => (started.status === 'rejected' ? [started.reason as unknown] : []))[0];
}

async function runBenchmark(): Promise<number> {
  const args = parseBenchArguments(process.argv.slice(2), COMMAND);
  if (args === HELP) {
    process.stdout.write(benchUsage(COMMAND));
    return 0;
  }
  const { rows, rounds } = args;
  const intervalMs = args['progress-interval-ms'];
  // Only the parallel-range lines (while working on them).
  const rangesOnly = args['ranges-only'];
  checkPsql();
  progress('starting PostgreSQL (DATABASE_URL when set, else embedded) and DynamoDB Local');
  const { postgres: server, dynamodb: dynamoDbLocal, secretsManager } = await startServers();
  const aws: AwsClientSettings = {
    region: REGION,
    endpoints: { dynamodb: dynamoDbLocal.endpoint, secretsManager: secretsManager.endpoint },
  };
  const dynamodb: DynamoDBClient = dynamoDbClient(aws);
  const workDir = await mkdtemp(path.join(tmpdir(), 'export-bench-'));
  try {
    const tables = benchJobTables();
    await createJobTables(dynamodb, tables);
    const jobs = new JobStore({ client: dynamodb, ...tables });
    const database = await createTestDatabase(server.url, aws);
    try {
      const userId = randomUUID();
      progress(`seeding ${rows} memberships (+${OTHER_USER_ROWS} of another user)`);
      await seedMemberships(database.url, randomUUID(), OTHER_USER_ROWS, { seed: 2 });
      const seeded = await seedMemberships(database.url, userId, Math.max(0, rows - TRICKY_MEMBERSHIPS.length), { tricky: true });
      // As autovacuum leaves a table in production: the visibility map set, so the count's and the range
      // starts' index-only scans read no heap page. A table just loaded has none set yet.
      await vacuumMemberships(database.url);

      const psqlFile = path.join(workDir, 'psql.csv');
      progress('warming the cache (untimed psql run)');
      await psqlCopy(database.url, userId, psqlFile);
      const psqlSha = await sha256OfFile(psqlFile);
      const psqlSize = (await stat(psqlFile)).size;

      const ranges = () =>
        runRangeBenchmarks({
          url: database.url,
          userId,
          rows: seeded.inserted,
          rounds: Math.min(rounds, 3),
          workDir,
          psqlSha256: psqlSha,
          psqlBytes: psqlSize,
          rangeCounts: RANGE_COUNTS,
          log: progress,
          psqlCopy: (out) => psqlCopy(database.url, userId, out),
          psqlCopySelect: (select, copyOptions, out) => psqlCopySelect(database.url, select, copyOptions, out),
          workerCopy,
          sha256OfFiles,
          median,
        });
      if (rangesOnly) {
        const lines = await ranges();
        for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
        return lines.every((line) => line.identical) ? 0 : 1;
      }

      const seconds: Record<RunKind, number[]> = { psql: [], off: [], on: [] };
      const writes: number[] = [];
      const writeCpuMs: number[] = [];
      const cpuShares: number[] = [];
      let maxRssKb = 0;
      let identical = true;
      let progressRecorded = true;
      const kinds: RunKind[] = ['psql', 'off', 'on'];
      for (let round = 0; round < rounds; round += 1) {
        // Rotated, so no path always runs right after another (the cache and the machine's load drift).
        const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
        for (const kind of order) {
          if (kind === 'psql') {
            const elapsed = await psqlCopy(database.url, userId, psqlFile);
            seconds.psql.push(elapsed);
            progress(`round ${round + 1}: psql \\copy ${elapsed.toFixed(2)} s`);
            continue;
          }
          const out = path.join(workDir, `worker-${kind}.csv`);
          let job: { id: string; attempt: number } | undefined;
          let probe: { id: string; attempt: number } | undefined;
          if (kind === 'on') {
            job = await claimedJob(jobs, userId);
            probe = await claimedJob(jobs, userId);
          }
          const report = await workerCopy({
            url: database.url,
            userId,
            out,
            ...(job
              ? {
                  progress: {
                    dynamodbEndpoint: dynamoDbLocal.endpoint,
                    region: REGION,
                    credentials: LOCAL_CREDENTIALS,
                    ...tables,
                    jobId: job.id,
                    owner: BENCH_OWNER,
                    attempt: job.attempt,
                    intervalMs,
                    probeJobId: probe!.id,
                    probeAttempt: probe!.attempt,
                  },
                }
              : {}),
          });
          seconds[kind].push(report.seconds);
          maxRssKb = Math.max(maxRssKb, report.maxRssKb);
          const fileSha = await sha256OfFile(out);
          const same =
            (await stat(out)).size === psqlSize && fileSha === psqlSha && report.sha256 === fileSha && report.rows === seeded.inserted;
          if (!same)
            progress(
              `round ${round + 1}: the worker file (progress ${kind}) differs from psql's (sha256 ${fileSha}, psql ${psqlSha}; ${report.rows} rows)`,
            );
          identical &&= same;
          let note = '';
          if (job) {
            writes.push(report.progressWrites);
            writeCpuMs.push(report.writeCpuMs);
            cpuShares.push((report.progressWrites * report.writeCpuMs) / (report.seconds * 1000));
            // The writes must have landed: the job ends up with the exact count, written by the final progress write.
            const recorded = (await jobs.get(job.id))?.progress.rowsExported;
            progressRecorded &&= recorded === report.rows;
            note = `, ${report.progressWrites} progress writes, job shows ${recorded} rows`;
          }
          progress(`round ${round + 1}: worker, progress ${kind}: ${report.seconds.toFixed(2)} s${note}`);
          if (job) progress(`round ${round + 1}: one progress write costs ${report.writeCpuMs.toFixed(2)} ms of worker CPU`);
          await rm(out, { force: true });
        }
      }

      const psqlRowsPerSec = Math.round(seeded.inserted / median(seconds.psql));
      const workerRowsPerSec = Math.round(seeded.inserted / median(seconds.on));
      const workerNoProgressRowsPerSec = Math.round(seeded.inserted / median(seconds.off));
      if (!progressRecorded) progress('the job record does not show the exact row count after an export with progress on');
      const report = {
        rows: seeded.inserted,
        psqlRowsPerSec,
        workerRowsPerSec,
        ratio: Number((workerRowsPerSec / psqlRowsPerSec).toFixed(3)),
        workerNoProgressRowsPerSec,
        progressOverhead: Number((1 - workerRowsPerSec / workerNoProgressRowsPerSec).toFixed(3)),
        progressWrites: median(writes),
        progressWriteCpuMs: Number(median(writeCpuMs).toFixed(2)),
        progressCpuShare: Number(median(cpuShares).toFixed(4)),
        progressIntervalMs: intervalMs,
        rounds,
        peakRssMb: Number((maxRssKb / 1024).toFixed(1)),
        identical: identical && progressRecorded,
      };
      progress(
        `file ${psqlSize} bytes; medians: psql ${median(seconds.psql).toFixed(2)} s, worker ${median(seconds.on).toFixed(2)} s (progress on), ${median(seconds.off).toFixed(2)} s (off)`,
      );
      process.stdout.write(`${JSON.stringify(report)}\n`);
      // One line per format and option set, on the same user and table.
      const formats = await runFormatBenchmarks({
        url: database.url,
        userId,
        rows: seeded.inserted,
        rounds: Math.min(rounds, 3),
        workDir,
        csvRowsPerSec: workerNoProgressRowsPerSec,
        log: progress,
        workerCopy,
        sha256OfFile,
      });
      for (const line of formats) process.stdout.write(`${JSON.stringify(line)}\n`);
      // One line per range count, the same user and SELECT, against psql timed in the same rounds.
      const rangeLines = await ranges();
      for (const line of rangeLines) process.stdout.write(`${JSON.stringify(line)}\n`);
      return report.identical && formats.every((line) => line.identical) && rangeLines.every((line) => line.identical) ? 0 : 1;
    } finally {
      await database.drop();
    }
  } finally {
    dynamodb.destroy();
    await rm(workDir, { recursive: true, force: true });
    await Promise.allSettled([server.stop(), dynamoDbLocal.stop(), secretsManager.stop()]);
  }
}

runBenchmark().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[bench] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
