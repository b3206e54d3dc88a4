import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ExportJob } from '@memberships/core/contract';
import type { ExpiringPage } from '@memberships/core/dynamodb';
import pino from 'pino';
import { ExpirySweep, FIRST_SWEEP_LOOKBACK_HOURS, hourAfter, hoursToSweep, hourStart } from './expiry-sweep';
import type { SweepCursor, SweepPosition } from './expiry-sweep-cursor';
import type { ReceivedMessage } from './message-actions';

describe('hour arithmetic', () => {
  it('steps hours across days, months and years', () => {
    expect(hourAfter('2026-12-08T05')).toBe('2026-12-08T06');
    expect(hourAfter('2026-12-31T23')).toBe('2027-01-01T00');
    expect(hourAfter('2027-03-01T00', -1)).toBe('2027-02-28T23');
    expect(hourAfter('2026-12-08T05', 72)).toBe('2026-12-11T05');
    expect(hourStart('2026-12-08T05')).toBe(Date.parse('2026-12-08T05:00:00.000Z'));
  });

  it('sweeps from the cursor through the last hour that ended by the tick', () => {
    const tick = new Date('2026-12-08T05:00:00Z');
    const now = new Date('2026-12-08T05:00:20Z');
    expect(hoursToSweep('2026-12-08T02', tick, now)).toEqual(['2026-12-08T02', '2026-12-08T03', '2026-12-08T04']);
    // The hour the tick falls in has not ended, whatever its minute.
    expect(hoursToSweep('2026-12-08T04', new Date('2026-12-08T05:59:59Z'), new Date('2026-12-08T06:30:00Z'))).toEqual(['2026-12-08T04']);
  });

  it('sweeps nothing when the cursor is already past the last complete hour', () => {
    const tick = new Date('2026-12-08T05:00:00Z');
    expect(hoursToSweep('2026-12-08T05', tick, tick)).toEqual([]);
    expect(hoursToSweep('2026-12-08T07', tick, tick)).toEqual([]);
  });

  it('does not trust a tick beyond its own clock', () => {
    const future = new Date('2026-12-09T00:00:00Z');
    const now = new Date('2026-12-08T05:30:00Z');
    expect(hoursToSweep('2026-12-08T03', future, now)).toEqual(['2026-12-08T03', '2026-12-08T04']);
  });

  it('looks back 72 hours on the first run, and catches up without a limit once there is a cursor', () => {
    const tick = new Date('2026-12-08T05:00:00Z');
    const first = hoursToSweep(undefined, tick, tick);
    expect(first).toHaveLength(FIRST_SWEEP_LOOKBACK_HOURS);
    expect(first[0]).toBe('2026-12-05T05');
    expect(first.at(-1)).toBe('2026-12-08T04');
    // A worker fleet down for four days: every hour since the cursor, none skipped.
    expect(hoursToSweep('2026-12-04T05', tick, tick)).toHaveLength(96);
  });
});

describe('ExpirySweep (stubbed store, cursor and queue)', () => {
  const log = pino({ level: 'silent' });
  const context = { log, receiveCount: 1, message: {} } as unknown as ReceivedMessage;
  const now = new Date('2026-12-08T05:00:30Z');
  const tick = { type: 'expiry.sweep', version: 1, scheduledTime: '2026-12-08T05:00:00Z' } as const;

  const job = (id: string, finishedAt: string): ExportJob =>
    ({
      id,
      userId: '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20',
      state: 'succeeded',
      finishedAt,
      updatedAt: finishedAt,
      file: { key: 'k', rows: 1, bytes: 1, sha256: 'x', contentType: 'text/csv' },
    }) as ExportJob;

  function harness(pages: Record<string, ExpiringPage[]>, start: SweepCursor | undefined, options: { loseAt?: number } = {}) {
    let cursor = start;
    const writes: SweepPosition[] = [];
    const sent: string[][] = [];
    const sweep = new ExpirySweep({
      jobs: {
        listExpiringIn: async (hour, page = {}) => {
          const list = pages[hour] ?? [{ jobs: [] }];
          const index = page.afterId ? list.findIndex((p) => p.jobs.at(-1)?.id === page.afterId) + 1 : 0;
          return list[index]!;
        },
      },
      cursor: {
        read: async () => cursor,
        advance: async (seen, position) => {
          if (options.loseAt !== undefined && writes.length === options.loseAt) return undefined;
          expect(seen).toEqual(cursor);
          writes.push(position);
          cursor = { ...position, revision: (cursor?.revision ?? 0) + 1 };
          return cursor;
        },
      },
      sqs: {
        send: async (command: { input: { Entries: { MessageBody: string }[] } }) => {
          sent.push(command.input.Entries.map((e) => (JSON.parse(e.MessageBody) as { jobId: string }).jobId));
          return {};
        },
      } as unknown as SQSClient,
      queueUrl: 'http://q/webhooks',
      fileRetentionDays: 7,
      now: () => now,
    });
    return { sweep, writes, sent };
  }

  it('sends the expired jobs of each hour ten to a batch, moving the cursor after each page', async () => {
    const expired = Array.from({ length: 15 }, (_, i) => job(`job-${String(i).padStart(2, '0')}`, '2026-12-01T04:30:00.000Z'));
    const { sweep, writes, sent } = harness(
      { '2026-12-08T04': [{ jobs: expired.slice(0, 12), nextAfterId: 'job-11' }, { jobs: expired.slice(12) }] },
      { nextHour: '2026-12-08T03', revision: 4 },
    );
    expect(await sweep.handle(context, tick)).toBe('ack');
    expect(writes).toEqual([
      { nextHour: '2026-12-08T04' },
      { nextHour: '2026-12-08T04', afterId: 'job-11' },
      { nextHour: '2026-12-08T05' },
    ]);
    expect(sent.map((batch) => batch.length)).toEqual([10, 2, 3]);
    expect(sent.flat()).toEqual(expired.map((j) => j.id));
  });

  it('resumes after the last page the cursor names', async () => {
    const first = [job('job-a', '2026-12-01T04:10:00.000Z')];
    const second = [job('job-b', '2026-12-01T04:20:00.000Z')];
    const { sweep, sent } = harness(
      { '2026-12-08T04': [{ jobs: first, nextAfterId: 'job-a' }, { jobs: second }] },
      { nextHour: '2026-12-08T04', afterId: 'job-a', revision: 9 },
    );
    await sweep.handle(context, tick);
    expect(sent).toEqual([['job-b']]);
  });

  it('skips a job of the hour that does not read expired (its retention was raised since)', async () => {
    const { sweep, sent } = harness(
      { '2026-12-08T04': [{ jobs: [job('old', '2026-12-01T04:10:00.000Z'), job('recent', '2026-12-05T04:10:00.000Z')] }] },
      { nextHour: '2026-12-08T04', revision: 1 },
    );
    await sweep.handle(context, tick);
    expect(sent).toEqual([['old']]);
  });

  it('stops when another sweep moved the cursor first', async () => {
    const { sweep, writes } = harness({}, { nextHour: '2026-12-08T01', revision: 1 }, { loseAt: 1 });
    expect(await sweep.handle(context, tick)).toBe('ack');
    expect(writes).toEqual([{ nextHour: '2026-12-08T02' }]);
  });

  it('leaves the message when the worker is shutting down', async () => {
    const { sweep, writes } = harness({}, { nextHour: '2026-12-08T01', revision: 1 });
    const shutdown = new AbortController();
    shutdown.abort();
    expect(await sweep.handle(context, tick, shutdown.signal)).toBe('leave');
    expect(writes).toEqual([]);
  });
});
