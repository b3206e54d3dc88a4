import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Membership } from './membership.entity';
import { CreateMemberships1764000000000 } from './migrations/1764000000000-create-memberships';

export const migrations = [CreateMemberships1764000000000];

export interface DatabaseOptions {
  readonly url: string;
  /** Pool size per process. */
  readonly poolSize?: number;
  /** Fail a connection attempt after this long instead of hanging. */
  readonly connectTimeoutMs?: number;
  readonly applicationName?: string;
}

/** The TypeORM data source for memberships. Schema changes only by migrations, never `synchronize`. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: [Membership],
    migrations,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.poolSize ?? 5,
    applicationName: options.applicationName,
    connectTimeoutMS: options.connectTimeoutMs ?? 5000,
  });
}
