/**
 * The stand-in in its own process, for `npm start` and for tests in other
 * processes. Usage: `node dist/runner.js [port]` (settings: config.ts).
 * Prints `listening <port> node=<version>` once it accepts connections, then pino JSON logs;
 * stops on SIGTERM/SIGINT or when stdin closes (the parent died), like the
 * local platform's emulator runners.
 */
import pino from 'pino';
import { loadRunnerConfig } from './config';
import { startSchedulerLocal } from './scheduler-local';

// Once the parent is gone, writing to our output pipes fails (EPIPE); that must not crash the shutdown.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

async function main(): Promise<void> {
  const config = loadRunnerConfig();
  // Synchronous writes: pino's default asynchronous stream flushes what is left at exit in a loop
  // that retries a failed write, so with the parent gone (stdout a closed pipe) the process
  // would never exit. Written synchronously, nothing is pending and a failed write is dropped.
  const logger = pino({ name: 'scheduler-local', level: config.logLevel }, pino.destination({ dest: 1, sync: true }));
  const scheduler = await startSchedulerLocal({
    port: config.port,
    sqs: {
      region: config.region,
      ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}),
      ...(config.credentials ? { credentials: config.credentials } : {}),
    },
    clock: config.clock,
    tickMs: config.tickMs,
    ...(config.startTime ? { startTime: config.startTime } : {}),
    accountId: config.accountId,
    maxFiringsPerClockMove: config.maxFiringsPerClockMove,
    logger,
  });
  process.stdout.write(`listening ${scheduler.port} node=${process.version}\n`);

  let closing = false;
  const shutdown = (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, 'stopping');
    scheduler.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ error: String(error) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin failed'));
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`scheduler-local failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
