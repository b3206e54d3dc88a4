import { ValidationException } from './errors';
import { parseScheduleExpression } from './schedule-expression';

const ms = (iso: string) => Date.parse(iso);
const iso = (instants: number[]) => instants.map((instant) => new Date(instant).toISOString());

function occurrences(expression: string, timeZone: string, after: string, until: string, anchor = after, limit = 1000): string[] {
  return iso(parseScheduleExpression(expression, timeZone).occurrencesBetween(ms(after), ms(until), ms(anchor), limit));
}

describe('cron expressions', () => {
  it('fires "day 1, 06:00 Europe/Berlin" at 06:00 local time on both sides of the DST changes', () => {
    expect(occurrences('cron(0 6 1 * ? *)', 'Europe/Berlin', '2026-02-15T00:00:00Z', '2026-12-31T00:00:00Z')).toEqual([
      '2026-03-01T05:00:00.000Z', // CET, UTC+1
      '2026-04-01T04:00:00.000Z', // CEST since 29 March
      '2026-05-01T04:00:00.000Z',
      '2026-06-01T04:00:00.000Z',
      '2026-07-01T04:00:00.000Z',
      '2026-08-01T04:00:00.000Z',
      '2026-09-01T04:00:00.000Z',
      '2026-10-01T04:00:00.000Z',
      '2026-11-01T05:00:00.000Z', // CET again since 25 October
      '2026-12-01T05:00:00.000Z',
    ]);
  });

  it('counts only occurrences strictly after the start of the span and up to its end', () => {
    expect(occurrences('cron(0 6 1 * ? *)', 'UTC', '2026-03-01T06:00:00Z', '2026-05-01T06:00:00Z')).toEqual([
      '2026-04-01T06:00:00.000Z',
      '2026-05-01T06:00:00.000Z',
    ]);
  });

  it('numbers the days of the week from Sunday = 1, as AWS does', () => {
    // 2026-03-02 is a Monday.
    expect(occurrences('cron(30 9 ? * 2 *)', 'UTC', '2026-03-01T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-02T09:30:00.000Z',
      '2026-03-09T09:30:00.000Z',
    ]);
    expect(occurrences('cron(0 12 ? * MON-FRI *)', 'UTC', '2026-03-06T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-06T12:00:00.000Z',
      '2026-03-09T12:00:00.000Z',
    ]);
    // 1 is Sunday: 2026-03-01 and 2026-03-08.
    expect(occurrences('cron(0 0 ? * 1 *)', 'UTC', '2026-02-28T00:00:00Z', '2026-03-09T00:00:00Z')).toEqual([
      '2026-03-01T00:00:00.000Z',
      '2026-03-08T00:00:00.000Z',
    ]);
  });

  it('supports lists, ranges and steps in every field', () => {
    expect(occurrences('cron(0/20 8-9 15 3,4 ? *)', 'UTC', '2026-03-15T00:00:00Z', '2026-03-16T00:00:00Z')).toEqual([
      '2026-03-15T08:00:00.000Z',
      '2026-03-15T08:20:00.000Z',
      '2026-03-15T08:40:00.000Z',
      '2026-03-15T09:00:00.000Z',
      '2026-03-15T09:20:00.000Z',
      '2026-03-15T09:40:00.000Z',
    ]);
    expect(occurrences('cron(*/30 0 1 JAN ? *)', 'UTC', '2026-12-31T00:00:00Z', '2027-01-02T00:00:00Z')).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-01-01T00:30:00.000Z',
    ]);
  });

  it('honours the year field', () => {
    expect(occurrences('cron(0 0 1 1 ? 2027,2029)', 'UTC', '2026-01-01T00:00:00Z', '2031-01-01T00:00:00Z')).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2029-01-01T00:00:00.000Z',
    ]);
    expect(occurrences('cron(0 0 1 1 ? 2020-2025)', 'UTC', '2026-01-01T00:00:00Z', '2031-01-01T00:00:00Z')).toEqual([]);
    // The year is the local one: 1 January 2027 00:00 in Tokyo is still 2026 in UTC.
    expect(occurrences('cron(0 0 1 1 ? 2027)', 'Asia/Tokyo', '2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z')).toEqual([
      '2026-12-31T15:00:00.000Z',
    ]);
  });

  it('supports L, W and # like AWS', () => {
    expect(occurrences('cron(0 0 L * ? *)', 'UTC', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z')).toEqual(['2026-02-28T00:00:00.000Z']);
    // 2026-03-15 is a Sunday: the nearest weekday is Monday the 16th. 2026-08-01 is a Saturday: Monday the 3rd (never July).
    expect(occurrences('cron(0 0 15W * ? *)', 'UTC', '2026-03-01T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual(['2026-03-16T00:00:00.000Z']);
    expect(occurrences('cron(0 0 1W * ? *)', 'UTC', '2026-07-15T00:00:00Z', '2026-08-31T00:00:00Z')).toEqual(['2026-08-03T00:00:00.000Z']);
    // Last weekday of May 2026: Friday the 29th.
    expect(occurrences('cron(0 0 LW * ? *)', 'UTC', '2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z')).toEqual(['2026-05-29T00:00:00.000Z']);
    // Third Friday (6 in AWS numbering) of March 2026: the 20th. Last Friday: the 27th.
    expect(occurrences('cron(0 0 ? * 6#3 *)', 'UTC', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual(['2026-03-20T00:00:00.000Z']);
    expect(occurrences('cron(0 0 ? * 6L *)', 'UTC', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z')).toEqual(['2026-03-27T00:00:00.000Z']);
  });

  it('stops at the limit', () => {
    expect(occurrences('cron(* * * * ? *)', 'UTC', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', undefined, 3)).toHaveLength(3);
  });

  it.each([
    ['cron(0 6 1 * * *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 6 ? * ? *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 6 1 * ?)', 'expected 6 fields'],
    ['cron(60 6 1 * ? *)', 'minutes value "60" is outside 0-59'],
    ['cron(0 6 1 * ? 1960)', 'year value "1960" is outside 1970-2199'],
    ['cron(0 6 ? * 0 *)', 'day-of-week value "0" is outside 1-7'],
    ['cron(? 6 1 * ? *)', 'invalid minutes value "?"'],
    ['cron(0 6 31 2 ? *)', 'Invalid Schedule Expression'],
    ['rate(0 minutes)', 'positive integer'],
    ['rate(5 weeks)', 'expected rate('],
    ['at(2026-02-30T06:00:00)', 'no such date'],
    ['every day', 'expected cron(...), rate(...) or at(...)'],
  ])('rejects %s as a ValidationException', (expression, reason) => {
    const attempt = () => parseScheduleExpression(expression, 'UTC');
    expect(attempt).toThrow(ValidationException);
    expect(attempt).toThrow(reason);
  });

  it('rejects an unknown time zone', () => {
    expect(() => parseScheduleExpression('cron(0 6 1 * ? *)', 'Europe/Atlantis')).toThrow(
      new ValidationException('Invalid time zone: Europe/Atlantis.'),
    );
  });
});

describe('rate expressions', () => {
  it('fires every interval counted from the anchor', () => {
    expect(occurrences('rate(15 minutes)', 'UTC', '2026-03-01T10:00:00Z', '2026-03-01T10:50:00Z', '2026-03-01T10:00:00Z')).toEqual([
      '2026-03-01T10:15:00.000Z',
      '2026-03-01T10:30:00.000Z',
      '2026-03-01T10:45:00.000Z',
    ]);
    expect(occurrences('rate(1 day)', 'UTC', '2026-03-05T12:00:00Z', '2026-03-07T00:00:00Z', '2026-03-01T06:00:00Z')).toEqual([
      '2026-03-06T06:00:00.000Z',
    ]);
  });

  it('fires at a future anchor (a start date) itself', () => {
    expect(occurrences('rate(1 hour)', 'UTC', '2026-03-01T00:00:00Z', '2026-03-01T03:30:00Z', '2026-03-01T02:00:00Z')).toEqual([
      '2026-03-01T02:00:00.000Z',
      '2026-03-01T03:00:00.000Z',
    ]);
  });
});

describe('at expressions', () => {
  it('fires once, at the wall-clock time in the time zone', () => {
    expect(occurrences('at(2026-07-01T09:00:00)', 'America/New_York', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')).toEqual([
      '2026-07-01T13:00:00.000Z',
    ]);
    expect(occurrences('at(2026-07-01T09:00:00)', 'America/New_York', '2026-07-01T13:00:00Z', '2027-01-01T00:00:00Z')).toEqual([]);
  });
});
