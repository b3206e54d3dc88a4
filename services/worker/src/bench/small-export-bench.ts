/**
 * Small-export benchmark: the fixed work of one export, whatever its size.
 * Exports of a few rows (1, 10, 50) run back to back on one pooled
 * connection into a sink that drops the bytes, so what is measured is the
 * round trips and the pipeline's set-up, not the rows.
 *
 *   npm run build && node services/worker/dist/bench/small-export-bench.js [--exports N]
 *
 * PostgreSQL: DATABASE_URL's server when set, else an embedded one. stdout
 * gets one JSON line per row count and zone: {"rows":…,"timeZone":…,"exportsPerSec":…,"msPerExport":…}.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { DEFAULT_EXPORT_OPTIONS } from '@memberships/core/contract';
import { createTestDatabase, seedMemberships, startPostgres, startSecretsManagerLocal } from '@memberships/local-platform';
import { Pool } from 'pg';
import { exportMemberships, type ExportSink } from '../csv-export';

const ROW_COUNTS = [1, 10, 50] as const;
const TIME_ZONES = ['UTC', 'Europe/Berlin'] as const;
const REGION = 'us-east-1';

/** A sink that stores nothing: the bytes are dropped as they come. */
function discardingSink(): ExportSink {
  const stream = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  return { stream, done, abort: async () => void stream.destroy() };
}

function exportsArgument(): number {
  const index = process.argv.indexOf('--exports');
  const value = index === -1 ? 2000 : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--exports needs a positive integer, got ${process.argv[index + 1]}`);
  return value;
}

async function main(): Promise<void> {
  const exports = exportsArgument();
  const [server, secretsManager] = await Promise.all([startPostgres(), startSecretsManagerLocal({ region: REGION })]);
  try {
    const database = await createTestDatabase(server.url, { region: REGION, endpoints: { secretsManager: secretsManager.endpoint } });
    const pool = new Pool({ connectionString: database.url, max: 1 });
    try {
      for (const rows of ROW_COUNTS) {
        const userId = randomUUID();
        await seedMemberships(database.url, userId, rows, { seed: rows });
        for (const timeZone of TIME_ZONES) {
          const options = { ...DEFAULT_EXPORT_OPTIONS, timeZone };
          const run = () => exportMemberships({ pool, userId, export: options, sink: discardingSink(), keepInMemoryUpToBytes: 0 });
          // Warm-up: the connection, the plan cache and the JIT settle before the timed runs.
          for (let i = 0; i < 200; i += 1) await run();
          const started = performance.now();
          for (let i = 0; i < exports; i += 1) {
            const result = await run();
            if (result.rows !== rows) throw new Error(`exported ${result.rows} rows, expected ${rows}`);
          }
          const seconds = (performance.now() - started) / 1000;
          const line = {
            rows,
            timeZone,
            exports,
            exportsPerSec: Math.round(exports / seconds),
            msPerExport: Number(((seconds * 1000) / exports).toFixed(3)),
          };
          process.stdout.write(`${JSON.stringify(line)}\n`);
        }
      }
    } finally {
      await pool.end();
      await database.drop();
    }
  } finally {
    await Promise.allSettled([server.stop(), secretsManager.stop()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[small-export-bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
