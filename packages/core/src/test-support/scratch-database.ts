import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { migrationsFor } from '../memberships/data-source';
import type { DatabaseRoleNames } from '../memberships/database-roles';
import { Membership } from '../memberships/membership.entity';

/**
 * A database of its own on the PostgreSQL server of the jest global setup
 * (DATABASE_URL, a superuser), for core's own tests: core cannot use the
 * local platform's createTestDatabase (the local platform depends on core).
 * Its service roles get names of their own, so suites never share them.
 */
export interface ScratchDatabase {
  readonly url: string;
  readonly roles: DatabaseRoleNames;
  /** Runs the first `count` migrations (default: all) not yet applied; returns their names. */
  migrate(count?: number): Promise<string[]>;
  /** Reverts the last applied migration. */
  revertLast(): Promise<void>;
  /** Drops the database and its roles. */
  drop(): Promise<void>;
}

export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL is not set (the jest global setup sets it)');
  const name = `core_${randomBytes(6).toString('hex')}`;
  const roles: DatabaseRoleNames = { api: `${name}_api`, worker: `${name}_worker` };
  await onServer(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;

  const dataSource = (count?: number) =>
    new DataSource({
      type: 'postgres',
      url: url.toString(),
      entities: [Membership],
      migrations: migrationsFor(roles).slice(0, count),
      migrationsTableName: 'typeorm_migrations',
      logging: false,
    });
  const withDataSource = async <T>(count: number | undefined, work: (source: DataSource) => Promise<T>): Promise<T> => {
    const source = dataSource(count);
    await source.initialize();
    try {
      return await work(source);
    } finally {
      await source.destroy();
    }
  };

  return {
    url: url.toString(),
    roles,
    migrate: (count) =>
      withDataSource(count, async (source) => (await source.runMigrations({ transaction: 'all' })).map((migration) => migration.name)),
    revertLast: () => withDataSource(undefined, (source) => source.undoLastMigration({ transaction: 'all' })),
    drop: () =>
      onServer(serverUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        for (const role of [roles.api, roles.worker]) await client.query(`DROP ROLE IF EXISTS ${role}`);
      }),
  };
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
