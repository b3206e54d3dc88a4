import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { DomainError } from '@memberships/core/contract';
import { clientOptions } from '@memberships/core/config';
import { ScheduleStore } from '@memberships/core/dynamodb';
import pino from 'pino';
import { loadScheduleAdminConfig } from '../config';
import { ExportScheduler } from '../schedules/export-scheduler';
import { reconcileSchedules } from '../schedules/reconcile-schedules';

/**
 * Brings EventBridge Scheduler in line with the export schedule records:
 * deletes `export-*` schedules without a record, creates or updates those
 * whose record exists but whose Scheduler schedule is missing or differs.
 * Safe to run at any time and repeatedly (e.g. hourly as a scheduled ECS task
 * with the API's task definition and the command overridden).
 *
 *   node services/api/dist/scripts/reconcile-schedules.js [--dry-run]
 *
 * Prints the report as JSON on stdout, logs (pino JSON) on stderr.
 * Environment: AWS_REGION, SCHEDULES_TABLE (or USERS_TABLE to derive it), SCHEDULER_GROUP_NAME,
 * SCHEDULER_ROLE_ARN, EXPORT_QUEUE_ARN, EXPORT_DLQ_ARN, SCHEDULE_FLEXIBLE_WINDOW_MINUTES,
 * AWS_ENDPOINT_URL_DYNAMODB / _SCHEDULER (optional), LOG_LEVEL.
 * Exit codes: 0 everything in line, 1 something could not be repaired (see `failed`) or failed, 2 usage.
 */

const USAGE = `Usage: reconcile-schedules [--dry-run]

  --dry-run   report what would be deleted, created or updated; change nothing

Environment: the API's (AWS_REGION, SCHEDULES_TABLE, SCHEDULER_GROUP_NAME, SCHEDULER_ROLE_ARN,
EXPORT_QUEUE_ARN, EXPORT_DLQ_ARN, optional AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SCHEDULER).`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: { 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadScheduleAdminConfig();
  const log = pino({ level: config.logLevel, base: { service: 'reconcile-schedules' } }, pino.destination(2));
  const dynamodb = new DynamoDBClient(clientOptions(config.aws, 'dynamodb'));
  const scheduler = new SchedulerClient(clientOptions(config.aws, 'scheduler'));
  try {
    const report = await reconcileSchedules({
      store: new ScheduleStore({ client: dynamodb, table: config.schedulesTable }),
      scheduler: new ExportScheduler(scheduler, config.schedules),
      dynamodb,
      table: config.schedulesTable,
      log,
      dryRun: values['dry-run'],
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.failed.length === 0 ? 0 : 1;
  } finally {
    dynamodb.destroy();
    scheduler.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof DomainError ? ` [${error.code}]` : '';
    process.stderr.write(`error${code}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
