import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  InternalServerException,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { startSchedulerLocal, type SchedulerLocal } from './scheduler-local';
import { testSqsSettings } from './test-support/sqs-queues';

const START = '2026-02-15T10:00:00.000Z';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:exports';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:exports-dlq';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/scheduler-local';

let local: SchedulerLocal;
let scheduler: SchedulerClient;

/** A client like the API's, optionally with its own retry budget. */
function schedulerClient(maxAttempts?: number): SchedulerClient {
  return new SchedulerClient({
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...(maxAttempts ? { maxAttempts } : {}),
  });
}

/** The definition the platform uses for a monthly export subscription. */
function monthlyExport(name: string, groupName: string, overrides: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    GroupName: groupName,
    ScheduleExpression: 'cron(0 6 1 * ? *)',
    ScheduleExpressionTimezone: 'Europe/Berlin',
    FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
    State: 'ENABLED',
    Target: {
      Arn: QUEUE_ARN,
      RoleArn: ROLE_ARN,
      Input: JSON.stringify({ type: 'export.scheduled', version: 1, scheduleId: name, scheduledTime: '<aws.scheduler.scheduled-time>' }),
      RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: DLQ_ARN },
    },
    ActionAfterCompletion: 'NONE',
    ...overrides,
  };
}

let groupCounter = 0;
async function newGroup(): Promise<string> {
  const name = `exports-${++groupCounter}`;
  await scheduler.send(new CreateScheduleGroupCommand({ Name: name }));
  return name;
}

beforeAll(async () => {
  local = await startSchedulerLocal({ sqs: testSqsSettings(), startTime: START });
  scheduler = schedulerClient();
});

afterAll(async () => {
  scheduler?.destroy();
  await local?.stop();
});

afterEach(() => local.clearFaults());

describe('schedules through the real @aws-sdk/client-scheduler', () => {
  it('creates, reads, lists, updates and deletes a schedule', async () => {
    const group = await newGroup();
    const created = await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group, { Description: 'monthly export' })));
    expect(created.ScheduleArn).toBe(`arn:aws:scheduler:us-east-1:000000000000:schedule/${group}/export-1`);

    const read = await scheduler.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }));
    expect(read).toMatchObject({
      Arn: created.ScheduleArn,
      Name: 'export-1',
      GroupName: group,
      ScheduleExpression: 'cron(0 6 1 * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Description: 'monthly export',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
      Target: monthlyExport('export-1', group).Target,
      ActionAfterCompletion: 'NONE',
    });
    // Dates arrive as the SDK's Date objects, on the stand-in's clock.
    expect(read.CreationDate).toEqual(new Date(START));
    expect(read.LastModificationDate).toEqual(new Date(START));

    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: group }));
    expect(listed.Schedules).toEqual([
      {
        Arn: created.ScheduleArn,
        Name: 'export-1',
        GroupName: group,
        State: 'ENABLED',
        CreationDate: new Date(START),
        LastModificationDate: new Date(START),
        Target: { Arn: QUEUE_ARN },
      },
    ]);

    await local.setTime('2026-02-16T08:30:00Z');
    // UpdateSchedule replaces the whole definition: what it leaves out is gone.
    const updated = await scheduler.send(
      new UpdateScheduleCommand({
        ...monthlyExport('export-1', group),
        ScheduleExpression: 'cron(30 7 15 * ? *)',
        ScheduleExpressionTimezone: 'Asia/Tokyo',
        State: 'DISABLED',
      }),
    );
    expect(updated.ScheduleArn).toBe(created.ScheduleArn);
    const reread = await scheduler.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }));
    expect(reread).toMatchObject({
      ScheduleExpression: 'cron(30 7 15 * ? *)',
      ScheduleExpressionTimezone: 'Asia/Tokyo',
      State: 'DISABLED',
    });
    expect(reread.Description).toBeUndefined();
    expect(reread.CreationDate).toEqual(new Date(START));
    expect(reread.LastModificationDate).toEqual(new Date('2026-02-16T08:30:00Z'));

    await scheduler.send(new DeleteScheduleCommand({ Name: 'export-1', GroupName: group }));
    await expect(scheduler.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    expect((await scheduler.send(new ListSchedulesCommand({ GroupName: group }))).Schedules).toEqual([]);
  });

  it('fills in the defaults AWS applies: default group, ENABLED, retry policy, NONE', async () => {
    const name = `bare-${Date.now()}`;
    await scheduler.send(
      new CreateScheduleCommand({
        Name: name,
        ScheduleExpression: 'rate(5 minutes)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN },
      }),
    );
    const read = await scheduler.send(new GetScheduleCommand({ Name: name }));
    expect(read).toMatchObject({
      GroupName: 'default',
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } },
    });
    await scheduler.send(new DeleteScheduleCommand({ Name: name }));
  });

  it('answers the errors AWS answers, as the SDK typed exceptions', async () => {
    const group = await newGroup();
    await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group)));

    const duplicate = scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
    await expect(duplicate).rejects.toBeInstanceOf(ConflictException);
    await expect(duplicate).rejects.toMatchObject({ message: 'Schedule export-1 already exists.', $metadata: { httpStatusCode: 409 } });

    const missingSchedule = scheduler.send(new GetScheduleCommand({ Name: 'export-2', GroupName: group }));
    await expect(missingSchedule).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missingSchedule).rejects.toMatchObject({
      message: 'Schedule export-2 does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    const missingGroup = scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', 'no-such-group')));
    await expect(missingGroup).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missingGroup).rejects.toThrow('Schedule group no-such-group does not exist.');
    await expect(scheduler.send(new UpdateScheduleCommand(monthlyExport('export-2', group)))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(scheduler.send(new DeleteScheduleCommand({ Name: 'export-2', GroupName: group }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );

    const invalid: Array<[Partial<CreateScheduleCommandInput>, string]> = [
      [{ Name: 'export 2' }, "at 'name' failed to satisfy constraint"],
      [{ Name: 'x'.repeat(65) }, 'Member must have length less than or equal to 64'],
      [{ ScheduleExpression: 'cron(0 6 1 * * *)' }, 'Invalid Schedule Expression cron(0 6 1 * * *)'],
      [{ ScheduleExpression: 'cron(0 25 1 * ? *)' }, 'hours value "25" is outside 0-23'],
      [{ ScheduleExpressionTimezone: 'Europe/Atlantis' }, 'Invalid time zone: Europe/Atlantis.'],
      [{ FlexibleTimeWindow: { Mode: 'FLEXIBLE' } }, "Value null at 'flexibleTimeWindow.maximumWindowInMinutes'"],
      [{ FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1441 } }, 'less than or equal to 1440'],
      [{ State: 'PAUSED' as never }, 'Member must satisfy enum value set: [ENABLED, DISABLED]'],
      [{ Target: { Arn: QUEUE_ARN, RoleArn: 'not-a-role' } }, "at 'target.roleArn' failed to satisfy constraint"],
      [
        { Target: { Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f', RoleArn: ROLE_ARN } },
        'scheduler-local only delivers to SQS queues',
      ],
      [{ Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, RetryPolicy: { MaximumRetryAttempts: 186 } } }, 'less than or equal to 185'],
      [
        { StartDate: new Date('2026-05-01T00:00:00Z'), EndDate: new Date('2026-04-01T00:00:00Z') },
        'The EndDate must be after the StartDate.',
      ],
    ];
    for (const [overrides, message] of invalid) {
      const attempt = scheduler.send(new CreateScheduleCommand(monthlyExport('export-2', group, overrides)));
      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
    }
    // None of them was created.
    expect((await scheduler.send(new ListSchedulesCommand({ GroupName: group }))).Schedules?.map((schedule) => schedule.Name)).toEqual([
      'export-1',
    ]);
  });

  it('lists with the group, prefix and state filters, page by page', async () => {
    const group = await newGroup();
    const other = await newGroup();
    for (const name of ['export-a', 'export-b', 'export-c', 'export-d', 'export-e', 'other-f']) {
      await scheduler.send(new CreateScheduleCommand(monthlyExport(name, group, { State: name === 'export-c' ? 'DISABLED' : 'ENABLED' })));
    }
    await scheduler.send(new CreateScheduleCommand(monthlyExport('export-z', other)));

    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListSchedules({ client: scheduler, pageSize: 2 }, { GroupName: group, NamePrefix: 'export-' })) {
      pages += 1;
      names.push(...(page.Schedules ?? []).map((schedule) => schedule.Name!));
    }
    expect(names).toEqual(['export-a', 'export-b', 'export-c', 'export-d', 'export-e']);
    expect(pages).toBe(3);

    const disabled = await scheduler.send(new ListSchedulesCommand({ GroupName: group, State: 'DISABLED' }));
    expect(disabled.Schedules?.map((schedule) => schedule.Name)).toEqual(['export-c']);
    const everywhere = await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'export-z' }));
    expect(everywhere.Schedules?.map((schedule) => `${schedule.GroupName}/${schedule.Name}`)).toEqual([`${other}/export-z`]);
    await expect(scheduler.send(new ListSchedulesCommand({ GroupName: group, NextToken: 'garbage' }))).rejects.toBeInstanceOf(
      ValidationException,
    );
    await expect(scheduler.send(new ListSchedulesCommand({ GroupName: group, MaxResults: 101 }))).rejects.toBeInstanceOf(
      ValidationException,
    );
  });

  it('treats a repeated CreateSchedule with the same ClientToken as the same request', async () => {
    const group = await newGroup();
    const first = await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group, { ClientToken: 'token-1' })));
    const again = await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group, { ClientToken: 'token-1' })));
    expect(again.ScheduleArn).toBe(first.ScheduleArn);
    await expect(
      scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group, { ClientToken: 'token-2' }))),
    ).rejects.toBeInstanceOf(ConflictException);
  });
});

describe('schedule groups', () => {
  it('creates, reads, lists and deletes a group, and deleting it deletes its schedules', async () => {
    const created = await scheduler.send(
      new CreateScheduleGroupCommand({ Name: 'subscriptions', Tags: [{ Key: 'app', Value: 'memberships' }] }),
    );
    expect(created.ScheduleGroupArn).toBe('arn:aws:scheduler:us-east-1:000000000000:schedule-group/subscriptions');
    await expect(scheduler.send(new CreateScheduleGroupCommand({ Name: 'subscriptions' }))).rejects.toBeInstanceOf(ConflictException);
    expect(await scheduler.send(new GetScheduleGroupCommand({ Name: 'subscriptions' }))).toMatchObject({
      Arn: created.ScheduleGroupArn,
      Name: 'subscriptions',
      State: 'ACTIVE',
      CreationDate: expect.any(Date),
    });
    const groups = await scheduler.send(new ListScheduleGroupsCommand({}));
    expect(groups.ScheduleGroups?.map((group) => group.Name)).toEqual(expect.arrayContaining(['default', 'subscriptions']));

    await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', 'subscriptions')));
    await scheduler.send(new DeleteScheduleGroupCommand({ Name: 'subscriptions' }));
    await expect(scheduler.send(new GetScheduleGroupCommand({ Name: 'subscriptions' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(
      (await scheduler.send(new ListSchedulesCommand({ NamePrefix: 'export-1' }))).Schedules?.filter(
        (schedule) => schedule.GroupName === 'subscriptions',
      ),
    ).toEqual([]);

    await expect(scheduler.send(new DeleteScheduleGroupCommand({ Name: 'default' }))).rejects.toBeInstanceOf(ValidationException);
    await expect(scheduler.send(new GetScheduleGroupCommand({ Name: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('fault injection', () => {
  it('makes the next CreateSchedule fail with a 500 the SDK surfaces as InternalServerException, with no effect', async () => {
    const group = await newGroup();
    const noRetries = schedulerClient(1);
    try {
      local.injectFault({ operation: 'CreateSchedule', count: 1, status: 500 });
      const attempt = noRetries.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
      await expect(attempt).rejects.toBeInstanceOf(InternalServerException);
      await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      await expect(noRetries.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }))).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
      // Only the next call failed.
      await noRetries.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
    } finally {
      noRetries.destroy();
    }
  });

  it('is retried away by the SDK unless it outlasts the client retry budget (3 attempts by default)', async () => {
    const group = await newGroup();
    local.injectFault({ operation: 'CreateSchedule', count: 2 });
    const retried = await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
    expect(retried.$metadata.attempts).toBe(3);

    local.injectFault({ operation: 'CreateSchedule', count: 3 });
    const exhausted = scheduler.send(new CreateScheduleCommand(monthlyExport('export-2', group)));
    await expect(exhausted).rejects.toBeInstanceOf(InternalServerException);
    await expect(exhausted).rejects.toMatchObject({ $metadata: { attempts: 3 } });
  });

  it('can fail after the call took effect, like a lost response: the SDK retry with the same ClientToken succeeds', async () => {
    const group = await newGroup();
    local.injectFault({ operation: 'CreateSchedule', when: 'after' });
    const created = await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
    expect(created.$metadata.attempts).toBe(2);
    expect((await scheduler.send(new ListSchedulesCommand({ GroupName: group }))).Schedules).toHaveLength(1);
  });

  it('answers other statuses as the matching exception, for any operation', async () => {
    const group = await newGroup();
    await scheduler.send(new CreateScheduleCommand(monthlyExport('export-1', group)));
    const noRetries = schedulerClient(1);
    try {
      local.injectFault({ operation: 'DeleteSchedule', status: 429 });
      await expect(noRetries.send(new DeleteScheduleCommand({ Name: 'export-1', GroupName: group }))).rejects.toBeInstanceOf(
        ThrottlingException,
      );
      local.injectFault({ operation: 'GetSchedule', status: 404, message: 'gone' });
      await expect(noRetries.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }))).rejects.toThrow('gone');
      // The failed delete had no effect.
      expect((await noRetries.send(new GetScheduleCommand({ Name: 'export-1', GroupName: group }))).Name).toBe('export-1');
    } finally {
      noRetries.destroy();
    }
  });
});
