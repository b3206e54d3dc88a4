import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DomainError } from '../../errors';
import { checkDatabaseRoleNames, quoteRole, type DatabaseRoleNames } from '../database-roles';

/** Runs one statement (a QueryRunner's or a transaction's `query`). */
export type RunSql = (sql: string, parameters?: unknown[]) => Promise<unknown>;

/**
 * The services' login roles, least privilege: the API may connect (its
 * readiness check runs `SELECT 1`), the worker may also read memberships.
 * No password here: `migrate` sets it and writes it to the role's secret.
 * PUBLIC's default rights on this database (CONNECT, TEMPORARY) and, before
 * PostgreSQL 15, CREATE on schema public are revoked, so the roles hold only
 * what is granted below
 * (https://www.postgresql.org/docs/current/ddl-priv.html#PRIVILEGES-SUMMARY-TABLE).
 * Idempotent: the migration runs it once, `migrate` on every run (role names
 * are configuration and may differ from the ones the migration saw).
 */
export async function ensureServiceRoles(run: RunSql, roles: DatabaseRoleNames): Promise<void> {
  const { api, worker } = checkDatabaseRoleNames(roles);
  const [apiRole, workerRole] = [quoteRole(api), quoteRole(worker)];
  for (const [name, quoted] of [
    [api, apiRole],
    [worker, workerRole],
  ] as const) {
    // Roles are shared by every database of the server: another database's migration may create
    // the same name at the same moment (unique_violation) or may have created it already.
    await run(`
      DO $$ BEGIN
        CREATE ROLE ${quoted} LOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    const [found] = (await run(
      `SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls AS privileged, rolname = current_user AS self
         FROM pg_roles WHERE rolname = $1`,
      [name],
    )) as { privileged: boolean; self: boolean }[];
    if (!found || found.privileged || found.self) {
      throw new DomainError(
        'database_role_privileged',
        `Role "${name}" already exists with more than LOGIN (or is the migrating user): choose another name.`,
      );
    }
  }
  await run(`
    DO $$ BEGIN
      EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
      EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${apiRole}, ${workerRole}', current_database());
    END $$`);
  // A no-op (with a warning) where PUBLIC has no CREATE on public, as from PostgreSQL 15.
  await run(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  await run(`GRANT USAGE ON SCHEMA public TO ${apiRole}, ${workerRole}`);
  await run(`GRANT SELECT ON TABLE memberships TO ${workerRole}`);
}

/** The migration class for these role names (TypeORM instantiates migrations itself, without arguments). */
export function createServiceRolesMigration(roles: DatabaseRoleNames): new () => MigrationInterface {
  const [apiRole, workerRole] = [quoteRole(checkDatabaseRoleNames(roles).api), quoteRole(roles.worker)];

  return class CreateServiceRoles1764100000000 implements MigrationInterface {
    name = 'CreateServiceRoles1764100000000';

    async up(queryRunner: QueryRunner): Promise<void> {
      await ensureServiceRoles((sql, parameters) => queryRunner.query(sql, parameters), roles);
    }

    async down(queryRunner: QueryRunner): Promise<void> {
      await queryRunner.query(`REVOKE ALL ON TABLE memberships FROM ${apiRole}, ${workerRole}`);
      await queryRunner.query(`REVOKE ALL ON SCHEMA public FROM ${apiRole}, ${workerRole}`);
      await queryRunner.query(`
        DO $$ BEGIN
          EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${apiRole}, ${workerRole}', current_database());
          EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
        END $$`);
      // The roles stay: they belong to the server and may still hold rights in other databases.
    }
  };
}
