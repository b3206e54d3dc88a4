import type { ResourceNames, TableKey } from './resources';

/**
 * The environment variable that tells a service the physical name of each
 * table. Typed over every table in `tables`, so a new table does not compile
 * until it has a variable; the local platform and the Terraform task
 * definitions both set the variables from this map, and the services'
 * config.ts read these names.
 */
export const TABLE_ENVIRONMENT_VARIABLES: Readonly<Record<TableKey, string>> = {
  exportJobs: 'JOBS_TABLE',
  exportGuards: 'GUARDS_TABLE',
  users: 'USERS_TABLE',
  refreshTokens: 'REFRESH_TOKENS_TABLE',
  loginAttempts: 'LOGIN_ATTEMPTS_TABLE',
  exportSchedules: 'SCHEDULES_TABLE',
  webhooks: 'WEBHOOKS_TABLE',
};

/** `{ JOBS_TABLE: 'memberships-production-export-jobs', ... }` for one deployment. */
export function tableEnvironment(names: ResourceNames): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(TABLE_ENVIRONMENT_VARIABLES) as TableKey[]).map((key) => [TABLE_ENVIRONMENT_VARIABLES[key], names.tables[key]]),
  );
}
