import { CreateScheduleCommand, CreateScheduleGroupCommand, InternalServerException, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SchedulerLocalError } from './errors';
import { SchedulerLocalClient } from './scheduler-local-client';
import { startSchedulerLocal, type SchedulerLocal } from './scheduler-local';
import { drainQueue, jsonBodies } from '@memberships/local-platform';
import { createTestQueue, testSqsClient, testSqsSettings, type TestQueue } from './test-support/sqs-queues';

const ROLE_ARN = 'arn:aws:iam::000000000000:role/scheduler-local';

let sqs: SQSClient;
let queue: TestQueue;
let local: SchedulerLocal;
let control: SchedulerLocalClient;
let scheduler: SchedulerClient;

beforeAll(async () => {
  sqs = testSqsClient();
  queue = await createTestQueue(sqs, 'endpoints');
  local = await startSchedulerLocal({ sqs: testSqsSettings(), startTime: '2026-02-15T00:00:00Z' });
  control = new SchedulerLocalClient({ endpoint: local.endpoint });
  scheduler = new SchedulerClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  await scheduler.send(new CreateScheduleGroupCommand({ Name: 'exports' }));
});

afterAll(async () => {
  scheduler?.destroy();
  await local?.stop();
  sqs?.destroy();
});

function monthly(name: string) {
  return new CreateScheduleCommand({
    Name: name,
    GroupName: 'exports',
    ScheduleExpression: 'cron(0 6 1 * ? *)',
    ScheduleExpressionTimezone: 'Europe/Berlin',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
    Target: { Arn: queue.arn, RoleArn: ROLE_ARN, Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}' },
  });
}

describe('the /_test endpoints, driven over HTTP', () => {
  it('moves the clock, fires what is due and lists the firings', async () => {
    await scheduler.send(monthly('export-1'));
    expect(await control.now()).toEqual({ now: '2026-02-15T00:00:00.000Z', mode: 'manual' });

    expect(await control.setTime('2026-03-01T05:00:00Z')).toEqual([]);
    expect(await control.firings({ status: 'pending' })).toMatchObject([
      { scheduleName: 'export-1', groupName: 'exports', scheduledTime: '2026-03-01T05:00:00Z' },
    ]);

    const fired = await control.setTime('2026-03-01T06:00:00Z');
    expect(fired).toMatchObject([{ scheduleName: 'export-1', status: 'sent', scheduledTime: '2026-03-01T05:00:00Z', attempts: 1 }]);
    expect(jsonBodies(await drainQueue(sqs, queue.url))).toEqual([{ scheduledTime: '2026-03-01T05:00:00Z' }]);
    expect(await control.firings({ scheduleName: 'export-1' })).toEqual(fired);
    expect(await control.firings({ scheduleName: 'someone-else' })).toEqual([]);

    await control.clearFirings();
    expect(await control.firings()).toEqual([]);
  });

  it('arms, lists and clears faults', async () => {
    expect(await control.injectFault({ operation: 'CreateSchedule', count: 2, status: 500 })).toMatchObject({
      operation: 'CreateSchedule',
      remaining: 2,
      errorType: 'InternalServerException',
      when: 'before',
    });
    await expect(scheduler.send(monthly('export-2'))).rejects.toBeInstanceOf(InternalServerException);
    expect(await control.faults()).toMatchObject([{ operation: 'CreateSchedule', remaining: 1 }]);
    await control.clearFaults();
    expect(await control.faults()).toEqual([]);
    await scheduler.send(monthly('export-2'));
  });

  it('refuses malformed requests with a code saying what is wrong', async () => {
    await expect(control.injectFault({ operation: 'LaunchRocket' as never })).rejects.toMatchObject({ code: 'invalid_fault' });
    await expect(control.injectFault({ operation: 'CreateSchedule', status: 418 })).rejects.toMatchObject({ code: 'invalid_fault' });
    await expect(control.injectFault({ operation: 'CreateSchedule', count: 0 })).rejects.toBeInstanceOf(SchedulerLocalError);
    await expect(control.setTime('not a date')).rejects.toMatchObject({ code: 'invalid_clock' });
    const badClock = await fetch(`${local.endpoint}/_test/clock`, { method: 'POST', body: '{"now":"soon"}' });
    expect(badClock.status).toBe(400);
    expect(await badClock.json()).toMatchObject({ code: 'invalid_clock' });
    const badStatus = await fetch(`${local.endpoint}/_test/firings?status=lost`);
    expect(await badStatus.json()).toMatchObject({ code: 'invalid_filter' });
  });
});

describe('the HTTP surface', () => {
  it('answers operations it does not implement and malformed bodies in the AWS error shape', async () => {
    const tags = await fetch(`${local.endpoint}/tags/arn%3Aaws%3Ascheduler%3A%3A%3Aschedule%2Fx`);
    expect(tags.status).toBe(404);
    expect(tags.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await tags.json()).toEqual({ Message: expect.stringContaining('does not implement GET /tags/') });

    const malformed = await fetch(`${local.endpoint}/schedules/export-9`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"Name":',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-amzn-errortype')).toBe('SerializationException');
  });
});
