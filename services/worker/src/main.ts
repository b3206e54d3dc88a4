import pino from 'pino';
import { loadConfig, SHUTDOWN_MARGIN_SECONDS } from './config';
import { DEFAULT_HEARTBEAT_FILE } from './health-check-heartbeat';
import { createWorker } from './worker';

/**
 * The worker process: reads the configuration, starts polling, and on
 * SIGTERM/SIGINT stops taking messages, lets the job in hand finish within
 * SHUTDOWN_GRACE_SECONDS (or gives it back to the queue), and exits 0.
 * A second signal gives the job back at once.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({
    level: config.logLevel,
    base: { service: 'worker' },
    // Presigned links are bearer credentials for the file; the database URL may carry a password.
    redact: ['downloadUrl', 'databaseUrl', '*.downloadUrl', '*.databaseUrl'],
  });
  const worker = createWorker(config, logger, { heartbeatFile: DEFAULT_HEARTBEAT_FILE });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: giving the job in hand back now');
      worker.consumer.abortInFlight();
      return;
    }
    logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'stopping: no new messages');
    // Backstop: stop() itself gives up on a stuck handler after the grace period plus the margin.
    setTimeout(
      () => {
        logger.fatal('shutdown did not finish in time; exiting');
        process.exit(1);
      },
      (config.shutdownGraceSeconds + 2 * SHUTDOWN_MARGIN_SECONDS) * 1000,
    ).unref();
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });

  await worker.start();
}

main().catch((error: unknown) => {
  // Logged as JSON like everything else, so a misconfigured task says why in the log stream.
  pino({ base: { service: 'worker' } }).fatal({ err: error }, 'worker failed to start');
  process.exit(1);
});
