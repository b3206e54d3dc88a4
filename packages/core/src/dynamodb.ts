/**
 * The DynamoDB side: the stores of export jobs, schedules, users, refresh
 * tokens and login attempts, and the credential helpers they keep. Loads the
 * AWS SDK's DynamoDB clients, not TypeORM.
 */
export * from './auth/client-address';
export * from './auth/login-throttle';
export * from './auth/refresh-token-store';
export * from './auth/refresh-tokens';
export * from './jobs/job-store';
export * from './schedules/schedule-store';
export * from './users/passwords';
export * from './users/user-store';
