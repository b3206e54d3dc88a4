/**
 * export.expired through the worker in-process, against the real emulators
 * (DynamoDB Local with the byExpiryHour index, the SQS stand-in, the
 * EventBridge stand-in, all behind the IAM gate, so the worker's Query on
 * the index and its cursor writes are held to its synthesized role): jobs
 * completed in the past by the JobStore (an injected clock), an
 * `expiry.sweep` tick as EventBridge Scheduler sends it onto the webhook
 * queue, and a receiver on 127.0.0.1 subscribed to export.expired. The hour
 * arithmetic and the cursor's races are expiry-sweep.unit.test.ts's.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { deliveryIdOf, eventIdOf, expiryHourOf, expirySweepTargetInput, fileExpiresAt, type ExportJob } from '@memberships/core/contract';
import { JobStore } from '@memberships/core/dynamodb';
import { WebhookStore } from '@memberships/core/webhooks';
import { busEvents, waitFor } from '@memberships/local-platform';
import { ExpirySweepCursor } from './expiry-sweep-cursor';
import { inProcessWorkers, SHORT_WAITS } from './testing/in-process-workers';
import type { LogRecord } from './testing/log-capture';
import { WebhookReceiver } from './testing/webhook-receiver';
import { WorkerTestEnvironment } from './testing/worker-environment';

jest.setTimeout(120_000);

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const receivers: WebhookReceiver[] = [];
const startWorker = inProcessWorkers({
  defaults: { ...SHORT_WAITS, WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true', WEBHOOK_TIMEOUT_MS: '2000' },
  beforeStop: () => Promise.all(receivers.splice(0).map((receiver) => receiver.close())),
});

/** Lets the worker run on, so that a late second request would have arrived. */
const settle = (ms = 2500) => new Promise((resolve) => setTimeout(resolve, ms));

describe('export.expired (the hourly expiry sweep)', () => {
  const env = WorkerTestEnvironment.forSuite();
  let webhooks: WebhookStore;
  let cursor: ExpirySweepCursor;
  beforeAll(() => {
    webhooks = new WebhookStore({ client: env.dynamodb, table: env.names.tables.webhooks });
    cursor = new ExpirySweepCursor({ client: env.dynamodb, table: env.names.tables.webhooks });
  });

  /** A job of `userId` completed at `finishedAt`, filed by the store with `retentionDays`, as the worker of that time did. */
  async function completedAt(userId: string, finishedAt: Date, retentionDays: number): Promise<ExportJob> {
    const jobs = new JobStore({
      client: env.dynamodb,
      jobsTable: env.names.tables.exportJobs,
      guardsTable: env.names.tables.exportGuards,
      now: () => finishedAt,
    });
    const { job } = await jobs.create({ userId, trigger: 'api', skipActiveGuard: true });
    await jobs.claim(job.id, 'worker-then', 60_000);
    const file = { key: `exports/${userId}/${job.id}.csv`, rows: 3, bytes: 42, sha256: 'ab'.repeat(32), contentType: 'text/csv' };
    await jobs.complete(
      job.id,
      'worker-then',
      file,
      { method: 'link', to: 'a@example.test', emailedAt: finishedAt.toISOString() },
      undefined,
      retentionDays,
    );
    return (await jobs.get(job.id))!;
  }

  /** The tick EventBridge Scheduler puts on the webhook queue: the target input with the time filled in. */
  async function sendTick(scheduledTime: string): Promise<void> {
    await env.sqs.send(
      new SendMessageCommand({
        QueueUrl: env.queues.webhookQueueUrl,
        MessageBody: expirySweepTargetInput().replace('<aws.scheduler.scheduled-time>', scheduledTime),
      }),
    );
  }

  const sweepsDone = (records: LogRecord[]) => records.filter((r) => r.msg === 'expiry sweep done');

  it('emits export.expired once, signed, for each job of the swept hours that reads expired, and moves the cursor', async () => {
    const userId = randomUUID();
    const hooks = await WebhookReceiver.start();
    receivers.push(hooks);
    const endpoint = await webhooks.createEndpoint({ userId, url: hooks.url('/expired'), events: ['export.expired'] });
    const now = Date.now();
    // Expired two hours ago (FILE_RETENTION_DAYS 7, the worker's default): in an hour that has ended.
    const expired = await completedAt(userId, new Date(now - 7 * DAY_MS - 2 * HOUR_MS), 7);
    // Filed under the same hour when it finished with a retention of 1 day; with today's 7 it is not expired.
    const kept = await completedAt(userId, new Date(now - DAY_MS - 2 * HOUR_MS), 1);
    // Expired 80 hours ago: before the 72 hours a first sweep looks back.
    const tooOld = await completedAt(userId, new Date(now - 7 * DAY_MS - 80 * HOUR_MS), 7);
    expect(kept.expiryHour).toBe(expired.expiryHour);
    expect(await cursor.read()).toBeUndefined();

    const { logs } = await startWorker(env);
    const scheduledTime = new Date(now).toISOString();
    await sendTick(scheduledTime);
    const [request] = await hooks.waitForRequests(1);
    await waitFor('the sweep', async () => sweepsDone(logs.records).length === 1 || undefined);
    await settle();

    expect(hooks.received).toHaveLength(1);
    const eventId = eventIdOf(expired.id, 'export.expired');
    const event = JSON.parse(request!.body) as Record<string, any>;
    expect(event).toMatchObject({
      id: eventId,
      object: 'event',
      type: 'export.expired',
      // When the file expired, not when the sweep ran.
      created_at: fileExpiresAt(expired, 7)!.toISOString(),
      data: { object: { id: expired.id, state: 'expired', file: { rows: 3 }, links: { self: `/v1/exports/${expired.id}` } } },
    });
    expect(event.data).not.toHaveProperty('download_url');
    expect(event.data.object.links).not.toHaveProperty('download');
    expect(request!.headers).toMatchObject({
      'memberships-event-id': eventId,
      'memberships-event-type': 'export.expired',
      'memberships-delivery-id': deliveryIdOf(endpoint.id, eventId),
    });
    const [t, v1] = String(request!.headers['memberships-signature']).split(',');
    expect(v1).toBe(
      `v1=${createHmac('sha256', endpoint.secret)
        .update(`${t!.replace('t=', '')}.${request!.body}`)
        .digest('hex')}`,
    );

    const onBus = (await busEvents(env.aws.endpoints.events!, env.names.eventBus)).filter((e) => e.detailType === 'export.expired');
    expect(onBus.map((e) => e.detail.id)).toEqual([eventId]);
    expect(onBus.map((e) => e.detail.id)).not.toContain(eventIdOf(kept.id, 'export.expired'));
    expect(onBus.map((e) => e.detail.id)).not.toContain(eventIdOf(tooOld.id, 'export.expired'));

    // Past the last complete hour before the tick: the next sweep starts with the tick's own hour.
    const moved = await cursor.read();
    expect(moved).toMatchObject({ nextHour: expiryHourOf(new Date(scheduledTime)) });
    expect(moved).not.toHaveProperty('afterId');
    expect(sweepsDone(logs.records)[0]).toMatchObject({ hours: 72, eventsSent: 1, jobsRead: 2 });

    // The same tick again (a duplicate message): the hours are swept, nothing is sent again.
    await sendTick(scheduledTime);
    await waitFor('the second sweep', async () => sweepsDone(logs.records).length === 2 || undefined);
    await settle();
    expect(sweepsDone(logs.records)[1]).toMatchObject({ hours: 0, eventsSent: 0 });
    expect(hooks.received).toHaveLength(1);
    expect((await busEvents(env.aws.endpoints.events!, env.names.eventBus)).filter((e) => e.detailType === 'export.expired')).toHaveLength(
      1,
    );
    expect(await cursor.read()).toEqual(moved);
  });

  it('an hour swept again from an older cursor re-emits the same event, which reaches the endpoint once', async () => {
    const userId = randomUUID();
    const hooks = await WebhookReceiver.start();
    receivers.push(hooks);
    await webhooks.createEndpoint({ userId, url: hooks.url(), events: ['export.expired'] });
    const now = Date.now();
    // Expired an hour ago: the last complete hour, later than the hour of the test before.
    const job = await completedAt(userId, new Date(now - 7 * DAY_MS - HOUR_MS), 7);
    const { logs } = await startWorker(env);
    const before = sweepsDone(logs.records).length;

    // The cursor back at the job's hour, as after a crash between the sends and the cursor's write.
    const current = await cursor.read();
    await cursor.advance(current, { nextHour: job.expiryHour! });
    await sendTick(new Date(now).toISOString());
    await hooks.waitForRequests(1);
    await waitFor('the sweep', async () => sweepsDone(logs.records).length === before + 1 || undefined);
    await cursor.advance(await cursor.read(), { nextHour: job.expiryHour! });
    await sendTick(new Date(now).toISOString());
    await waitFor('the sweep again', async () => sweepsDone(logs.records).length === before + 2 || undefined);
    await waitFor('the event put again', async () => {
      const events = await busEvents(env.aws.endpoints.events!, env.names.eventBus);
      return events.filter((e) => e.detail.id === eventIdOf(job.id, 'export.expired')).length >= 2 || undefined;
    });
    await settle();

    expect(
      sweepsDone(logs.records)
        .slice(before)
        .map((r) => r.eventsSent),
    ).toEqual([1, 1]);
    expect(hooks.received).toHaveLength(1);
    expect(JSON.parse(hooks.received[0]!.body)).toMatchObject({
      type: 'export.expired',
      data: { object: { id: job.id, state: 'expired' } },
    });
  });
});
