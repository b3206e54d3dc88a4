import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { credentialPoolDriver, type AuthenticationRetry, type RotatingPassword } from './database-credentials';
import { DEFAULT_DATABASE_ROLES, type DatabaseRoleNames } from './database-roles';
import { Membership } from './membership.entity';
import { CreateMemberships1764000000000 } from './migrations/1764000000000-create-memberships';
import { createServiceRolesMigration } from './migrations/1764100000000-create-service-roles';
import { FiniteValues1764200000000 } from './migrations/1764200000000-finite-values';

/** Every migration, in order; the roles migration creates and grants to these role names. */
export function migrationsFor(roles: DatabaseRoleNames = DEFAULT_DATABASE_ROLES) {
  return [CreateMemberships1764000000000, createServiceRolesMigration(roles), FiniteValues1764200000000];
}

export interface DatabaseOptions {
  readonly url: string;
  /** Pool size per process. */
  readonly poolSize?: number;
  /** Fail a connection attempt after this long instead of hanging. */
  readonly connectTimeoutMs?: number;
  readonly applicationName?: string;
  /** Server-side limit of one statement (`statement_timeout`). Unset: none (migrations may run long). */
  readonly statementTimeoutMs?: number;
  /** Client-side limit of one query, which also covers a server that stopped answering (`query_timeout`). Unset: none. */
  readonly queryTimeoutMs?: number;
  /** The server ends a session left idle inside a transaction (`idle_in_transaction_session_timeout`). Default 60 s. */
  readonly idleInTransactionTimeoutMs?: number;
  /** The password from the role's secret, re-read when PostgreSQL refuses it. Unset: the URL's. */
  readonly rotatingPassword?: RotatingPassword | undefined;
  readonly authenticationRetry?: AuthenticationRetry;
  /** Role names the roles migration uses (migrate only). Default DEFAULT_DATABASE_ROLES. */
  readonly roles?: DatabaseRoleNames;
}

/**
 * node-postgres settings that put deadlines on queries: `statement_timeout`
 * and `idle_in_transaction_session_timeout` are enforced by the server,
 * `query_timeout` by the client (the only one that helps when the server
 * stops answering altogether). Unset values are left out.
 */
export function postgresTimeouts(options: Pick<DatabaseOptions, 'statementTimeoutMs' | 'queryTimeoutMs' | 'idleInTransactionTimeoutMs'>) {
  return {
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.queryTimeoutMs ? { query_timeout: options.queryTimeoutMs } : {}),
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
  };
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
