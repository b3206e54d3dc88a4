/**
 * PostgreSQL at run time, without TypeORM: node-postgres pools with the
 * rotating database credentials (Secrets Manager), query deadlines and the
 * export query. What the worker loads; `./postgres` adds the TypeORM entity,
 * data source and migrations (the API and the migrate task), about 35 MB of
 * resident memory a worker has no use for.
 */
export * from './memberships/database-credentials';
export * from './memberships/export-query';
export * from './memberships/query-timeouts';
