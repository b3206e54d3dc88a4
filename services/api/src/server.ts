import pino from 'pino';
import { buildApp } from './app';
import { loadConfig, type ApiConfig } from './config';

/**
 * Process entry point (`node dist/server.js`): reads the configuration, starts
 * listening, and closes gracefully on SIGTERM/SIGINT — in-flight requests
 * finish, new ones get 503, clients are closed — or exits after a grace period.
 * Logs are JSON lines on stdout.
 */

/** ECS gives a task 30 s between SIGTERM and SIGKILL by default; finish well before that. */
const CLOSE_GRACE_MS = 20_000;

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadConfig();
  } catch (error) {
    pino().fatal({ err: error }, 'cannot start: invalid configuration');
    process.exit(1);
  }

  const app = buildApp(config);

  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal }, 'closing');
    const force = setTimeout(() => {
      app.log.error({ graceMs: CLOSE_GRACE_MS }, 'graceful close took too long: exiting');
      process.exit(1);
    }, CLOSE_GRACE_MS);
    force.unref();
    app.close().then(
      () => {
        app.log.info('closed');
        process.exit(0);
      },
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', close);
  process.on('SIGINT', close);

  process.on('unhandledRejection', (reason) => {
    app.log.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    app.log.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    app.log.fatal({ err: error }, 'cannot start');
    await app.close().catch(() => undefined);
    process.exit(1);
  }
}

void main();
