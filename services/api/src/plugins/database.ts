import { createDataSource, serviceRotatingPassword } from '@memberships/core/postgres';
import fp from 'fastify-plugin';

type DataSource = ReturnType<typeof createDataSource>;

export interface DatabaseProbe {
  /** Runs `SELECT 1`; rejects when PostgreSQL cannot be reached. */
  ping(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    database: DatabaseProbe;
  }
}

/** A failed connection attempt gives up after this long (the readiness check waits less). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL as the API sees it today: only the readiness check touches it
 * (so its role may connect and nothing more: no table, no write).
 * The connection is made on first use, not at start-up, so the API starts
 * (and serves liveness) while the database is still coming up; a failed
 * connection attempt is dropped and retried on the next check. With
 * DATABASE_SECRET_ARN the password is the role's secret, read at the first
 * connection and re-read when PostgreSQL refuses it after a rotation.
 */
export default fp(
  async (app) => {
    let connecting: Promise<DataSource> | undefined;
    // One for the process: its cached password outlives a failed connection attempt, not a refused one.
    const rotatingPassword = serviceRotatingPassword({
      url: app.config.databaseUrl,
      secretArn: app.config.databaseSecretArn,
      aws: app.config.aws,
      awsTimeouts: app.config.awsTimeouts,
    });

    const connect = (): Promise<DataSource> => {
      connecting ??= (async () => {
        const source = createDataSource({
          url: app.config.databaseUrl,
          poolSize: 1,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          applicationName: 'memberships-api',
          rotatingPassword,
        });
        try {
          return await source.initialize();
        } catch (error) {
          connecting = undefined;
          if (source.isInitialized) await source.destroy().catch(() => undefined);
          throw error;
        }
      })();
      return connecting;
    };

    app.decorate<DatabaseProbe>('database', {
      async ping() {
        const source = await connect();
        await source.query('SELECT 1');
      },
    });

    app.addHook('onClose', async () => {
      const source = await connecting?.catch(() => undefined);
      if (source?.isInitialized) await source.destroy();
      rotatingPassword?.close();
    });
  },
  { name: 'database', dependencies: ['app-context'] },
);
