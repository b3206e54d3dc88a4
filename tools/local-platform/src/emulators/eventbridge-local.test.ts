import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { LOCAL_CREDENTIALS } from '../aws-clients';
import type { RunningEmulator } from './emulator';
import { busEvents, startEventBridgeLocal } from './eventbridge-local';
import { MAX_ENTRIES_BYTES } from './eventbridge-local-server';

describe('EventBridge stand-in, through the AWS SDK client', () => {
  let emulator: RunningEmulator;
  let client: EventBridgeClient;
  beforeAll(async () => {
    emulator = await startEventBridgeLocal({ region: 'eu-west-1' });
    client = new EventBridgeClient({ region: 'eu-west-1', endpoint: emulator.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  }, 60_000);
  afterAll(async () => {
    client?.destroy();
    await emulator?.stop();
  });

  const entry = (bus: string, detail: object = { id: 'evt_1' }): PutEventsRequestEntry => ({
    EventBusName: bus,
    Source: 'memberships.exports',
    DetailType: 'export.succeeded',
    Detail: JSON.stringify(detail),
  });

  it('creates a bus with an ARN in the region and the local account, describes it by name and by ARN, and refuses it twice', async () => {
    const { EventBusArn } = await client.send(new CreateEventBusCommand({ Name: 'created-events' }));
    expect(EventBusArn).toBe('arn:aws:events:eu-west-1:000000000000:event-bus/created-events');
    for (const Name of ['created-events', EventBusArn!]) {
      const described = await client.send(new DescribeEventBusCommand({ Name }));
      expect(described).toMatchObject({ Name: 'created-events', Arn: EventBusArn });
      expect(described.CreationTime).toBeInstanceOf(Date);
    }
    await expect(client.send(new CreateEventBusCommand({ Name: 'created-events' }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(client.send(new DescribeEventBusCommand({ Name: 'missing-events' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('keeps each accepted event with its bus, source, detail type, parsed detail, time and id, in order', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'kept-events' }));
    const time = new Date('2026-03-01T10:20:30.456Z');
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...entry('kept-events', { id: 'evt_a', n: 1 }), Time: time },
          entry('arn:aws:events:eu-west-1:000000000000:event-bus/kept-events', { id: 'evt_b' }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    const ids = answer.Entries?.map((result) => result.EventId);
    expect(ids).toEqual([expect.any(String), expect.any(String)]);
    const events = await busEvents(emulator.endpoint, 'kept-events');
    expect(events).toEqual([
      {
        id: ids![0],
        bus: 'kept-events',
        source: 'memberships.exports',
        detailType: 'export.succeeded',
        detail: { id: 'evt_a', n: 1 },
        time: '2026-03-01T10:20:30Z',
        resources: [],
      },
      expect.objectContaining({ id: ids![1], bus: 'kept-events', detail: { id: 'evt_b' } }),
    ]);
    // Another bus sees none of them.
    expect(await busEvents(emulator.endpoint, 'default')).toEqual([]);
  });

  it('fails only the bad entries, each with its error code, and counts them in FailedEntryCount', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'checked-events' }));
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          entry('checked-events', { id: 'evt_ok' }),
          { ...entry('checked-events'), Source: undefined },
          { ...entry('checked-events'), DetailType: undefined },
          { ...entry('checked-events'), Detail: undefined },
          { ...entry('checked-events'), Detail: '{"not": json' },
          { ...entry('checked-events'), Detail: '["an", "array"]' },
          entry('no-such-bus'),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(6);
    expect(answer.Entries?.map((result) => result.EventId ?? result.ErrorCode)).toEqual([
      expect.any(String),
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'ResourceNotFoundException',
    ]);
    expect(answer.Entries?.[1]?.ErrorMessage).toContain('Source');
    expect(answer.Entries?.[6]?.ErrorMessage).toContain('no-such-bus');
    expect((await busEvents(emulator.endpoint, 'checked-events')).map((event) => event.detail)).toEqual([{ id: 'evt_ok' }]);
  });

  it('refuses a call of no entries, of more than 10, or of more than 256 KB of entries as a whole, keeping none', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'limited-events' }));
    await expect(client.send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const eleven = Array.from({ length: 11 }, (_, index) => entry('limited-events', { index }));
    await expect(client.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new PutEventsCommand({ Entries: eleven.slice(0, 10) }))).resolves.toMatchObject({ FailedEntryCount: 0 });

    // Source + DetailType + Detail bytes (UTF-8: "é" is 2), and 14 for a Time: exactly at the limit passes, one byte more does not.
    const fixed = 'memberships.exports'.length + 'export.succeeded'.length + '{"p":""}'.length + 14;
    const padding = (bytes: number) => 'é'.repeat(Math.floor(bytes / 2)) + 'x'.repeat(bytes % 2);
    const sized = (bytes: number): PutEventsRequestEntry => ({
      ...entry('limited-events'),
      Detail: JSON.stringify({ p: padding(bytes - fixed) }),
      Time: new Date(),
    });
    const half = MAX_ENTRIES_BYTES / 2;
    await expect(client.send(new PutEventsCommand({ Entries: [sized(half), sized(half)] }))).resolves.toMatchObject({
      FailedEntryCount: 0,
    });
    await expect(client.send(new PutEventsCommand({ Entries: [sized(half), sized(half + 1)] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('over the limit'),
    });
    expect(await busEvents(emulator.endpoint, 'limited-events')).toHaveLength(12);
  });

  it('answers 404 on the test endpoint for a bus that does not exist', async () => {
    await expect(busEvents(emulator.endpoint, 'missing-events')).rejects.toThrow(/404/);
  });
});
