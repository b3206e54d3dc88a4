import {
  applyScheduleChanges,
  InvalidScheduleError,
  nextRunAt,
  normalizeTimeZone,
  scheduledJobId,
  scheduleExpression,
  scheduleIdFromSchedulerName,
  schedulerScheduleName,
  scheduleTargetInput,
  SCHEDULE_DEFAULTS,
  validateScheduleTiming,
  type ExportSchedule,
  type ScheduleTiming,
} from './schedule';
import { isJobId, parseMessage } from '../messages';

const SCHEDULE_ID = '3f2b8c1e-7a4d-4e2f-9b6a-1c0d5e8f7a21';
const USER_ID = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20';

const at = (iso: string) => new Date(iso);
const next = (timing: Partial<ScheduleTiming>, from: string) => nextRunAt({ ...SCHEDULE_DEFAULTS, ...timing }, at(from)).toISOString();

describe('validateScheduleTiming', () => {
  it('fills in the defaults a user expects: the 1st, 06:00, UTC', () => {
    expect(validateScheduleTiming({})).toEqual({ dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'UTC' });
  });

  it('accepts the edges of each field', () => {
    expect(validateScheduleTiming({ dayOfMonth: 28, timeOfDay: '23:59', timeZone: 'Pacific/Kiritimati' })).toEqual({
      dayOfMonth: 28,
      timeOfDay: '23:59',
      timeZone: 'Pacific/Kiritimati',
    });
    expect(validateScheduleTiming({ dayOfMonth: 1, timeOfDay: '00:00' })).toMatchObject({ dayOfMonth: 1, timeOfDay: '00:00' });
  });

  it.each([
    ['dayOfMonth', { dayOfMonth: 0 }],
    ['dayOfMonth', { dayOfMonth: 29 }],
    ['dayOfMonth', { dayOfMonth: 31 }],
    ['dayOfMonth', { dayOfMonth: 1.5 }],
    ['dayOfMonth', { dayOfMonth: '1' }],
    ['timeOfDay', { timeOfDay: '24:00' }],
    ['timeOfDay', { timeOfDay: '6:00' }],
    ['timeOfDay', { timeOfDay: '06:60' }],
    ['timeOfDay', { timeOfDay: '06:00:00' }],
    ['timeZone', { timeZone: 'Mars/Olympus_Mons' }],
    ['timeZone', { timeZone: '+01:00' }],
    ['timeZone', { timeZone: 'CET; DROP TABLE' }],
    ['timeZone', { timeZone: '' }],
  ])('rejects a bad %s (%j)', (field, input) => {
    let caught: unknown;
    try {
      validateScheduleTiming(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidScheduleError);
    expect(caught).toMatchObject({ code: 'invalid_schedule', problems: [{ field }] });
  });

  it('reports every bad field at once', () => {
    expect(() => validateScheduleTiming({ dayOfMonth: 30, timeOfDay: 'noon', timeZone: 'Nowhere/Land' })).toThrow(
      expect.objectContaining({
        problems: [
          expect.objectContaining({ field: 'dayOfMonth' }),
          expect.objectContaining({ field: 'timeOfDay' }),
          expect.objectContaining({ field: 'timeZone' }),
        ],
      }),
    );
  });
});

describe('normalizeTimeZone', () => {
  it('fixes the case of a zone name, since EventBridge Scheduler is case-sensitive', () => {
    expect(normalizeTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(normalizeTimeZone('utc')).toBe('UTC');
    expect(normalizeTimeZone('AMERICA/NEW_YORK')).toBe('America/New_York');
  });

  it('keeps a valid alias as the user wrote it', () => {
    expect(normalizeTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(normalizeTimeZone('Etc/GMT+5')).toBe('Etc/GMT+5');
  });

  it('rejects what is not a zone name', () => {
    expect(normalizeTimeZone('Europe/Atlantis')).toBeUndefined();
    expect(normalizeTimeZone('+05:30')).toBeUndefined();
    expect(normalizeTimeZone(42)).toBeUndefined();
  });
});

describe('Scheduler definition', () => {
  it('turns day and time into a cron expression the Scheduler evaluates in the zone', () => {
    expect(scheduleExpression({ dayOfMonth: 1, timeOfDay: '06:00' })).toBe('cron(0 6 1 * ? *)');
    expect(scheduleExpression({ dayOfMonth: 28, timeOfDay: '23:05' })).toBe('cron(5 23 28 * ? *)');
    expect(scheduleExpression({ dayOfMonth: 15, timeOfDay: '00:30' })).toBe('cron(30 0 15 * ? *)');
  });

  it('names the Scheduler schedule after the record, and reads the id back', () => {
    expect(schedulerScheduleName(SCHEDULE_ID)).toBe(`export-${SCHEDULE_ID}`);
    expect(scheduleIdFromSchedulerName(`export-${SCHEDULE_ID}`)).toBe(SCHEDULE_ID);
    expect(scheduleIdFromSchedulerName('someone-else')).toBeUndefined();
  });

  it('builds the target input template of the contract', () => {
    expect(scheduleTargetInput({ id: SCHEDULE_ID, userId: USER_ID })).toBe(
      `{"type":"export.scheduled","version":1,"scheduleId":"${SCHEDULE_ID}","userId":"${USER_ID}",` +
        '"scheduledTime":"<aws.scheduler.scheduled-time>","executionId":"<aws.scheduler.execution-id>"}',
    );
  });

  it('gives a template that, once the Scheduler fills it in, is a valid export.scheduled message', () => {
    const body = scheduleTargetInput({ id: SCHEDULE_ID, userId: USER_ID })
      .replace('<aws.scheduler.scheduled-time>', '2026-12-01T05:00:00Z')
      .replace('<aws.scheduler.execution-id>', 'c5b1d0a4-exec');
    expect(parseMessage(body)).toEqual({
      ok: true,
      message: {
        type: 'export.scheduled',
        version: 1,
        scheduleId: SCHEDULE_ID,
        userId: USER_ID,
        scheduledTime: '2026-12-01T05:00:00Z',
        executionId: 'c5b1d0a4-exec',
      },
    });
  });
});

describe('scheduledJobId', () => {
  it('is the schedule id and the UTC minute of the tick', () => {
    expect(scheduledJobId(SCHEDULE_ID, '2026-12-01T05:00:00Z')).toBe(`sched-${SCHEDULE_ID}-20261201T0500Z`);
  });

  it('is the same for every spelling of one instant, and a valid job id', () => {
    const id = scheduledJobId(SCHEDULE_ID, '2026-12-01T06:00:00+01:00');
    expect(id).toBe(scheduledJobId(SCHEDULE_ID, at('2026-12-01T05:00:00.000Z')));
    expect(isJobId(id)).toBe(true);
  });

  it('differs between ticks', () => {
    expect(scheduledJobId(SCHEDULE_ID, '2026-12-01T05:00:00Z')).not.toBe(scheduledJobId(SCHEDULE_ID, '2027-01-01T05:00:00Z'));
  });

  it('refuses a time that is not one', () => {
    expect(() => scheduledJobId(SCHEDULE_ID, 'first of the month')).toThrow(RangeError);
  });
});

describe('nextRunAt', () => {
  const berlin = { dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'Europe/Berlin' };

  it('in UTC is the day and time as given', () => {
    expect(next({}, '2026-11-25T10:00:00Z')).toBe('2026-12-01T06:00:00.000Z');
    expect(next({ dayOfMonth: 25, timeOfDay: '10:00' }, '2026-11-25T09:59:00Z')).toBe('2026-11-25T10:00:00.000Z');
  });

  it('is strictly after `from`: at the very instant of a run, the next run is a month later', () => {
    expect(next({}, '2026-12-01T06:00:00Z')).toBe('2027-01-01T06:00:00.000Z');
  });

  it('rolls over the year', () => {
    expect(next({ dayOfMonth: 28, timeOfDay: '23:59' }, '2026-12-28T23:59:30Z')).toBe('2027-01-28T23:59:00.000Z');
  });

  it('in Europe/Berlin follows the March change to summer time (UTC+1 → UTC+2)', () => {
    expect(next(berlin, '2026-02-15T00:00:00Z')).toBe('2026-03-01T05:00:00.000Z');
    // The clocks go forward on 2026-03-29, so 06:00 on 1 April is 04:00 UTC.
    expect(next(berlin, '2026-03-01T05:00:00Z')).toBe('2026-04-01T04:00:00.000Z');
  });

  it('in Europe/Berlin follows the October change back to winter time (UTC+2 → UTC+1)', () => {
    expect(next(berlin, '2026-09-15T00:00:00Z')).toBe('2026-10-01T04:00:00.000Z');
    // The clocks go back on 2026-10-25, so 06:00 on 1 November is 05:00 UTC.
    expect(next(berlin, '2026-10-01T04:00:00Z')).toBe('2026-11-01T05:00:00.000Z');
  });

  it('in Europe/Berlin on the day of the change itself', () => {
    // 29 March 2026: 02:00 → 03:00 local; 03:30 local is already summer time.
    expect(next({ dayOfMonth: 29, timeOfDay: '03:30', timeZone: 'Europe/Berlin' }, '2026-03-20T00:00:00Z')).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 25 October 2026: 02:30 local happens twice (UTC+2, then UTC+1); it fires once, at the first.
    expect(next({ dayOfMonth: 25, timeOfDay: '02:30', timeZone: 'Europe/Berlin' }, '2026-10-20T00:00:00Z')).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(next({ dayOfMonth: 25, timeOfDay: '02:30', timeZone: 'Europe/Berlin' }, '2026-10-25T00:30:00Z')).toBe(
      '2026-11-25T01:30:00.000Z',
    );
  });

  it('skips a month whose local time does not exist (the hour the clocks jump over), as the Scheduler does', () => {
    // 02:30 on 29 March 2026 does not exist in Berlin; the next 29th at 02:30 is in April (summer time).
    expect(next({ dayOfMonth: 29, timeOfDay: '02:30', timeZone: 'Europe/Berlin' }, '2026-03-20T00:00:00Z')).toBe(
      '2026-04-29T00:30:00.000Z',
    );
  });

  it('in America/New_York follows both changes (UTC−5 ↔ UTC−4)', () => {
    const newYork = { dayOfMonth: 1, timeOfDay: '09:00', timeZone: 'America/New_York' };
    expect(next(newYork, '2026-02-15T00:00:00Z')).toBe('2026-03-01T14:00:00.000Z');
    // Summer time from 8 March 2026.
    expect(next(newYork, '2026-03-01T14:00:00Z')).toBe('2026-04-01T13:00:00.000Z');
    // Back to standard time on 1 November 2026, at 02:00: 09:00 that day is already UTC−5.
    expect(next(newYork, '2026-10-01T13:00:00Z')).toBe('2026-11-01T14:00:00.000Z');
  });

  it('in Asia/Kolkata (UTC+5:30, no daylight saving) is a fixed half-hour offset', () => {
    const kolkata = { dayOfMonth: 10, timeOfDay: '00:15', timeZone: 'Asia/Kolkata' };
    expect(next(kolkata, '2026-06-01T00:00:00Z')).toBe('2026-06-09T18:45:00.000Z');
    expect(next(kolkata, '2026-12-09T18:45:00Z')).toBe('2027-01-09T18:45:00.000Z');
  });

  it('counts the local month, not the UTC month', () => {
    // 1 December 00:30 in Kolkata is still 30 November in UTC.
    expect(next({ dayOfMonth: 1, timeOfDay: '00:30', timeZone: 'Asia/Kolkata' }, '2026-11-30T18:00:00Z')).toBe('2026-11-30T19:00:00.000Z');
    // Already 1 December in Kolkata at 19:30 UTC on 30 November, and 00:30 has passed: next is January.
    expect(next({ dayOfMonth: 1, timeOfDay: '00:30', timeZone: 'Asia/Kolkata' }, '2026-11-30T19:30:00Z')).toBe('2026-12-31T19:00:00.000Z');
  });
});

describe('applyScheduleChanges', () => {
  const schedule: ExportSchedule = {
    id: SCHEDULE_ID,
    userId: USER_ID,
    dayOfMonth: 1,
    timeOfDay: '06:00',
    timeZone: 'UTC',
    state: 'active',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    version: 3,
  };

  it('changes only what is given, and moves the version on', () => {
    const changed = applyScheduleChanges(schedule, { timeZone: 'europe/berlin', state: 'paused' }, at('2026-11-25T10:00:00Z'));
    expect(changed).toEqual({
      ...schedule,
      timeZone: 'Europe/Berlin',
      state: 'paused',
      updatedAt: '2026-11-25T10:00:00.000Z',
      version: 4,
    });
  });

  it('validates the result', () => {
    expect(() => applyScheduleChanges(schedule, { dayOfMonth: 31 })).toThrow(InvalidScheduleError);
    expect(() => applyScheduleChanges(schedule, { state: 'deleted' as never })).toThrow(InvalidScheduleError);
  });
});
