import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue, jsonBodies, waitFor } from '@memberships/local-platform';
import { TooManyFiringsError } from './errors';
import { flexibleOffsetMs } from './firing-engine';
import { startSchedulerLocal, type SchedulerLocal } from './scheduler-local';
import { createTestQueue, testSqsClient, testSqsSettings, type TestQueue } from './test-support/sqs-queues';
import type { SchedulerLocalOptions } from './types';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/scheduler-local';
/** The Target Input the platform sends (the schedule message contract), with every context attribute. */
const PLATFORM_INPUT = JSON.stringify({
  type: 'export.scheduled',
  version: 1,
  scheduleId: 'c0ffee00-0000-4000-8000-000000000001',
  userId: 'c0ffee00-0000-4000-8000-000000000002',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  scheduleArn: '<aws.scheduler.schedule-arn>',
  attempt: '<aws.scheduler.attempt-number>',
});

let sqs: SQSClient;
let local: SchedulerLocal;
let scheduler: SchedulerClient;
let queue: TestQueue;
let dlq: TestQueue;
let group: string;
let counter = 0;

function definition(overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: `export-${++counter}`,
    GroupName: group,
    ScheduleExpression: 'cron(0 6 1 * ? *)',
    ScheduleExpressionTimezone: 'Europe/Berlin',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      Arn: queue.arn,
      RoleArn: ROLE_ARN,
      Input: PLATFORM_INPUT,
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: dlq.arn },
    },
    ...overrides,
  };
}

async function create(overrides: Partial<CreateScheduleCommandInput> = {}): Promise<CreateScheduleCommandInput & { Name: string }> {
  const input = definition(overrides);
  await scheduler.send(new CreateScheduleCommand(input));
  return input as CreateScheduleCommandInput & { Name: string };
}

/** Scheduled times of the messages now in the queue (drained). */
async function scheduledTimesInQueue(target: TestQueue = queue): Promise<string[]> {
  return jsonBodies(await drainQueue(sqs, target.url))
    .map((body) => String(body.scheduledTime))
    .sort();
}

beforeAll(async () => {
  sqs = testSqsClient();
  [queue, dlq] = await Promise.all([createTestQueue(sqs, 'exports'), createTestQueue(sqs, 'exports-dlq')]);
});

afterAll(() => sqs?.destroy());

/** A stand-in on `options`' clock, a Scheduler client on it, and this test's schedule group. */
async function startStandIn(options: Omit<SchedulerLocalOptions, 'sqs'>): Promise<void> {
  local = await startSchedulerLocal({ sqs: testSqsSettings(), ...options });
  scheduler = new SchedulerClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await scheduler.send(new CreateScheduleGroupCommand({ Name: group }));
}

/** For a test that needs other options than beforeEach's: replaces its stand-in. */
async function restartStandIn(options: Omit<SchedulerLocalOptions, 'sqs'>): Promise<void> {
  scheduler.destroy();
  await local.stop();
  await startStandIn(options);
}

beforeEach(async () => {
  group = `exports-${counter}`;
  // A fresh stand-in per test: each test owns its clock.
  await startStandIn({ startTime: '2026-02-15T00:00:00Z' });
});

afterEach(async () => {
  scheduler.destroy();
  await local.stop();
  // Nothing a test sent may leak into the next one.
  await Promise.all([drainQueue(sqs, queue.url), drainQueue(sqs, dlq.url)]);
});

describe('firing into SQS', () => {
  it('fires "day 1, 06:00 Europe/Berlin" at 06:00 Berlin time across the DST changes, with the scheduled time substituted', async () => {
    const schedule = await create();

    expect(await local.setTime('2026-03-01T04:59:59Z')).toEqual([]);
    const march = await local.setTime('2026-03-01T05:00:00Z');
    expect(march).toMatchObject([
      {
        scheduleName: schedule.Name,
        groupName: group,
        scheduledTime: '2026-03-01T05:00:00Z',
        sentTime: '2026-03-01T05:00:00.000Z',
        status: 'sent',
      },
    ]);
    const [message, ...others] = await drainQueue(sqs, queue.url);
    expect(others).toEqual([]);
    expect(message?.MessageId).toBe(march[0]?.messageId);
    expect(JSON.parse(message?.Body ?? '')).toEqual({
      type: 'export.scheduled',
      version: 1,
      scheduleId: 'c0ffee00-0000-4000-8000-000000000001',
      userId: 'c0ffee00-0000-4000-8000-000000000002',
      scheduledTime: '2026-03-01T05:00:00Z',
      executionId: march[0]?.executionId,
      scheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/${group}/${schedule.Name}`,
      attempt: '1',
    });

    // Summer time since 29 March: 06:00 in Berlin is 04:00 UTC.
    expect(await local.setTime('2026-04-01T03:59:59Z')).toEqual([]);
    expect((await local.setTime('2026-04-01T04:00:00Z')).map((firing) => firing.scheduledTime)).toEqual(['2026-04-01T04:00:00Z']);
    expect(await scheduledTimesInQueue()).toEqual(['2026-04-01T04:00:00Z']);

    // Winter time again since 25 October: 05:00 UTC; the months in between fire at 04:00 UTC.
    expect((await local.setTime('2026-11-01T04:59:59Z')).map((firing) => firing.scheduledTime)).toEqual([
      '2026-05-01T04:00:00Z',
      '2026-06-01T04:00:00Z',
      '2026-07-01T04:00:00Z',
      '2026-08-01T04:00:00Z',
      '2026-09-01T04:00:00Z',
      '2026-10-01T04:00:00Z',
    ]);
    expect((await local.setTime('2026-11-01T05:00:00Z')).map((firing) => firing.scheduledTime)).toEqual(['2026-11-01T05:00:00Z']);
    expect(await scheduledTimesInQueue()).toEqual([
      '2026-05-01T04:00:00Z',
      '2026-06-01T04:00:00Z',
      '2026-07-01T04:00:00Z',
      '2026-08-01T04:00:00Z',
      '2026-09-01T04:00:00Z',
      '2026-10-01T04:00:00Z',
      '2026-11-01T05:00:00Z',
    ]);
  });

  it('delays delivery within a flexible window but keeps the nominal scheduled time', async () => {
    const schedule = await create({ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 } });

    expect(await local.setTime('2026-03-01T05:00:00Z')).toEqual([]);
    const [pending] = local.firings({ scheduleName: schedule.Name });
    expect(pending).toMatchObject({ status: 'pending', scheduledTime: '2026-03-01T05:00:00Z', attempts: 0 });
    const due = Date.parse(pending!.dueTime);
    expect(due).toBeGreaterThan(Date.parse('2026-03-01T05:00:00Z'));
    expect(due).toBeLessThan(Date.parse('2026-03-01T06:00:00Z'));
    expect(await drainQueue(sqs, queue.url)).toEqual([]);

    expect(await local.setTime(new Date(due - 1000))).toEqual([]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
    const delivered = await local.setTime('2026-03-01T06:00:00Z');
    expect(delivered).toMatchObject([{ status: 'sent', scheduledTime: '2026-03-01T05:00:00Z', sentTime: pending!.dueTime }]);
    expect(await scheduledTimesInQueue()).toEqual(['2026-03-01T05:00:00Z']);
  });

  it('spreads schedules over the flexible window, the same way on every run', () => {
    const offsets = Array.from({ length: 20 }, (_, index) => flexibleOffsetMs(`exports/export-${index}@2026-03-01T05:00:00Z`, 60));
    expect(offsets.every((offset) => offset >= 0 && offset < 3_600_000 && offset % 1000 === 0)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThanOrEqual(15);
    expect(flexibleOffsetMs('exports/export-0@2026-03-01T05:00:00Z', 60)).toBe(offsets[0]);
  });

  it('does not fire a DISABLED schedule, and a re-ENABLED one fires at its next occurrence only', async () => {
    const schedule = await create({ ScheduleExpression: 'cron(0 6 * * ? *)', ScheduleExpressionTimezone: 'UTC', State: 'DISABLED' });
    expect(await local.setTime('2026-02-20T12:00:00Z')).toEqual([]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);

    await scheduler.send(
      new UpdateScheduleCommand({
        ...definition(),
        Name: schedule.Name,
        ScheduleExpression: 'cron(0 6 * * ? *)',
        ScheduleExpressionTimezone: 'UTC',
        State: 'ENABLED',
      }),
    );
    // No burst of the five days it was disabled.
    expect(await local.setTime('2026-02-21T05:59:59Z')).toEqual([]);
    expect((await local.setTime('2026-02-21T06:00:00Z')).map((firing) => firing.scheduledTime)).toEqual(['2026-02-21T06:00:00Z']);
    expect(await scheduledTimesInQueue()).toEqual(['2026-02-21T06:00:00Z']);
  });

  it('cancels an event still inside its flexible window when the schedule is disabled', async () => {
    const schedule = await create({ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 } });
    await local.setTime('2026-03-01T05:00:00Z');
    await scheduler.send(
      new UpdateScheduleCommand({
        ...definition(),
        Name: schedule.Name,
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
        State: 'DISABLED',
      }),
    );
    expect(await local.setTime('2026-03-01T07:00:00Z')).toEqual([]);
    expect(local.firings({ scheduleName: schedule.Name })).toMatchObject([
      { status: 'cancelled', error: 'schedule was disabled', sentTime: undefined },
    ]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });

  it('stops firing a deleted schedule, including an event waiting in its window', async () => {
    const schedule = await create({
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 30 },
    });
    await local.setTime('2026-02-16T07:00:00Z');
    expect(await scheduledTimesInQueue()).toEqual(['2026-02-15T06:00:00Z', '2026-02-16T06:00:00Z']);
    await local.setTime('2026-02-17T06:00:00Z');
    await scheduler.send(new DeleteScheduleCommand({ Name: schedule.Name, GroupName: group }));
    expect(await local.setTime('2026-02-20T00:00:00Z')).toEqual([]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
    expect(local.firings({ scheduleName: schedule.Name }).map((firing) => [firing.scheduledTime, firing.status])).toEqual([
      ['2026-02-15T06:00:00Z', 'sent'],
      ['2026-02-16T06:00:00Z', 'sent'],
      ['2026-02-17T06:00:00Z', 'cancelled'],
    ]);
  });

  it('fires per the new definition from the moment a schedule is updated between occurrences', async () => {
    const schedule = await create({ ScheduleExpressionTimezone: 'UTC' });
    await local.setTime('2026-03-01T06:00:00Z');
    expect(await scheduledTimesInQueue()).toEqual(['2026-03-01T06:00:00Z']);

    await local.setTime('2026-03-05T00:00:00Z');
    await scheduler.send(
      new UpdateScheduleCommand({
        ...definition(),
        Name: schedule.Name,
        ScheduleExpression: 'cron(30 8 15 * ? *)',
        ScheduleExpressionTimezone: 'UTC',
      }),
    );
    await local.setTime('2026-04-10T00:00:00Z');
    // 15 March under the new definition; 1 April (the old one) no longer.
    expect(await scheduledTimesInQueue()).toEqual(['2026-03-15T08:30:00Z']);
  });

  it('fires each missed occurrence exactly once when the clock jumps far ahead, even if it is set back and forward again', async () => {
    await create({ ScheduleExpressionTimezone: 'UTC' });
    const firings = await local.setTime('2029-02-15T00:00:00Z');
    const expected = Array.from({ length: 36 }, (_, index) =>
      new Date(Date.UTC(2026, 2 + index, 1, 6)).toISOString().replace('.000Z', 'Z'),
    );
    expect(firings.map((firing) => firing.scheduledTime)).toEqual(expected);
    expect(firings.every((firing) => firing.status === 'sent')).toBe(true);
    expect(await scheduledTimesInQueue()).toEqual(expected);

    await local.setTime('2027-01-01T00:00:00Z');
    expect(await local.setTime('2029-02-15T00:00:00Z')).toEqual([]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });

  it('refuses a clock move that would fire more than the limit, and fires nothing', async () => {
    await restartStandIn({ startTime: '2026-02-15T00:00:00Z', maxFiringsPerClockMove: 100 });
    await create({ ScheduleExpression: 'rate(1 minute)' });

    await expect(local.setTime('2026-02-16T00:00:00Z')).rejects.toBeInstanceOf(TooManyFiringsError);
    expect(local.now()).toEqual(new Date('2026-02-15T00:00:00Z'));
    expect(local.firings()).toEqual([]);
    expect(await local.setTime('2026-02-15T01:00:00Z')).toHaveLength(60);
    expect(await drainQueue(sqs, queue.url)).toHaveLength(60);
  });

  it('fires an at() schedule once and deletes it afterwards with ActionAfterCompletion DELETE', async () => {
    const schedule = await create({
      ScheduleExpression: 'at(2026-02-20T09:00:00)',
      ScheduleExpressionTimezone: 'America/New_York',
      ActionAfterCompletion: 'DELETE',
    });
    expect((await local.setTime('2026-02-21T00:00:00Z')).map((firing) => firing.scheduledTime)).toEqual(['2026-02-20T14:00:00Z']);
    expect(await scheduledTimesInQueue()).toEqual(['2026-02-20T14:00:00Z']);
    await expect(scheduler.send(new GetScheduleCommand({ Name: schedule.Name, GroupName: group }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps to the start and end dates', async () => {
    await create({
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      StartDate: new Date('2026-02-17T00:00:00Z'),
      EndDate: new Date('2026-02-19T06:00:00Z'),
    });
    await local.setTime('2026-02-25T00:00:00Z');
    expect(await scheduledTimesInQueue()).toEqual(['2026-02-17T06:00:00Z', '2026-02-18T06:00:00Z', '2026-02-19T06:00:00Z']);
  });
});

describe('failed deliveries', () => {
  it('retries a failed send per the RetryPolicy, with the same execution id and the next attempt number', async () => {
    const schedule = await create({ ScheduleExpressionTimezone: 'UTC' });
    local.injectFault({ operation: 'InvokeTarget', count: 2 });
    const [firing] = await local.setTime('2026-03-01T07:00:00Z');
    expect(firing).toMatchObject({
      scheduleName: schedule.Name,
      status: 'sent',
      attempts: 3,
      scheduledTime: '2026-03-01T06:00:00Z',
      error: undefined,
    });
    // Backoff on the stand-in's clock: 1 s, then 2 s.
    expect(firing?.sentTime).toBe('2026-03-01T06:00:03.000Z');
    const [message] = jsonBodies(await drainQueue(sqs, queue.url));
    expect(message).toMatchObject({ scheduledTime: '2026-03-01T06:00:00Z', executionId: firing?.executionId, attempt: '3' });
  });

  it('sends the event to the dead-letter queue once the retries are used up', async () => {
    const missing = `arn:aws:sqs:us-east-1:000000000000:no-such-queue-${counter}`;
    await create({
      ScheduleExpressionTimezone: 'UTC',
      Target: {
        Arn: missing,
        RoleArn: ROLE_ARN,
        Input: PLATFORM_INPUT,
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: dlq.arn },
      },
    });
    const [firing] = await local.setTime('2026-03-01T07:00:00Z');
    expect(firing).toMatchObject({ status: 'dead-lettered', attempts: 3, targetArn: missing });
    expect(firing?.error).toMatch(/queue/i);

    const [deadLetter, ...others] = await drainQueue(sqs, dlq.url);
    expect(others).toEqual([]);
    expect(deadLetter?.MessageId).toBe(firing?.messageId);
    expect(JSON.parse(deadLetter?.Body ?? '')).toMatchObject({ scheduledTime: '2026-03-01T06:00:00Z', executionId: firing?.executionId });
    expect(deadLetter?.MessageAttributes).toMatchObject({
      EXECUTION_ID: { StringValue: firing?.executionId },
      RETRY_ATTEMPTS: { StringValue: '2' },
      TARGET_ARN: { StringValue: missing },
      ERROR_MESSAGE: { StringValue: firing?.error },
    });
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });

  it('gives up when the event is older than MaximumEventAgeInSeconds, whatever the attempts left', async () => {
    await create({
      ScheduleExpressionTimezone: 'UTC',
      Target: {
        Arn: queue.arn,
        RoleArn: ROLE_ARN,
        Input: PLATFORM_INPUT,
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: dlq.arn },
      },
    });
    local.injectFault({ operation: 'InvokeTarget', count: 100 });
    const [firing] = await local.setTime('2026-03-01T07:00:00Z');
    // Retries after 1, 2, 4, 8 and 16 s fit in 60 s; the next (32 s later) would not.
    expect(firing).toMatchObject({
      status: 'dead-lettered',
      attempts: 6,
      error: 'InternalServerException: Injected fault (scheduler-local)',
    });
    expect(await drainQueue(sqs, dlq.url)).toHaveLength(1);
  });

  it('reports an event lost when there is no dead-letter queue', async () => {
    await create({
      ScheduleExpressionTimezone: 'UTC',
      Target: {
        Arn: queue.arn,
        RoleArn: ROLE_ARN,
        Input: PLATFORM_INPUT,
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
      },
    });
    local.injectFault({ operation: 'InvokeTarget', count: 1, errorType: 'ServiceUnavailable' });
    expect(await local.setTime('2026-03-01T07:00:00Z')).toMatchObject([
      { status: 'failed', attempts: 1, error: 'ServiceUnavailable: Injected fault (scheduler-local)' },
    ]);
    expect(await drainQueue(sqs, queue.url)).toEqual([]);
  });
});

describe('at-least-once delivery', () => {
  it('delivers the same event twice when a DuplicateDelivery fault is armed, so consumers can prove they deduplicate', async () => {
    await create({ ScheduleExpressionTimezone: 'UTC' });
    local.injectFault({ operation: 'DuplicateDelivery' });
    const [firing] = await local.setTime('2026-03-01T06:00:00Z');
    expect(firing).toMatchObject({ status: 'sent', attempts: 1, duplicateMessageId: expect.any(String) });
    const messages = await drainQueue(sqs, queue.url);
    expect(messages.map((message) => message.MessageId).sort()).toEqual([firing?.messageId, firing?.duplicateMessageId].sort());
    expect(new Set(messages.map((message) => message.Body)).size).toBe(1);
    expect(jsonBodies(messages)[0]).toMatchObject({ scheduledTime: '2026-03-01T06:00:00Z', executionId: firing?.executionId });

    // Only the next delivery was doubled.
    expect(await local.setTime('2026-04-01T06:00:00Z')).toMatchObject([{ duplicateMessageId: undefined }]);
    expect(await drainQueue(sqs, queue.url)).toHaveLength(1);
  });
});

describe('real clock', () => {
  it('fires due schedules on its own, tick by tick, and becomes manual once a test sets the time', async () => {
    let wallClock = new Date('2026-02-28T23:59:00Z');
    await restartStandIn({ clock: 'real', tickMs: 5, timeSource: () => wallClock });
    const schedule = await create({ ScheduleExpressionTimezone: 'UTC' });

    wallClock = new Date('2026-03-01T06:00:30Z');
    // The real clock's timer runs every few ms here.
    const fired = () => local.firings({ scheduleName: schedule.Name, status: 'sent' }).length === 1;
    await waitFor('the real clock to fire the schedule', fired, { timeoutMs: 10_000, intervalMs: 10 });
    expect(local.firings({ scheduleName: schedule.Name })).toMatchObject([{ scheduledTime: '2026-03-01T06:00:00Z', status: 'sent' }]);
    expect(await scheduledTimesInQueue()).toEqual(['2026-03-01T06:00:00Z']);

    // A test taking over: the wall clock no longer counts.
    await local.setTime('2026-03-15T00:00:00Z');
    wallClock = new Date('2026-04-02T00:00:00Z');
    expect(await local.tick()).toEqual([]);
    expect(local.now()).toEqual(new Date('2026-03-15T00:00:00Z'));
  });
});
