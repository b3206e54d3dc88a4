import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChildReport, ChildRequest } from './export-bench';

/**
 * The benchmark's lines for exports in parallel id ranges (part of `npm run
 * bench`): today's CSV of the same 1,000,000-row user written with 1, 2, 3
 * and 4 ranges (1 = the single stream), each worker run a child process
 * (exportMemberships with `parallel` into a multipart file sink: parts as
 * files, timed up to the upload's completion; the parts are then joined in
 * part order, untimed, as S3 joins them on its side), against psql's \copy
 * of the same SELECT timed in the same rounds. The joined file must be
 * psql's, byte for byte, and the reported SHA-256 and rows exact.
 *
 *   {"format":"csv-ranges","ranges":…,"rows":…,"psqlRowsPerSec":…,"workerRowsPerSec":…,"ratio":…,
 *    "peakRssMb":…,"rounds":…,"identical":true}
 *
 * Rates are medians over the rounds; the order of the runs rotates per round.
 */
export interface RangeLine {
  readonly format: 'csv-ranges';
  readonly ranges: number;
  readonly rows: number;
  readonly psqlRowsPerSec: number;
  readonly workerRowsPerSec: number;
  readonly ratio: number;
  readonly peakRssMb: number;
  readonly rounds: number;
  readonly identical: boolean;
}

export interface RangeBenchSettings {
  readonly url: string;
  readonly userId: string;
  readonly rows: number;
  readonly rounds: number;
  readonly workDir: string;
  /** psql's file of the default CSV (already written once) and its SHA-256. */
  readonly psqlSha256: string;
  readonly psqlBytes: number;
  readonly rangeCounts: readonly number[];
  readonly log: (message: string) => void;
  /** psql's \copy of the default CSV into `out`; resolves with the seconds it took. */
  readonly psqlCopy: (out: string) => Promise<number>;
  readonly workerCopy: (request: ChildRequest) => Promise<ChildReport>;
  readonly sha256OfFile: (file: string) => Promise<string>;
  readonly median: (values: readonly number[]) => number;
}

export async function runRangeBenchmarks(settings: RangeBenchSettings): Promise<RangeLine[]> {
  const { rows, rounds, workDir, log } = settings;
  const psqlSeconds: number[] = [];
  const runs = settings.rangeCounts.map((ranges) => ({ ranges, seconds: [] as number[], maxRssKb: 0, identical: true }));
  const kinds = ['psql', ...runs.map((_, i) => i)] as const;
  for (let round = 0; round < rounds; round += 1) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
    for (const kind of order) {
      if (kind === 'psql') {
        const elapsed = await settings.psqlCopy(path.join(workDir, 'ranges-psql.csv'));
        psqlSeconds.push(elapsed);
        log(`ranges round ${round + 1}: psql \\copy ${elapsed.toFixed(2)} s`);
        continue;
      }
      const run = runs[kind]!;
      const out = path.join(workDir, `ranges-${run.ranges}.csv`);
      // Above any minRows: the parallel path is taken whenever ranges > 1.
      const report = await settings.workerCopy({
        url: settings.url,
        userId: settings.userId,
        out,
        parallel: { ranges: run.ranges, minRows: 1 },
      });
      run.seconds.push(report.seconds);
      run.maxRssKb = Math.max(run.maxRssKb, report.maxRssKb);
      const fileSha = await settings.sha256OfFile(out);
      const same =
        (await stat(out)).size === settings.psqlBytes &&
        fileSha === settings.psqlSha256 &&
        report.sha256 === fileSha &&
        report.rows === rows;
      if (!same)
        log(`ranges round ${round + 1}: the ${run.ranges}-range file differs from psql's (sha256 ${fileSha}; ${report.rows} rows)`);
      run.identical &&= same;
      log(
        `ranges round ${round + 1}: worker, ${run.ranges} range(s): ${report.seconds.toFixed(2)} s, peak RSS ${(report.maxRssKb / 1024).toFixed(0)} MB`,
      );
      await rm(out, { force: true });
    }
  }
  const psqlRowsPerSec = Math.round(rows / settings.median(psqlSeconds));
  return runs.map((run) => {
    const workerRowsPerSec = Math.round(rows / settings.median(run.seconds));
    return {
      format: 'csv-ranges',
      ranges: run.ranges,
      rows,
      psqlRowsPerSec,
      workerRowsPerSec,
      ratio: Number((workerRowsPerSec / psqlRowsPerSec).toFixed(3)),
      peakRssMb: Number((run.maxRssKb / 1024).toFixed(1)),
      rounds,
      identical: run.identical,
    };
  });
}
