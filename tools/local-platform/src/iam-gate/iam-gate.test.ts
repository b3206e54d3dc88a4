import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { clientOptions, type AwsClientSettings } from '@memberships/core/config';
import { LoginThrottle } from '@memberships/core/dynamodb';
import type { EnvironmentRoles, IamPolicy, ResolvedRole } from '@memberships/infra/dist/role-policies';
import { SOURCE_ARN_HEADER } from '@memberships/scheduler-local';
import { localClientConfig } from '../aws-clients';
import { DEFAULT_EMAIL_DOMAIN } from '../local-aws';
import { provisionTestResources, type TestResources } from '../testing';
import { startIamGate, type RunningIamGate } from './gate-server';
import { localCredentials, type LocalIdentity } from './identities';
import { synthesizedEnvironmentRoles } from './index';
import { PolicyEvaluator } from './policy-evaluator';

/**
 * The gate against the real emulators, with policies as infra/terraform
 * synthesizes them — and with variants of them, to show that a policy missing
 * one permission makes exactly the call that needs it fail with AccessDenied.
 * Each test runs its own gate (the suite-wide one must record no denial).
 */

const emulators = JSON.parse(process.env.LOCAL_EMULATOR_ENDPOINTS ?? '{}') as Record<string, string>;
const synthesized = synthesizedEnvironmentRoles(DEFAULT_EMAIL_DOMAIN);

let resources: TestResources;
const gates: RunningIamGate[] = [];

beforeAll(async () => {
  resources = await provisionTestResources();
}, 60_000);

afterAll(async () => {
  await Promise.all(gates.map((gate) => gate.stop()));
});

async function gate(environments: readonly EnvironmentRoles[] = synthesized, now?: () => Date): Promise<RunningIamGate> {
  const running = await startIamGate({
    upstreams: { dynamodb: emulators.dynamodb, sqs: emulators.sqs, s3: emulators.s3, ses: emulators.ses, events: emulators.events },
    evaluator: new PolicyEvaluator(environments),
    ...(now ? { now } : {}),
  });
  gates.push(running);
  return running;
}

/** Client settings that reach the emulators through `running`, signed as `identity`. */
function as(identity: LocalIdentity, running: RunningIamGate): AwsClientSettings {
  const endpoint = running.endpoint;
  return {
    region: resources.aws.region,
    endpoints: { dynamodb: endpoint, sqs: endpoint, s3: endpoint, ses: endpoint, events: endpoint },
    credentials: localCredentials(identity),
  };
}

/** The synthesized roles with `edit` applied to one role in every environment. */
function variant(rolePath: string, edit: (role: ResolvedRole) => ResolvedRole): EnvironmentRoles[] {
  return synthesized.map((environment) => ({
    ...environment,
    roles: new Map([...environment.roles].map(([path, role]) => [path, path === rolePath ? edit(role) : role])),
  }));
}

function editPolicies(role: ResolvedRole, edit: (policy: IamPolicy) => IamPolicy): ResolvedRole {
  return { ...role, permissionPolicies: role.permissionPolicies.map(({ name, policy }) => ({ name, policy: edit(policy) })) };
}

/** Removes `action` from every statement whose resources include one ending in `resourceSuffix`. */
const withoutAction = (action: string, resourceSuffix: string) => (role: ResolvedRole) =>
  editPolicies(role, (policy) => ({
    ...policy,
    Statement: policy.Statement.map((s) =>
      s.Resource?.some((r) => r.endsWith(resourceSuffix)) ? { ...s, Action: s.Action.filter((a) => a !== action) } : s,
    ).filter((s) => s.Action.length > 0),
  }));

/**
 * SendMessage to `url` as EventBridge Scheduler delivering a schedule of the group `groupArn`: the
 * source ARN the service presents to assume its role. `sent`, or the error's name and message.
 */
function sendAsScheduler(running: RunningIamGate, url: string, groupArn: string): Promise<string> {
  const sqs = new SQSClient(clientOptions(as('scheduler', running), 'sqs'));
  const command = new SendMessageCommand({ QueueUrl: url, MessageBody: '{}' });
  command.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers[SOURCE_ARN_HEADER] = groupArn;
      return next(args);
    },
    { step: 'build' },
  );
  return sqs.send(command).then(
    () => 'sent',
    (e: Error) => `${e.name}: ${e.message}`,
  );
}

function throttle(settings: AwsClientSettings): LoginThrottle {
  return new LoginThrottle({
    client: new DynamoDBClient(clientOptions(settings, 'dynamodb')),
    table: resources.names.tables.loginAttempts,
  });
}

describe('the IAM gate', () => {
  it('lets the worker put completion events on the platform bus only, and the API none', async () => {
    const running = await gate();
    const events = (identity: LocalIdentity) =>
      new EventBridgeClient({ ...clientOptions(as(identity, running), 'events'), maxAttempts: 1 });
    const entry = (EventBusName: string) => ({
      EventBusName,
      Source: 'memberships.exports',
      DetailType: 'export.failed',
      Detail: JSON.stringify({ id: 'evt_gate' }),
    });
    const worker = events('worker');
    const api = events('api');
    // Another bus of this prefix, which exists (so only IAM can refuse the call).
    const otherBus = `${resources.prefix}-other-events`;
    const operator = new EventBridgeClient(localClientConfig(resources.aws, 'events'));
    await operator.send(new CreateEventBusCommand({ Name: otherBus }));
    operator.destroy();
    try {
      const busArn = `arn:aws:events:${resources.aws.region}:000000000000:event-bus/${resources.names.eventBus}`;
      for (const bus of [resources.names.eventBus, busArn]) {
        await expect(worker.send(new PutEventsCommand({ Entries: [entry(bus)] }))).resolves.toMatchObject({ FailedEntryCount: 0 });
      }
      expect(running.denials()).toEqual([]);

      const refused = (client: EventBridgeClient, bus?: string) =>
        client.send(new PutEventsCommand({ Entries: [bus === undefined ? { ...entry(''), EventBusName: undefined } : entry(bus)] })).then(
          () => undefined,
          (error: unknown) => error as Error,
        );
      const other = await refused(worker, otherBus);
      expect(other?.name).toBe('AccessDeniedException');
      expect(other?.message).toMatch(
        /is not authorized to perform: events:PutEvents on resource: arn:aws:events:[a-z0-9-]+:\d{12}:event-bus\/memberships-(staging|production)-other-events/,
      );
      // No EventBusName: the account's default bus, which no role may put on.
      expect((await refused(worker))?.message).toMatch(
        /events:PutEvents on resource: arn:aws:events:[a-z0-9-]+:\d{12}:event-bus\/default /,
      );
      const fromApi = await refused(api, resources.names.eventBus);
      expect(fromApi?.name).toBe('AccessDeniedException');
      expect(fromApi?.message).toMatch(/api-task is not authorized to perform: events:PutEvents/);
      expect(running.denials().map((denial) => `${denial.identity} ${denial.operation}`)).toEqual([
        'worker EventBridge PutEvents',
        'worker EventBridge PutEvents',
        'api EventBridge PutEvents',
      ]);
    } finally {
      worker.destroy();
      api.destroy();
    }
  });

  it('lets the API open a login window under the synthesized policies of both environments', async () => {
    const running = await gate();
    const admission = await throttle(as('api', running)).admit({ email: 'member@example.com', address: '203.0.113.7' });
    expect(admission.admitted).toBe(true);
    expect(running.denials()).toEqual([]);
    // Every call let through is counted by caller and operation (what the peak benchmark prices).
    const calls = running.calls();
    expect(Object.keys(calls).length).toBeGreaterThan(0);
    expect(Object.keys(calls).every((call) => call.startsWith('api DynamoDB '))).toBe(true);
  });

  it('denies the call a policy with one action removed needs, naming the call, the action and the resource', async () => {
    // The policy as it was before this fix: no dynamodb:PutItem on the login-attempts table.
    const running = await gate(variant('iam/api-task-role', withoutAction('dynamodb:PutItem', '-login-attempts')));
    const error = await throttle(as('api', running))
      .admit({ email: 'member@example.com', address: '203.0.113.8' })
      .then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
      );
    expect(error?.name).toBe('AccessDeniedException');
    expect(error?.$metadata?.httpStatusCode).toBe(400);
    expect(error?.message).toMatch(
      /is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table\/memberships-(staging|production)-login-attempts/,
    );
    expect(running.denials()).toEqual([
      expect.objectContaining({ identity: 'api', operation: 'DynamoDB PutItem', reason: expect.stringContaining('dynamodb:PutItem') }),
    ]);
  });

  it("evaluates the Scheduler role's trust: the schedule group's ARN is what Scheduler presents", async () => {
    const queueUrl = resources.queueUrls.exportQueueUrl;
    const groupArn = `arn:aws:scheduler:${resources.aws.region}:000000000000:schedule-group/${resources.names.scheduleGroup}`;
    const send = (running: RunningIamGate, url: string) => sendAsScheduler(running, url, groupArn);
    expect(await send(await gate(), queueUrl)).toBe('sent');
    // Its dead-letter queue too: every schedule names it, and Scheduler sends there with the same role.
    expect(await send(await gate(), resources.queueUrls.exportDlqUrl)).toBe('sent');

    // The trust condition as it was: aws:SourceArn like `schedule/<group>/*`, which a group's ARN never matches.
    const oldTrust = variant('scheduler/target-role', (role) => ({
      ...role,
      trustPolicy: {
        ...role.trustPolicy,
        Statement: role.trustPolicy.Statement.map((s) => {
          const { ArnEquals, ...rest } = s.Condition ?? {};
          const like = (ArnEquals?.['aws:SourceArn'] ?? []).map((arn) => `${arn.replace(':schedule-group/', ':schedule/')}/*`);
          return { ...s, Condition: { ...rest, ArnLike: { 'aws:SourceArn': like } } };
        }),
      },
    }));
    expect(await send(await gate(oldTrust), queueUrl)).toMatch(
      /^AccessDenied.*scheduler\.amazonaws\.com is not authorized to perform: sts:AssumeRole/,
    );
    // And the permissions as they were: the export queue only, no DLQ.
    const noDlq = variant('scheduler/target-role', withoutAction('sqs:SendMessage', '-export-requests-dlq'));
    expect(await send(await gate(noDlq), resources.queueUrls.exportDlqUrl)).toMatch(
      /^AccessDenied.*sqs:SendMessage on resource: .*export-requests-dlq/,
    );
  });

  it('lets the Scheduler role send the expiry sweep from the maintenance group to the webhook queue and its DLQ only', async () => {
    const groupArn = `arn:aws:scheduler:${resources.aws.region}:000000000000:schedule-group/${resources.names.maintenanceScheduleGroup}`;
    const send = (running: RunningIamGate, url: string) => sendAsScheduler(running, url, groupArn);
    expect(await send(await gate(), resources.queueUrls.webhookQueueUrl)).toBe('sent');
    expect(await send(await gate(), resources.queueUrls.webhookDlqUrl)).toBe('sent');
    // Without its statement the tick is refused: the gate holds the Scheduler to the synthesized role.
    const noWebhooks = variant('scheduler/target-role', withoutAction('sqs:SendMessage', '-webhook-events'));
    expect(await send(await gate(noWebhooks), resources.queueUrls.webhookQueueUrl)).toMatch(
      /^AccessDenied.*sqs:SendMessage on resource: .*webhook-events/,
    );
    // A group the role does not trust assumes nothing.
    const otherGroup = groupArn.replace(/-maintenance$/, '-elsewhere');
    expect(await sendAsScheduler(await gate(), resources.queueUrls.webhookQueueUrl, otherGroup)).toMatch(
      /not authorized to perform: sts:AssumeRole/,
    );
  });

  it('answers S3 with its own AccessDenied, and refuses expired presigned URLs', async () => {
    let clock = Date.now();
    const running = await gate(synthesized, () => new Date(clock));
    const bucket = resources.names.buckets.exportFiles;
    // The API may read export files (to presign downloads) but never write them.
    const api = new S3Client(clientOptions(as('api', running), 's3'));
    const put = await api.send(new PutObjectCommand({ Bucket: bucket, Key: 'exports/u1/j1.csv', Body: 'a,b\n' })).catch((e: Error) => e);
    expect(put).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const worker = new S3Client(clientOptions(as('worker', running), 's3'));
    await worker.send(new PutObjectCommand({ Bucket: bucket, Key: 'exports/u1/j1.csv', Body: 'a,b\n' }));
    // Outside exports/ even the worker may not write.
    const outside = await worker.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/x', Body: 'x' })).catch((e: Error) => e);
    expect(outside).toMatchObject({ name: 'AccessDenied' });

    const url = await getSignedUrl(api, new GetObjectCommand({ Bucket: bucket, Key: 'exports/u1/j1.csv' }), { expiresIn: 60 });
    const fresh = await fetch(url);
    expect(fresh.status).toBe(200);
    expect(await fresh.text()).toBe('a,b\n');
    clock += 61_000;
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
  });

  it('holds each call to a service given a latency that long before it answers, and no other', async () => {
    const latencyMs = 1_000;
    const running = await startIamGate({
      upstreams: { dynamodb: emulators.dynamodb, sqs: emulators.sqs },
      evaluator: new PolicyEvaluator(synthesized),
      latencyMs: { sqs: latencyMs },
    });
    gates.push(running);
    const sqs = new SQSClient(clientOptions(as('api', running), 'sqs'));
    const timed = async (call: () => Promise<unknown>) => {
      const started = performance.now();
      await call();
      return performance.now() - started;
    };
    const login = throttle(as('api', running));
    const send = () => sqs.send(new SendMessageCommand({ QueueUrl: resources.queueUrls.exportQueueUrl, MessageBody: '{}' }));
    // The first calls open the connections; the ones measured after them are the round trips.
    await Promise.all([send(), login.admit({ email: 'latency@example.com', address: '203.0.113.8' })]);
    const held = await timed(send);
    const unheld = await timed(() => login.admit({ email: 'latency@example.com', address: '203.0.113.8' }));
    sqs.destroy();
    // A timer never fires early by more than its millisecond's rounding.
    expect(held).toBeGreaterThanOrEqual(latencyMs - 1);
    expect(unheld).toBeLessThan(latencyMs);
    expect(running.denials()).toEqual([]);
  });

  it('denies unsigned requests and keys the platform never handed out', async () => {
    const running = await gate();
    const anonymous = await fetch(`${running.endpoint}/${resources.names.buckets.exportFiles}/exports/u1/j1.csv`);
    expect(anonymous.status).toBe(403);
    const stranger = new SQSClient({
      ...clientOptions({ region: resources.aws.region, endpoints: { sqs: running.endpoint } }, 'sqs'),
      credentials: { accessKeyId: 'AKIASOMEONEELSE', secretAccessKey: 'x' },
    });
    const error = await stranger
      .send(new GetQueueAttributesCommand({ QueueUrl: resources.queueUrls.exportQueueUrl, AttributeNames: ['All'] }))
      .catch((e: Error) => e);
    expect(error).toMatchObject({ message: expect.stringContaining('security token included in the request is invalid') });
    expect(running.denials().map((d) => d.identity)).toEqual(['anonymous', 'unknown']);
  });
});
