import path from 'node:path';

/**
 * @memberships/scheduler-local: a local stand-in for Amazon EventBridge
 * Scheduler (the API subset the platform uses, over HTTP, firing due
 * schedules into SQS). Test and development infrastructure, never deployed.
 */
export { startSchedulerLocal, type SchedulerLocal } from './scheduler-local';
export { FAULT_OPERATIONS, type FaultOperation, type FaultSpec, type Firing, type FiringStatus, type SchedulerLocalOptions } from './types';
export type { ArmedFault } from './faults';
export type { FiringFilter } from './firing-engine';
export type { Logger } from './logger';
export { parseScheduleExpression, isValidTimeZone, type ScheduleExpression } from './schedule-expression';
export * from './errors';
export { SchedulerLocalClient, type SchedulerLocalClientOptions } from './scheduler-local-client';

/**
 * The built runner script, for spawning the stand-in in its own process:
 * `node <runnerPath> [port]` (settings: README). Resolved from src too, so tests see the built file.
 */
export const runnerPath: string = path.resolve(__dirname, '..', 'dist', 'runner.js');
export { SOURCE_ARN_HEADER } from './sqs-target';
