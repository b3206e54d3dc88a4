/**
 * `node services/worker/dist/migrate.js [--rotate]`: the one-off ECS task
 * run before the services roll (and the local platform's migration step).
 * As the master user it applies the migrations, creates or updates the
 * services' least-privilege roles, and gives each role the password its
 * secret holds (a new one when the secret is empty, or for both with
 * `--rotate`). Exit code 0 on success, 1 with a `migrate failed` log line
 * otherwise, 2 for an unknown argument. Configuration: loadMigrateConfig().
 */
import { databaseSecretsClient, migrateDatabase } from '@memberships/core/postgres';
import pino from 'pino';
import { loadMigrateConfig } from './config';

const USAGE = 'usage: node services/worker/dist/migrate.js [--rotate]';

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--rotate');
  const base = pino({ base: { service: 'migrate' } });
  if (unknown.length > 0) {
    base.error({ arguments: unknown }, USAGE);
    return 2;
  }
  const rotate = args.includes('--rotate');
  const config = loadMigrateConfig();
  // The database URL may carry a password (local platform); the secrets' values are never logged.
  const logger = pino({ level: config.logLevel, base: { service: 'migrate' }, redact: ['databaseUrl', '*.databaseUrl'] });
  const secrets = databaseSecretsClient(config.aws, config.awsTimeouts);
  try {
    logger.info(
      { rotate, roles: { api: config.roles.api.role, worker: config.roles.worker.role }, node: process.version },
      'migrate started',
    );
    const result = await migrateDatabase({
      databaseUrl: config.databaseUrl,
      masterSecretId: config.masterSecretArn,
      roles: config.roles,
      secrets,
      rotate,
      connectTimeoutMs: config.connectTimeoutMs,
      log: logger,
    });
    logger.info({ migrations: result.migrations, passwords: result.passwords }, 'migrate finished');
    return 0;
  } finally {
    secrets.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // JSON like everything else, so the task's log stream says why it failed.
    pino({ base: { service: 'migrate' } }).fatal({ err: error }, 'migrate failed');
    process.exit(1);
  },
);
