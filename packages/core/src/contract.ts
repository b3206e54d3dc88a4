/**
 * The contract every part of the platform shares, and nothing else: SQS message
 * types, job states, schedule timing and time zones, export file naming,
 * idempotency keys, resource names, domain errors. It loads no dependency (no
 * AWS SDK, no TypeORM), so the CLI, the Scheduler stand-in and the
 * infrastructure code pay only for what they use.
 * A test (src/entry-points.unit.test.ts) counts the modules it loads.
 */
export * from './errors';
export * from './html';
export * from './jobs/export-file';
export * from './jobs/idempotency-key';
export * from './jobs/job';
export * from './jobs/job-resource';
export * from './memberships/database-roles';
export * from './messages';
export * from './resources';
export * from './schedules/schedule';
export * from './table-environment';
export * from './users/password-policy';
export * from './users/user';
export * from './links/signed-link';
export * from './exports/export-options';
export * from './exports/export-options-input';
export * from './webhooks/webhook';
