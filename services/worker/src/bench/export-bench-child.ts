/**
 * The export benchmark's child process (export-bench.ts spawns it): one
 * export through exportMemberships into a file, timed, with its own peak RSS
 * (process.resourceUsage().maxRSS). A module of its own, so the child loads
 * what the worker's export path loads and nothing of the parent's (the local
 * platform, psql's runner): the peak RSS it reports is the export's.
 *
 *   node --max-semi-space-size=8 services/worker/dist/bench/export-bench-child.js '<ChildRequest JSON>'
 */
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '@memberships/core/config';
import type { ExportOptions } from '@memberships/core/contract';
import { JobStore } from '@memberships/core/dynamodb';
import { Pool } from 'pg';
import pino from 'pino';
import { exportMemberships, type ExportProgress, type ParallelRanges } from '../csv-export';
import { jobProgressReporter, type ProgressReporter } from '../progress-reporter';
import { fileSink } from './file-sink';
import { multipartFileSink } from './multipart-file-sink';

/** Where a child's progress writes go: a job the parent created and claimed for it. */
export interface ChildProgress {
  readonly dynamodbEndpoint: string;
  /** The region the parent started DynamoDB Local in. */
  readonly region: string;
  /** DynamoDB Local's keys (it takes any static ones). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly jobsTable: string;
  readonly guardsTable: string;
  readonly jobId: string;
  readonly owner: string;
  readonly attempt: number;
  readonly intervalMs: number;
  /** A second job under the same lease, for timing single writes after the export (untimed part). */
  readonly probeJobId: string;
  readonly probeAttempt: number;
}

export interface ChildRequest {
  readonly url: string;
  readonly userId: string;
  readonly out: string;
  /** The export's options; the defaults (today's CSV) when absent. */
  readonly export?: ExportOptions;
  /** Progress writes on (to this job); off when absent. */
  readonly progress?: ChildProgress;
  /** Parallel id ranges into a multipart file sink (range-bench.ts); the single stream into a file when absent. */
  readonly parallel?: ParallelRanges;
}

export interface ChildReport {
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly seconds: number;
  readonly maxRssKb: number;
  /** Progress writes started during the export (the final one, with the exact total, included). */
  readonly progressWrites: number;
  /** CPU time (user + system) of this process per progress write, measured on the probe job. */
  readonly writeCpuMs: number;
}

/**
 * CPU time of one progress write in this process: `count` writes in a row
 * to the probe job, after the export. Low-noise where the on/off difference
 * in throughput is not: it bounds what the writes can take from the stream.
 */
async function writeCpuMsPerWrite(jobs: JobStore, settings: ChildProgress, count: number): Promise<number> {
  const lease = { owner: settings.owner, attempt: settings.probeAttempt };
  // One untimed write first: connection set-up is paid once per process, not per write.
  await jobs.recordProgress(settings.probeJobId, lease, { rowsExported: 1, rowsTotal: count + 1 });
  const before = process.cpuUsage();
  for (let i = 2; i <= count + 1; i += 1) {
    await jobs.recordProgress(settings.probeJobId, lease, { rowsExported: i, rowsTotal: count + 1 });
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

/** The child: one export through exportMemberships into a file, timed, with its own peak RSS. */
async function runChild(request: ChildRequest): Promise<void> {
  // One connection per range, as the worker's pool gives a parallel export.
  const pool = new Pool({ connectionString: request.url, max: request.parallel?.ranges ?? 1, application_name: 'export-bench' });
  let dynamodb: DynamoDBClient | undefined;
  let reporter: ProgressReporter | undefined;
  let jobs: JobStore | undefined;
  if (request.progress) {
    const settings = request.progress;
    dynamodb = new DynamoDBClient(
      clientOptions(
        { region: settings.region, endpoints: { dynamodb: settings.dynamodbEndpoint }, credentials: settings.credentials },
        'dynamodb',
      ),
    );
    jobs = new JobStore({ client: dynamodb, jobsTable: settings.jobsTable, guardsTable: settings.guardsTable });
    reporter = jobProgressReporter({
      jobs,
      jobId: settings.jobId,
      owner: settings.owner,
      attempt: settings.attempt,
      intervalMs: settings.intervalMs,
      log: pino({ level: 'warn' }, pino.destination(2)),
    });
  }
  try {
    // What the handler keeps for its heartbeat, in both modes; the reporter is the only difference.
    const latest: { rowsExported: number; rowsTotal: number | null } = { rowsExported: 0, rowsTotal: null };
    const multipart = request.parallel ? multipartFileSink(request.out) : undefined;
    const started = performance.now();
    const result = await exportMemberships({
      pool,
      userId: request.userId,
      export: request.export,
      sink: multipart ?? fileSink(request.out),
      parallel: request.parallel,
      // The worker's default attachment limit: the bench pays for keeping small files too.
      keepInMemoryUpToBytes: 5 * 1024 * 1024,
      onProgress: (update: ExportProgress) => {
        latest.rowsExported = update.rowsExported;
        latest.rowsTotal = update.rowsTotal;
        reporter?.report(update);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    // S3's join of the parts, after the completion: its work, not the worker's (untimed; the file is compared after).
    await multipart?.assemble();
    // As in the handler the final write is not awaited by the export; awaited here (untimed) so it is counted.
    await reporter?.finish({ rowsExported: result.rows, rowsTotal: result.rows });
    const writeCpuMs = jobs && request.progress ? await writeCpuMsPerWrite(jobs, request.progress, 50) : 0;
    const report: ChildReport = {
      rows: result.rows,
      bytes: result.bytes,
      sha256: result.sha256,
      seconds,
      maxRssKb: process.resourceUsage().maxRSS,
      progressWrites: reporter?.writesStarted ?? 0,
      writeCpuMs,
    };
    process.stdout.write(JSON.stringify(report));
  } finally {
    await reporter?.stop();
    dynamodb?.destroy();
    await pool.end();
  }
}

runChild(JSON.parse(process.argv[2] ?? '{}') as ChildRequest).catch((error: unknown) => {
  process.stderr.write(`[bench child] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
