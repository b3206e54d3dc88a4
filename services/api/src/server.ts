import pino from 'pino';
import { buildApp } from './app';
import { loadConfig, type ApiConfig } from './config';

/**
 * Process entry point (`node dist/server.js`): reads the configuration, starts
 * listening, and closes gracefully on SIGTERM/SIGINT — in-flight requests
 * finish, new ones get 503, clients are closed — but never for longer than
 * SHUTDOWN_TIMEOUT_SECONDS: then it exits anyway. Logs are JSON lines on stdout.
 */

/**
 * Log lines are written to stdout synchronously. pino's default stream writes
 * asynchronously and, when the process exits, flushes what is left with a
 * loop that retries a failed write for ever (sonic-boom's flushSync). When
 * stdout is a pipe whose reader is gone — the local platform or `npm start`
 * killed hard — every write fails with EPIPE, so the exit after a clean close
 * never completed: the listener was closed, the process stayed, for hours.
 * Written synchronously, nothing is pending at exit, and the first EPIPE
 * switches logging off (pino's broken-pipe handler) instead of blocking.
 */
function stdoutLog() {
  return pino.destination({ dest: 1, sync: true });
}

async function main(): Promise<void> {
  const logStream = stdoutLog();
  let config: ApiConfig;
  try {
    config = loadConfig();
  } catch (error) {
    pino(logStream).fatal({ err: error }, 'cannot start: invalid configuration');
    process.exit(1);
  }

  const app = buildApp(config, { logStream });
  const { shutdownTimeoutSeconds } = config;

  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    app.log.info({ signal, shutdownTimeoutSeconds }, 'closing');
    // Not unref'd: the deadline holds whatever else keeps the process alive
    // (a request waiting on a hung dependency, a connection that stays open).
    setTimeout(() => {
      app.log.error({ shutdownTimeoutSeconds, forced: true }, 'shutdown deadline passed: exiting without finishing the close');
      process.exit(1);
    }, shutdownTimeoutSeconds * 1000);
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

  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    app.log.fatal({ err: error }, 'cannot start');
    await app.close().catch(() => undefined);
    process.exit(1);
  }
  // Which Node.js runs the API is the first question when something behaves differently.
  app.log.info({ url, node: process.version, shutdownTimeoutSeconds }, 'api listening');
  // Read once now, so a link signing secret the API cannot read shows in the log before anyone clicks a
  // link; only the links fail without it, so the API serves the rest meanwhile.
  app.linkKeys.keyring().then(
    () => app.log.info('link signing keys read'),
    (error: unknown) =>
      app.log.error({ err: error, secretId: config.linkSigningSecretArn }, 'could not read the link signing key; emailed links fail'),
  );
}

void main();
