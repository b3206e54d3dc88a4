/**
 * The DynamoDB side: the stores of export jobs, schedules, users, refresh
 * tokens and login attempts, and the credential helpers they keep; and the
 * link signing keys, read from Secrets Manager. Loads the AWS SDK's DynamoDB
 * and Secrets Manager clients, not TypeORM.
 */
export * from './auth/client-address';
export * from './auth/login-throttle';
export * from './auth/refresh-token-store';
export * from './auth/refresh-tokens';
export * from './index-cursor';
export * from './jobs/job-store';
export * from './links/link-key-source';
export * from './schedules/schedule-store';
export * from './users/passwords';
export * from './users/user-store';
