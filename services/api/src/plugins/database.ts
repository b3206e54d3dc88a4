import { createDataSource } from '@memberships/core';
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
 * PostgreSQL as the API sees it today: only the readiness check touches it.
 * The connection is made on first use, not at start-up, so the API starts
 * (and serves liveness) while the database is still coming up; a failed
 * connection attempt is dropped and retried on the next check.
 */
export default fp(
  async (app) => {
    let connecting: Promise<DataSource> | undefined;

    const connect = (): Promise<DataSource> => {
      connecting ??= (async () => {
        const source = createDataSource({
          url: app.config.databaseUrl,
          poolSize: 1,
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          applicationName: 'memberships-api',
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
    });
  },
  { name: 'database', dependencies: ['app-context'] },
);
