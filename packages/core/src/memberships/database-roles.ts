import { DomainError } from '../errors';

/**
 * The PostgreSQL roles the services log in as. Roles belong to the whole
 * server (cluster), not to one database, so the names are configuration:
 * production uses the defaults, each test database its own pair, so that a
 * password change in one test suite cannot break another.
 */
export interface DatabaseRoleNames {
  /** Readiness checks only: CONNECT on the database, USAGE on its schema, no table. */
  readonly api: string;
  /** Exports: SELECT on the memberships table and nothing else. */
  readonly worker: string;
}

/** The services that log in to PostgreSQL, each with its own role and secret. */
export type ServiceName = keyof DatabaseRoleNames;

export const DEFAULT_DATABASE_ROLES: DatabaseRoleNames = Object.freeze({ api: 'memberships_api', worker: 'memberships_worker' });

// Unquoted-identifier shape, at most 63 bytes (NAMEDATALEN - 1): the name is the same however it is written in SQL.
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export class DatabaseRoleNameError extends DomainError {
  constructor(message: string) {
    super('database_role_name_invalid', message);
  }
}

/** Throws unless both names are plain lower-case identifiers and differ. */
export function checkDatabaseRoleNames(roles: DatabaseRoleNames): DatabaseRoleNames {
  for (const [service, name] of Object.entries(roles)) {
    if (!ROLE_NAME.test(name)) throw new DatabaseRoleNameError(`The ${service} role name "${name}" must match ${ROLE_NAME.source}.`);
  }
  if (roles.api === roles.worker) throw new DatabaseRoleNameError(`The api and worker roles must differ (both "${roles.api}").`);
  return roles;
}

/** A checked role name as a quoted SQL identifier. */
export function quoteRole(name: string): string {
  if (!ROLE_NAME.test(name)) throw new DatabaseRoleNameError(`Invalid role name "${name}".`);
  return `"${name}"`;
}
