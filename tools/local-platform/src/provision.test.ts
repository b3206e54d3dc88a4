import { CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { EXPIRY_SWEEP_SCHEDULE, queues, resourceNames } from '@memberships/core/contract';
import { GetScheduleCommand, GetScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { dynamoDbClient, localClientConfig, s3Client, sqsClient } from './aws-clients';
import { testAwsSettings } from './environment';
import { ProvisioningConflictError } from './errors';
import { ensureExpirySweepSchedule, provisionResources } from './provision';
import { provisionTestResources, type TestResources } from './testing';

describe('provisionResources', () => {
  const aws = testAwsSettings();
  const dynamodb = dynamoDbClient(aws);
  const sqs = sqsClient(aws);
  const s3 = s3Client(aws);
  let resources: TestResources;

  beforeAll(async () => {
    resources = await provisionTestResources();
  });

  afterAll(() => {
    dynamodb.destroy();
    sqs.destroy();
    s3.destroy();
  });

  it('creates the jobs table on demand with its byUser and byExpiryHour indexes (all attributes) and TTL on expiresAt', async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: resources.names.tables.exportJobs }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(2);
    expect(Table?.GlobalSecondaryIndexes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          IndexName: 'byUser',
          KeySchema: [
            { AttributeName: 'userId', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
        expect.objectContaining({
          IndexName: 'byExpiryHour',
          KeySchema: [
            { AttributeName: 'expiryHour', KeyType: 'HASH' },
            { AttributeName: 'id', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ]),
    );
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.names.tables.exportJobs }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('creates the guards table with TTL and the users table without', async () => {
    const guardsTtl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.names.tables.exportGuards }));
    expect(guardsTtl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: resources.names.tables.users }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    const usersTtl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.names.tables.users }));
    expect(usersTtl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  it('gives the export queue its visibility timeout and a redrive policy to the dead-letter queue', async () => {
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrls.exportDlqUrl, AttributeNames: ['All'] }));
    const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrls.exportQueueUrl, AttributeNames: ['All'] }));
    expect(queue.Attributes?.VisibilityTimeout).toBe(String(queues.exportRequests.visibilityTimeoutSeconds));
    expect(queue.Attributes?.MessageRetentionPeriod).toBe(String(queues.exportRequests.messageRetentionSeconds));
    expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.Attributes?.QueueArn,
      maxReceiveCount: queues.exportRequests.maxReceiveCount,
    });
    expect(dlq.Attributes?.QueueArn).toContain(resources.names.queues.exportRequestsDeadLetter);
    expect(dlq.Attributes?.MessageRetentionPeriod).toBe(String(queues.exportRequestsDeadLetter.messageRetentionSeconds));
  });

  it('gives the webhook queue its own dead-letter queue and the redrive count of its definition', async () => {
    const { webhookQueueUrl, webhookDlqUrl } = resources.queueUrls;
    const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: webhookDlqUrl, AttributeNames: ['All'] }));
    const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: webhookQueueUrl, AttributeNames: ['All'] }));
    expect(queue.Attributes?.QueueArn).toMatch(new RegExp(`:${resources.names.queues.webhookEvents}$`));
    expect(queue.Attributes?.VisibilityTimeout).toBe(String(queues.webhookEvents.visibilityTimeoutSeconds));
    expect(queue.Attributes?.MessageRetentionPeriod).toBe(String(queues.webhookEvents.messageRetentionSeconds));
    expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: dlq.Attributes?.QueueArn,
      maxReceiveCount: queues.webhookEvents.maxReceiveCount,
    });
    expect(dlq.Attributes?.QueueArn).toMatch(new RegExp(`:${resources.names.queues.webhookEventsDeadLetter}$`));
    expect(dlq.Attributes?.MessageRetentionPeriod).toBe(String(queues.webhookEventsDeadLetter.messageRetentionSeconds));
  });

  it('returns queue URLs that the SDK can send to and receive from', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: resources.queueUrls.exportQueueUrl, MessageBody: '{"hello":"queue"}' }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: resources.queueUrls.exportQueueUrl, WaitTimeSeconds: 5 }));
    expect(Messages?.map((message) => message.Body)).toEqual(['{"hello":"queue"}']);
  });

  it('creates the export bucket', async () => {
    const bucket = resources.names.buckets.exportFiles;
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'exports/a/b.csv', Body: 'id\n1\n', ContentType: 'text/csv' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'exports/a/b.csv' }));
    expect(await object.Body?.transformToString()).toBe('id\n1\n');
  });

  it('creates the schedule group in the Scheduler stand-in and returns the queue ARNs a schedule targets', async () => {
    const scheduler = new SchedulerClient(localClientConfig(resources.aws, 'scheduler'));
    try {
      const group = await scheduler.send(new GetScheduleGroupCommand({ Name: resources.names.scheduleGroup }));
      expect(group).toMatchObject({ Name: resources.names.scheduleGroup, State: 'ACTIVE' });
    } finally {
      scheduler.destroy();
    }
    expect(resources.queueUrls.exportQueueArn).toMatch(new RegExp(`^arn:aws:sqs:[\\w-]+:\\d+:${resources.names.queues.exportRequests}$`));
    expect(resources.queueUrls.exportDlqArn).toMatch(new RegExp(`:${resources.names.queues.exportRequestsDeadLetter}$`));
  });

  it('creates the maintenance group and, on asking, the hourly expiry sweep schedule targeting the webhook queue', async () => {
    const scheduler = new SchedulerClient(localClientConfig(resources.aws, 'scheduler'));
    try {
      const group = await scheduler.send(new GetScheduleGroupCommand({ Name: resources.names.maintenanceScheduleGroup }));
      expect(group).toMatchObject({ Name: resources.names.maintenanceScheduleGroup, State: 'ACTIVE' });
      const roleArn = 'arn:aws:iam::000000000000:role/local-scheduler';
      await ensureExpirySweepSchedule(resources.aws, resources.names, resources.queueUrls, roleArn);
      // Again (a second `npm start` over the same stand-in): brought up to date, not refused.
      await ensureExpirySweepSchedule(resources.aws, resources.names, resources.queueUrls, roleArn);
      const schedule = await scheduler.send(
        new GetScheduleCommand({ Name: EXPIRY_SWEEP_SCHEDULE.name, GroupName: resources.names.maintenanceScheduleGroup }),
      );
      expect(schedule).toMatchObject({
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Target: {
          Arn: resources.queueUrls.webhookQueueArn,
          RoleArn: roleArn,
          DeadLetterConfig: { Arn: resources.queueUrls.webhookDlqArn },
        },
      });
      expect(JSON.parse(schedule.Target!.Input!)).toEqual({
        type: 'expiry.sweep',
        version: 1,
        scheduledTime: '<aws.scheduler.scheduled-time>',
      });
    } finally {
      scheduler.destroy();
    }
    expect(resources.queueUrls.webhookQueueArn).toMatch(new RegExp(`:${resources.names.queues.webhookEvents}$`));
  });

  it('creates the bus of completion events in the EventBridge stand-in', async () => {
    const events = new EventBridgeClient(localClientConfig(resources.aws, 'events'));
    try {
      const bus = await events.send(new DescribeEventBusCommand({ Name: resources.names.eventBus }));
      expect(bus).toMatchObject({ Name: resources.names.eventBus, Arn: expect.stringMatching(/:event-bus\/test-[0-9a-f]{8}-events$/) });
    } finally {
      events.destroy();
    }
  });

  it('can run again over existing resources, returning the same queue URLs', async () => {
    await expect(provisionResources(aws, resources.names)).resolves.toEqual(resources.queueUrls);
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives (override for tests)', async () => {
    const names = resourceNames(`${resources.prefix}-redrive`);
    const urls = await provisionResources(aws, names, { exportQueue: { maxReceiveCount: 1, visibilityTimeoutSeconds: 1 } });
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.exportQueueUrl, MessageBody: 'poison' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urls.exportQueueUrl, WaitTimeSeconds: 5, VisibilityTimeout: 0 }));
    expect(first.Messages).toHaveLength(1);
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: urls.exportQueueUrl, WaitTimeSeconds: 1 }));
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urls.exportDlqUrl, WaitTimeSeconds: 5 }));
    expect(dead.Messages?.map((message) => message.Body)).toEqual(['poison']);
  });

  it('refuses an existing table whose keys differ from the definition', async () => {
    const names = resourceNames(`${resources.prefix}-conflict`);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: names.tables.users,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const attempt = provisionResources(aws, names);
    await expect(attempt).rejects.toThrow(ProvisioningConflictError);
    await expect(attempt).rejects.toMatchObject({ code: 'provisioning_conflict', message: expect.stringContaining(names.tables.users) });
  });
});
