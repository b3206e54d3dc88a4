import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { credentialPoolDriver, type AuthenticationRetry, type RotatingPassword } from './database-credentials';
import { DEFAULT_DATABASE_ROLES, type DatabaseRoleNames } from './database-roles';
import { type PostgresTimeoutOptions, postgresTimeouts } from './query-timeouts';
import { Membership } from './membership.entity';
import { CreateMemberships1764000000000 } from './migrations/1764000000000-create-memberships';
import { createServiceRolesMigration } from './migrations/1764100000000-create-service-roles';
import { FiniteValues1764200000000 } from './migrations/1764200000000-finite-values';

/** Every migration, in order; the roles migration creates and grants to these role names. */
export function migrationsFor(roles: DatabaseRoleNames = DEFAULT_DATABASE_ROLES) {
  return [CreateMemberships1764000000000, createServiceRolesMigration(roles), FiniteValues1764200000000];
}

export interface DatabaseOptions extends PostgresTimeoutOptions {
  readonly url: string;
  /** Pool size per process. */
  readonly poolSize?: number;
  /** Fail a connection attempt after this long instead of hanging. */
  readonly connectTimeoutMs?: number;
  readonly applicationName?: string;
  /** The password from the role's secret, re-read when PostgreSQL refuses it. Unset: the URL's. */
  readonly rotatingPassword?: RotatingPassword | undefined;
  readonly authenticationRetry?: AuthenticationRetry;
  /** Role names the roles migration uses (migrate only). Default DEFAULT_DATABASE_ROLES. */
  readonly roles?: DatabaseRoleNames;
}

/** The TypeORM data source for memberships. Schema changes only by migrations, never `synchronize`. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: [Membership],
    migrations: migrationsFor(options.roles),
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.poolSize ?? 5,
    applicationName: options.applicationName,
    connectTimeoutMS: options.connectTimeoutMs ?? 5000,
    // Passed to the pg pool: no query may wait forever on a database that hangs.
    extra: postgresTimeouts(options),
    ...(options.rotatingPassword ? { driver: credentialPoolDriver(options.rotatingPassword, options.authenticationRetry) } : {}),
  });
}
