import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_EXPORT_OPTIONS } from '@memberships/core/contract';
import { type ExportIdRange, exportCopyOptions, exportSelect, rangeStartsSelect } from '@memberships/core/postgres-client';
import { Client } from 'pg';
import { idRangesFromStarts, rangeStartPositions } from '../range-export';
import type { ChildReport, ChildRequest } from './export-bench-child';

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
 * Beside each range count of 2 or more, the database's own ceiling for it on
 * this machine: as many psql \copy processes at once, one per range, each of
 * one range's SELECT (the worker's id bounds) into a file of its own; their
 * files in order must be psql's whole file. They share no snapshot and count
 * nothing, so they bound what the worker's ranges can reach here.
 *
 *   {"format":"csv-ranges","ranges":…,"rows":…,"psqlRowsPerSec":…,"workerRowsPerSec":…,"ratio":…,
 *    "psqlRangesRowsPerSec":…|null,"ofPsqlRanges":…|null,"peakRssMb":…,"rounds":…,"identical":true}
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
  /** `ranges` psql \copy processes at once, one range each (null for one range: that is psqlRowsPerSec). */
  readonly psqlRangesRowsPerSec: number | null;
  /** workerRowsPerSec ÷ psqlRangesRowsPerSec. */
  readonly ofPsqlRanges: number | null;
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
  /** psql's \copy of `select` with COPY options `copyOptions` into `out`; resolves with the seconds it took. */
  readonly psqlCopySelect: (select: string, copyOptions: string, out: string) => Promise<number>;
  readonly workerCopy: (request: ChildRequest) => Promise<ChildReport>;
  /** The SHA-256 of the files' bytes one after the other. */
  readonly sha256OfFiles: (files: readonly string[]) => Promise<string>;
  readonly median: (values: readonly number[]) => number;
}

/** The id bounds of `ranges` ranges of the user's `rows` rows, cut as the worker cuts them (range-export.ts). */
async function idRangesFor(url: string, userId: string, rows: number, ranges: number): Promise<ExportIdRange[]> {
  const client = new Client({ connectionString: url, application_name: 'export-bench' });
  await client.connect();
  try {
    const positions = rangeStartPositions(rows, ranges);
    const starts = (await client.query<{ id: string }>(rangeStartsSelect(userId, DEFAULT_EXPORT_OPTIONS, positions))).rows.map(
      (row) => row.id,
    );
    return idRangesFromStarts(starts);
  } finally {
    await client.end();
  }
}

export async function runRangeBenchmarks(settings: RangeBenchSettings): Promise<RangeLine[]> {
  const { rows, rounds, workDir, log } = settings;
  const psqlSeconds: number[] = [];
  const runs = settings.rangeCounts.map((ranges) => ({ ranges, seconds: [] as number[], maxRssKb: 0, identical: true }));
  const ceilings = await Promise.all(
    settings.rangeCounts
      .filter((ranges) => ranges > 1)
      .map(async (ranges) => ({
        ranges,
        idRanges: await idRangesFor(settings.url, settings.userId, rows, ranges),
        seconds: [] as number[],
      })),
  );
  type Kind = 'psql' | { worker: number } | { ceiling: number };
  const kinds: Kind[] = ['psql', ...runs.map((_, i) => ({ worker: i })), ...ceilings.map((_, i) => ({ ceiling: i }))];
  for (let round = 0; round < rounds; round += 1) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]!);
    for (const kind of order) {
      if (kind === 'psql') {
        const elapsed = await settings.psqlCopy(path.join(workDir, 'ranges-psql.csv'));
        psqlSeconds.push(elapsed);
        log(`ranges round ${round + 1}: psql \\copy ${elapsed.toFixed(2)} s`);
        continue;
      }
      if ('ceiling' in kind) {
        const ceiling = ceilings[kind.ceiling]!;
        const files = ceiling.idRanges.map((_, i) => path.join(workDir, `ranges-psql-${ceiling.ranges}-${i}.csv`));
        const started = performance.now();
        await Promise.all(
          ceiling.idRanges.map((idRange, i) =>
            settings.psqlCopySelect(
              exportSelect(settings.userId, DEFAULT_EXPORT_OPTIONS, idRange),
              exportCopyOptions(DEFAULT_EXPORT_OPTIONS, i === 0),
              files[i]!,
            ),
          ),
        );
        const elapsed = (performance.now() - started) / 1000;
        ceiling.seconds.push(elapsed);
        if ((await settings.sha256OfFiles(files)) !== settings.psqlSha256)
          throw new Error(`the ${ceiling.ranges} psql range files in order are not psql's whole file`);
        await Promise.all(files.map((file) => rm(file, { force: true })));
        log(`ranges round ${round + 1}: ${ceiling.ranges} psql \\copy at once, a range each: ${elapsed.toFixed(2)} s`);
        continue;
      }
      const run = runs[kind.worker]!;
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
      const fileSha = await settings.sha256OfFiles([out]);
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
    const ceiling = ceilings.find((candidate) => candidate.ranges === run.ranges);
    const psqlRangesRowsPerSec = ceiling ? Math.round(rows / settings.median(ceiling.seconds)) : null;
    return {
      format: 'csv-ranges',
      ranges: run.ranges,
      rows,
      psqlRowsPerSec,
      workerRowsPerSec,
      ratio: Number((workerRowsPerSec / psqlRowsPerSec).toFixed(3)),
      psqlRangesRowsPerSec,
      ofPsqlRanges: psqlRangesRowsPerSec === null ? null : Number((workerRowsPerSec / psqlRangesRowsPerSec).toFixed(3)),
      peakRssMb: Number((run.maxRssKb / 1024).toFixed(1)),
      rounds,
      identical: run.identical,
    };
  });
}
