import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { DEFAULT_EXPORT_OPTIONS, type ExportOptions } from '@memberships/core/contract';
import { exportCopyOptions, exportSelect } from '@memberships/core/postgres-client';
import type { ChildReport, ChildRequest } from './export-bench-child';

/**
 * The benchmark's lines per format (part of `npm run bench`), each on the
 * same user as the main line, each worker run a child process with its own
 * peak RSS:
 *
 * - `csv-excel`: `;`, BOM, CRLF, Europe/Berlin against psql's \copy of the
 *   same SELECT (LF, no BOM: what the worker adds is what is measured); the
 *   file must be psql's plus the BOM plus one CR per record.
 * - `csv-gzip`: the default CSV gzipped against `psql \copy ... | gzip -6`;
 *   both must unpack to the same bytes.
 * - `jsonl`: against psql's \copy of the same statement; the files must be identical.
 * - `xlsx`: its rate against the worker's CSV path (no psql equivalent), and its peak RSS.
 *
 * Rates are medians over the rounds; `ratio` is worker / baseline.
 */

export interface FormatLine {
  readonly format: string;
  readonly rows: number;
  readonly baseline: string;
  readonly baselineRowsPerSec: number;
  readonly workerRowsPerSec: number;
  readonly ratio: number;
  readonly bytes: number;
  readonly peakRssMb: number;
  readonly rounds: number;
  readonly identical: boolean;
}

export interface FormatBenchSettings {
  readonly url: string;
  readonly userId: string;
  readonly rows: number;
  readonly rounds: number;
  readonly workDir: string;
  /** The worker's default CSV rate (progress off), the baseline of the XLSX line. */
  readonly csvRowsPerSec: number;
  readonly log: (message: string) => void;
  readonly workerCopy: (request: ChildRequest) => Promise<ChildReport>;
  readonly sha256OfFile: (file: string) => Promise<string>;
}

const PSQL = '/usr/bin/psql';
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

async function readPrefix(file: string, length: number): Promise<Buffer> {
  const handle = await open(file);
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, 0);
    return buffer;
  } finally {
    await handle.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** psql's \copy of the statement the worker runs, to a file or through `gzip -6`; resolves with the seconds. */
function psqlCopy(url: string, userId: string, options: ExportOptions, out: string, gzip: boolean): Promise<number> {
  const copy = `\\copy (${exportSelect(userId, options)}) TO STDOUT WITH ${exportCopyOptions(options)}`;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // PGTZ: the session zone the worker sets with SET LOCAL TIME ZONE.
    const child = spawn(
      '/bin/bash',
      ['-c', `set -o pipefail; "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$URL" -c "$COPY" ${gzip ? '| gzip -6 ' : ''}> "$OUT"`],
      {
        env: { PATH: process.env.PATH, PGCLIENTENCODING: 'UTF8', PGTZ: options.timeZone, PSQL, URL: url, COPY: copy, OUT: out },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve((performance.now() - started) / 1000);
      else reject(new Error(`psql \\copy failed (exit ${code}): ${stderr.trim()}`));
    });
  });
}

async function gunzippedSha(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file).pipe(createGunzip())) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Case {
  readonly format: string;
  readonly options: ExportOptions;
  /** psql's statement and whether it is piped through gzip; none: the worker's CSV rate is the baseline. */
  readonly psql?: { readonly options: ExportOptions; readonly gzip: boolean };
  /** Whether the worker's file is right, given psql's file (when there is one). */
  readonly check: (worker: { file: string; report: ChildReport }, psql: { file: string } | undefined) => Promise<boolean>;
}

export async function runFormatBenchmarks(settings: FormatBenchSettings): Promise<FormatLine[]> {
  const { url, userId, rows, rounds, workDir, log } = settings;
  const excel: ExportOptions = {
    ...DEFAULT_EXPORT_OPTIONS,
    csv: { delimiter: ';', bom: true, lineEnding: 'crlf' },
    timeZone: 'Europe/Berlin',
  };
  const gzip: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, compression: 'gzip' };
  const jsonl: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, format: 'jsonl' };
  const cases: Case[] = [
    {
      format: 'csv-excel',
      options: excel,
      psql: { options: { ...excel, csv: { ...excel.csv, bom: false, lineEnding: 'lf' } }, gzip: false },
      // Every record end gains a CR (header + rows), the BOM adds 3 bytes; line breaks inside fields stay.
      check: async (worker, psql) => (await stat(worker.file)).size === (await stat(psql!.file)).size + 3 + rows + 1,
    },
    {
      format: 'csv-gzip',
      options: gzip,
      psql: { options: DEFAULT_EXPORT_OPTIONS, gzip: true },
      check: async (worker, psql) => (await gunzippedSha(worker.file)) === (await gunzippedSha(psql!.file)),
    },
    {
      format: 'jsonl',
      options: jsonl,
      psql: { options: jsonl, gzip: false },
      check: async (worker, psql) => (await settings.sha256OfFile(worker.file)) === (await settings.sha256OfFile(psql!.file)),
    },
    {
      format: 'xlsx',
      options: { ...DEFAULT_EXPORT_OPTIONS, format: 'xlsx', timeZone: 'Europe/Berlin' },
      // The stored file is the one the worker hashed, and a ZIP (its rows were counted as written).
      check: async (worker) =>
        (await settings.sha256OfFile(worker.file)) === worker.report.sha256 && (await readPrefix(worker.file, 4)).equals(ZIP_MAGIC),
    },
  ];
  const lines: FormatLine[] = [];
  for (const item of cases) {
    const psqlSeconds: number[] = [];
    const workerSeconds: number[] = [];
    let maxRssKb = 0;
    let bytes = 0;
    let identical = true;
    let last: ChildReport | undefined;
    const psqlFile = path.join(workDir, `psql-${item.format}`);
    const workerFile = path.join(workDir, `worker-${item.format}`);
    for (let round = 0; round < rounds; round += 1) {
      // Alternated, so neither side always runs right after the other.
      const order = round % 2 === 0 ? ['psql', 'worker'] : ['worker', 'psql'];
      for (const side of order) {
        if (side === 'psql') {
          if (!item.psql) continue;
          psqlSeconds.push(await psqlCopy(url, userId, item.psql.options, psqlFile, item.psql.gzip));
          continue;
        }
        const report = await settings.workerCopy({ url, userId, out: workerFile, export: item.options });
        workerSeconds.push(report.seconds);
        maxRssKb = Math.max(maxRssKb, report.maxRssKb);
        bytes = report.bytes;
        last = report;
        identical &&= report.rows === rows && report.bytes === (await stat(workerFile)).size;
      }
      identical &&= await item.check({ file: workerFile, report: last! }, item.psql ? { file: psqlFile } : undefined);
      log(
        `${item.format} round ${round + 1}: worker ${workerSeconds.at(-1)!.toFixed(2)} s` +
          (item.psql ? `, psql ${psqlSeconds.at(-1)!.toFixed(2)} s` : ''),
      );
    }
    await Promise.all([rm(psqlFile, { force: true }), rm(workerFile, { force: true })]);
    const workerRowsPerSec = Math.round(rows / median(workerSeconds));
    const baselineRowsPerSec = item.psql ? Math.round(rows / median(psqlSeconds)) : settings.csvRowsPerSec;
    if (!identical) log(`${item.format}: the worker's file is not what it should be`);
    lines.push({
      format: item.format,
      rows,
      baseline: item.psql ? (item.psql.gzip ? 'psql \\copy | gzip -6' : 'psql \\copy') : 'worker csv',
      baselineRowsPerSec,
      workerRowsPerSec,
      ratio: Number((workerRowsPerSec / baselineRowsPerSec).toFixed(3)),
      bytes,
      peakRssMb: Number((maxRssKb / 1024).toFixed(1)),
      rounds,
      identical,
    });
  }
  return lines;
}
