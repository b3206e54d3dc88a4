import { spawn } from 'node:child_process';
import path from 'node:path';
import { CreateScheduleCommand, DeleteScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { awsKeyEnvironment } from '@memberships/local-platform';
import pino from 'pino';
import { startSchedulerStandIn, type SchedulerStandIn } from '../testing/scheduler-stand-in';
import { bearer, provisionTestPlatform, startTestApp, TEST_SCHEDULER_ROLE_ARN, type TestApp } from '../testing/test-app';
import { reconcileSchedules } from './reconcile-schedules';

/**
 * The reconciler against DynamoDB Local and a Scheduler stand-in of this
 * suite's own: orphans (a Scheduler schedule without a record) are deleted,
 * records whose Scheduler schedule is missing or differs are repaired, and
 * the built script does the same from the API's environment.
 */

let t: TestApp;
let scheduler: SchedulerStandIn;
let token: string;

const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'reconcile-schedules.js');

beforeAll(async () => {
  const platform = await provisionTestPlatform();
  scheduler = await startSchedulerStandIn(platform);
  t = await startTestApp({ platform, env: scheduler.apiEnv });
  token = await t.login(await t.createUser());
});

afterEach(() => scheduler?.local.clearFaults());

afterAll(async () => {
  await t?.close();
  await scheduler?.stop();
  expect(scheduler?.unacknowledgedDenials()).toEqual([]);
});

const silent = pino({ level: 'silent' });
const reconcile = (dryRun = false) =>
  reconcileSchedules({
    store: t.app.scheduleStore,
    scheduler: t.app.exportScheduler,
    dynamodb: t.app.aws.dynamodb,
    table: t.config.tables.schedules,
    log: silent,
    dryRun,
  });

async function createSchedule(payload: object = {}): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/export-schedules', headers: bearer(token), payload });
  expect(response.statusCode).toBe(201);
  return response.json().id as string;
}

const group = () => t.platform.names.scheduleGroup;

/** An orphan the way the API can leave one: CreateSchedule took effect but answered an error, and the clean-up DeleteSchedule failed too. */
async function orphanFromFailedCreate(): Promise<string> {
  const before = await schedulerIds();
  scheduler.fail('CreateSchedule', { when: 'after' });
  scheduler.fail('DeleteSchedule');
  const response = await t.request({ method: 'POST', url: '/v1/export-schedules', headers: bearer(token), payload: {} });
  expect(response.json()).toMatchObject({ status: 503, code: 'scheduler_unavailable' });
  scheduler.local.clearFaults();
  const added = (await schedulerIds()).filter((id) => !before.includes(id));
  expect(added).toHaveLength(1);
  // No record: the API removed it when the Scheduler call failed.
  expect(await t.app.scheduleStore.get(added[0]!)).toBeUndefined();
  return added[0]!;
}

async function schedulerIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const entry of t.app.exportScheduler.list()) if (entry.scheduleId) ids.push(entry.scheduleId);
  return ids;
}

it('leaves a consistent group alone', async () => {
  await createSchedule({ day_of_month: 2 });
  const report = await reconcile();
  expect(report).toMatchObject({ deleted: [], created: [], updated: [], failed: [] });
  expect(report.checked).toBeGreaterThanOrEqual(1);
});

it('deletes an orphan left by a failed create, and keeps the schedules that have a record', async () => {
  const kept = await createSchedule({ day_of_month: 3 });
  const orphan = await orphanFromFailedCreate();
  expect(await scheduler.getSchedule(orphan)).toMatchObject({ State: 'ENABLED' });

  // A dry run reports it and changes nothing.
  expect((await reconcile(true)).deleted).toEqual([orphan]);
  expect(await scheduler.getSchedule(orphan)).toBeDefined();

  const report = await reconcile();
  expect(report).toMatchObject({ deleted: [orphan], created: [], updated: [], failed: [] });
  expect(await scheduler.getSchedule(orphan)).toBeUndefined();
  expect(await scheduler.getSchedule(kept)).toMatchObject({ State: 'ENABLED' });
  expect((await reconcile()).deleted).toEqual([]);
});

it('re-creates a missing Scheduler schedule and repairs one that differs from its record', async () => {
  const missing = await createSchedule({ day_of_month: 4, time_zone: 'Europe/Berlin' });
  const differing = await createSchedule({ day_of_month: 5 });
  await t.request({ method: 'POST', url: `/v1/export-schedules/${differing}/pause`, headers: bearer(token) });

  await scheduler.client.send(new DeleteScheduleCommand({ Name: `export-${missing}`, GroupName: group() }));
  await scheduler.client.send(
    new UpdateScheduleCommand({
      Name: `export-${differing}`,
      GroupName: group(),
      ScheduleExpression: 'cron(0 0 28 * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: { Arn: t.platform.exportQueueArn, RoleArn: TEST_SCHEDULER_ROLE_ARN, Input: '{}' },
    }),
  );

  const report = await reconcile();
  expect(report).toMatchObject({ deleted: [], created: [missing], updated: [differing], failed: [] });
  expect(await scheduler.getSchedule(missing)).toMatchObject({
    ScheduleExpression: 'cron(0 6 4 * ? *)',
    ScheduleExpressionTimezone: 'Europe/Berlin',
    State: 'ENABLED',
  });
  // Paused in the record: DISABLED again, with the record's expression, window and target.
  const repaired = await scheduler.getSchedule(differing);
  expect(repaired).toMatchObject({
    ScheduleExpression: 'cron(0 6 5 * ? *)',
    State: 'DISABLED',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
    Target: { DeadLetterConfig: { Arn: t.platform.exportDlqArn } },
  });
  expect(t.app.exportScheduler.matches((await t.app.scheduleStore.get(differing))!, repaired!)).toBe(true);
});

it('reports what it could not repair and carries on', async () => {
  const orphan = await orphanFromFailedCreate();
  scheduler.fail('DeleteSchedule');
  const report = await reconcile();
  expect(report.failed).toEqual([{ scheduleId: orphan, action: 'check', message: expect.stringContaining('DeleteSchedule') }]);
  expect(await scheduler.getSchedule(orphan)).toBeDefined();
  expect((await reconcile()).deleted).toEqual([orphan]);
});

describe('the built script dist/scripts/reconcile-schedules.js', () => {
  function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
        env: {
          PATH: process.env.PATH,
          // The reconciler's own keys: the IAM gate holds it to the API task role it runs with in AWS.
          ...awsKeyEnvironment('reconciler'),
          AWS_REGION: t.platform.aws.region,
          AWS_ENDPOINT_URL_DYNAMODB: t.platform.aws.endpoints.dynamodb,
          AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
          USERS_TABLE: t.config.tables.users,
          SCHEDULER_ROLE_ARN: TEST_SCHEDULER_ROLE_ARN,
          EXPORT_QUEUE_ARN: t.platform.exportQueueArn,
          EXPORT_DLQ_ARN: t.platform.exportDlqArn,
          LOG_LEVEL: 'silent',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('deletes an orphan with the API environment (tables and group derived from USERS_TABLE) and prints the report', async () => {
    const orphan = await orphanFromFailedCreate();
    const dry = await run(['--dry-run'], {});
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, deleted: [orphan] });
    expect(await scheduler.getSchedule(orphan)).toBeDefined();

    const result = await run([], {});
    // stderr may carry the SDK's Node-version notice; failures would say `error`.
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ dryRun: false, deleted: [orphan], created: [], updated: [], failed: [] });
    expect(await scheduler.getSchedule(orphan)).toBeUndefined();
  });

  it('exits 1 naming every missing setting, and 2 on a usage error', async () => {
    const missing = await run([], { SCHEDULER_ROLE_ARN: undefined, EXPORT_QUEUE_ARN: 'not-an-arn' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('SCHEDULER_ROLE_ARN is required');
    expect(missing.stderr).toContain('EXPORT_QUEUE_ARN must be an SQS queue ARN');
    const usage = await run(['--force'], {});
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: reconcile-schedules');
  });
});

// A Scheduler schedule someone made by hand in the group, named like ours but with no record, is an orphan too.
it('deletes an export-* schedule that was created directly, without a record', async () => {
  const id = '11111111-2222-4333-8444-555555555555';
  await scheduler.client.send(
    new CreateScheduleCommand({
      Name: `export-${id}`,
      GroupName: group(),
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: t.platform.exportQueueArn, RoleArn: TEST_SCHEDULER_ROLE_ARN, Input: '{}' },
    }),
  );
  expect((await reconcile()).deleted).toEqual([id]);
  expect(await scheduler.getSchedule(id)).toBeUndefined();
});
