/**
 * AWS cron expressions, `cron(minutes hours day-of-month month day-of-week year)`,
 * checked against the AWS grammar and translated into what cron-parser
 * evaluates. The two dialects differ where it matters:
 * - AWS numbers the days of the week 1-7 from Sunday; cron-parser 0-6.
 * - AWS has a year field; cron-parser has none, so years are matched here.
 * - AWS requires `?` in exactly one of day-of-month and day-of-week.
 * - AWS `W` (nearest weekday) is unknown to cron-parser: the day-of-month
 *   becomes `*` and each candidate day is checked here.
 * - `L` alone in day-of-week means Saturday in AWS.
 */

export interface TranslatedCron {
  /** Six cron-parser fields: `0 <min> <hour> <dom> <month> <dow>` (seconds always 0). */
  readonly expression: string;
  /** Years (local to the schedule's time zone) an occurrence may fall in, ascending; undefined: any year. */
  readonly years: readonly number[] | undefined;
  /** Extra day test (month 1-12, local calendar) for `W` day-of-month; undefined: every day cron-parser yields. */
  readonly dayFilter: ((year: number, month: number, day: number) => boolean) | undefined;
}

/** Why an expression is not a valid AWS cron expression. */
export class InvalidCronError extends Error {}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The years AWS accepts in the year field. */
export const YEAR_RANGE = { min: 1970, max: 2199 } as const;

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS = {
  minutes: { name: 'minutes', min: 0, max: 59 },
  hours: { name: 'hours', min: 0, max: 23 },
  dayOfMonth: { name: 'day-of-month', min: 1, max: 31 },
  month: { name: 'month', min: 1, max: 12, names: MONTHS },
  dayOfWeek: { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS },
  year: { name: 'year', min: YEAR_RANGE.min, max: YEAR_RANGE.max },
} as const satisfies Record<string, FieldSpec>;

/** Parses the inside of `cron(...)`. Throws InvalidCronError with the reason. */
export function translateAwsCron(body: string): TranslatedCron {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6)
    throw new InvalidCronError(`expected 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts.map((part) => part.toUpperCase()) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];

  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw new InvalidCronError('exactly one of day-of-month and day-of-week must be ?');
  }
  const dom = translateDayOfMonth(dayOfMonth);
  return {
    expression: [
      '0',
      translateList(minutes, FIELDS.minutes),
      translateList(hours, FIELDS.hours),
      dom.field,
      translateList(month, FIELDS.month),
      translateDayOfWeek(dayOfWeek),
    ].join(' '),
    years: year === '*' ? undefined : expandYears(year),
    dayFilter: dom.filter,
  };
}

/** `*`, `*\/S`, `V`, `V-V`, `V/S`, `V-V/S` items, comma separated; names resolved to numbers. */
function translateList(field: string, spec: FieldSpec, mapValue: (value: number) => number = (value) => value): string {
  return splitList(field, spec)
    .map((item) => translateItem(item, spec, mapValue))
    .join(',');
}

function splitList(field: string, spec: FieldSpec): string[] {
  const items = field.split(',');
  if (items.some((item) => item === '')) throw new InvalidCronError(`empty item in ${spec.name} field "${field}"`);
  return items;
}

function translateItem(item: string, spec: FieldSpec, mapValue: (value: number) => number): string {
  const match = /^(\*|[0-9A-Z]+(?:-[0-9A-Z]+)?)(?:\/(\d+))?$/.exec(item);
  if (!match) throw new InvalidCronError(`invalid ${spec.name} value "${item}"`);
  const [, base = '', stepText] = match;
  if (stepText !== undefined && (Number(stepText) < 1 || Number(stepText) > spec.max)) {
    throw new InvalidCronError(`invalid step "${stepText}" in ${spec.name} field`);
  }
  const step = stepText === undefined ? '' : `/${stepText}`;
  if (base === '*') {
    // An explicit range keeps the step anchored where AWS anchors it (the field's first value).
    return step ? `${mapValue(spec.min)}-${mapValue(spec.max)}${step}` : '*';
  }
  const [from, to] = base.split('-').map((text) => mapValue(fieldValue(text, spec))) as [number, number | undefined];
  if (to !== undefined && to < from) throw new InvalidCronError(`range "${item}" in ${spec.name} field runs backwards`);
  if (to !== undefined) return `${from}-${to}${step}`;
  // `V/S` means from V to the end of the field, every S.
  return step ? `${from}-${mapValue(spec.max)}${step}` : String(from);
}

function fieldValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text) ?? -1;
  const value = named >= 0 ? named + spec.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new InvalidCronError(`${spec.name} value "${text}" is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function translateDayOfMonth(field: string): { field: string; filter: TranslatedCron['dayFilter'] } {
  if (field === '?') return { field: '*', filter: undefined };
  if (field === 'L') return { field: 'L', filter: undefined };
  if (field === 'LW') return { field: '*', filter: (year, month, day) => day === lastWeekdayOfMonth(year, month) };
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) {
    const target = fieldValue(weekday[1] ?? '', FIELDS.dayOfMonth);
    return { field: '*', filter: (year, month, day) => day === nearestWeekday(year, month, target) };
  }
  if (/[LW]/.test(field)) throw new InvalidCronError(`L and W in day-of-month stand alone ("L", "LW", "15W"), got "${field}"`);
  return { field: translateList(field, FIELDS.dayOfMonth), filter: undefined };
}

function translateDayOfWeek(field: string): string {
  if (field === '?') return '*';
  // AWS: `L` alone is the last day of the week, Saturday.
  if (field === 'L') return '6';
  const toCronParser = (value: number) => value - 1;
  return splitList(field, FIELDS.dayOfWeek)
    .map((item) => {
      const last = /^([0-9A-Z]+)L$/.exec(item);
      if (last) return `${toCronParser(fieldValue(last[1] ?? '', FIELDS.dayOfWeek))}L`;
      const nth = /^([0-9A-Z]+)#(\d)$/.exec(item);
      if (nth) {
        const occurrence = Number(nth[2]);
        if (occurrence < 1 || occurrence > 5) throw new InvalidCronError(`"${item}": the occurrence after # must be 1-5`);
        return `${toCronParser(fieldValue(nth[1] ?? '', FIELDS.dayOfWeek))}#${occurrence}`;
      }
      return translateItem(item, FIELDS.dayOfWeek, toCronParser);
    })
    .join(',');
}

function expandYears(field: string): number[] {
  const years = new Set<number>();
  for (const item of splitList(field, FIELDS.year)) {
    const translated = translateItem(item, FIELDS.year, (value) => value);
    const [range = '', stepText] = translated.split('/');
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    const step = stepText === undefined ? 1 : Number(stepText);
    for (let year = from; year <= to; year += step) years.add(year);
  }
  return [...years].sort((a, b) => a - b);
}

// Calendar arithmetic on a local date (no time zone involved): Date.UTC is only used as a calendar.
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** AWS `NW`: the weekday (Mon-Fri) nearest to day N, never crossing into another month. */
export function nearestWeekday(year: number, month: number, target: number): number | undefined {
  const last = daysInMonth(year, month);
  if (target > last) return undefined;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function lastWeekdayOfMonth(year: number, month: number): number {
  const last = daysInMonth(year, month);
  const weekday = weekdayOf(year, month, last);
  return weekday === 6 ? last - 1 : weekday === 0 ? last - 2 : last;
}
