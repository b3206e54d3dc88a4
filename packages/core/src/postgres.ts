/**
 * The PostgreSQL side: the memberships entity and its migrations (TypeORM),
 * the rotating database credentials (Secrets Manager) and the export query.
 * The only entry point that loads TypeORM. (The service roles' names are in
 * the contract: the infrastructure and the services' configuration need them.)
 */
export * from './memberships/data-source';
export * from './memberships/database-credentials';
export * from './memberships/export-query';
export * from './memberships/membership.entity';
export * from './memberships/migrate';
