/**
 * The PostgreSQL side: the memberships entity and its migrations (TypeORM),
 * the service roles, the rotating database credentials (Secrets Manager) and
 * the export query. The only entry point that loads TypeORM.
 */
export * from './memberships/data-source';
export * from './memberships/database-credentials';
export * from './memberships/database-roles';
export * from './memberships/export-query';
export * from './memberships/membership.entity';
export * from './memberships/migrate';
