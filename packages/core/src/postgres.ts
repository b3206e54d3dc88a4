/**
 * The PostgreSQL side: the memberships entity and its migrations (TypeORM),
 * the rotating database credentials (Secrets Manager) and the export query.
 * The only entry point that loads TypeORM; `./postgres-client` is the part
 * without it. (The service roles' names are in
 * the contract: the infrastructure and the services' configuration need them.)
 */
export * from './memberships/data-source';
export * from './memberships/membership.entity';
export * from './memberships/migrate';
export * from './postgres-client';
