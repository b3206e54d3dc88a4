import { DomainError } from '../errors';
import type { ExportOptions } from '../exports/export-options';

/**
 * A monthly export subscription: on `dayOfMonth` at `timeOfDay` in
 * `timeZone`, EventBridge Scheduler puts an `export.scheduled` message on the
 * export queue (see scheduleTargetInput) and the worker turns it into one
 * export job. The record in DynamoDB is the source of truth; the Scheduler's
 * schedule (named schedulerScheduleName(id)) is derived from it.
 */
export const SCHEDULE_STATES = ['active', 'paused'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** When a schedule fires: the part of the record the user chooses. */
export interface ScheduleTiming {
  /** 1–28, so that every month has the day. */
  readonly dayOfMonth: number;
  /** Local wall-clock time, `HH:MM` on a 24-hour clock. */
  readonly timeOfDay: string;
  /** IANA time zone name, e.g. `Europe/Berlin`. */
  readonly timeZone: string;
}

export interface ExportSchedule extends ScheduleTiming {
  /** UUID. */
  readonly id: string;
  readonly userId: string;
  readonly state: ScheduleState;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Nominal (not window-shifted) time of the last tick whose export succeeded. */
  readonly lastFiredAt?: string | undefined;
  /** 1 on creation, incremented by every change the user makes (optimistic concurrency). */
  readonly version: number;
  /**
   * The options of every export it starts, complete (parseExportOptions).
   * Absent on schedules made before options existed: the defaults
   * (exportOptionsOf reads it for both).
   */
  readonly options?: ExportOptions | undefined;
}

/** What a user expects when they only say "monthly": the 1st, early morning, UTC. */
export const SCHEDULE_DEFAULTS: ScheduleTiming = Object.freeze({ dayOfMonth: 1, timeOfDay: '06:00', timeZone: 'UTC' });

/** How many schedules one user may have (the API's SCHEDULES_PER_USER default). */
export const DEFAULT_SCHEDULES_PER_USER = 5;

/** A field of a schedule that failed validation, in the record's own field names. */
export interface ScheduleProblem {
  readonly field: keyof ScheduleTiming | 'state';
  readonly message: string;
}

/** The requested schedule is not valid; `problems` says what to fix, one entry per field. */
export class InvalidScheduleError extends DomainError {
  constructor(readonly problems: readonly ScheduleProblem[]) {
    super('invalid_schedule', `Invalid schedule: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}.`);
  }
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** Area/Location names and aliases (`UTC`, `Etc/GMT+5`, `America/Argentina/Buenos_Aires`); rejects offsets like `+01:00`. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

export function isValidDayOfMonth(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 28;
}

export function isValidTimeOfDay(value: unknown): value is string {
  return typeof value === 'string' && TIME_OF_DAY.test(value);
}

export function isValidTimeZone(value: unknown): value is string {
  return normalizeTimeZone(value) !== undefined;
}

let knownZones: Map<string, string> | undefined;

/**
 * The zone's canonical spelling, or undefined when it is not a time zone
 * this runtime knows. Names are matched case-insensitively (`europe/berlin`
 * → `Europe/Berlin`), because EventBridge Scheduler is case-sensitive; an
 * alias is kept as given (`Asia/Kolkata` stays, though ICU calls it
 * `Asia/Calcutta`), since the user chose it and the Scheduler knows it too.
 */
export function normalizeTimeZone(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  if (!ZONE_NAME.test(name)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  if (resolved.toLowerCase() === name.toLowerCase()) return resolved;
  knownZones ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return knownZones.get(name.toLowerCase()) ?? name;
}

/**
 * Validates a schedule's timing, fills in SCHEDULE_DEFAULTS for what is
 * missing, and returns it with the zone's canonical spelling. Throws
 * InvalidScheduleError listing every problem at once.
 */
export function validateScheduleTiming(input: Partial<Record<keyof ScheduleTiming, unknown>>): ScheduleTiming {
  const problems: ScheduleProblem[] = [];
  const dayOfMonth = input.dayOfMonth ?? SCHEDULE_DEFAULTS.dayOfMonth;
  const timeOfDay = input.timeOfDay ?? SCHEDULE_DEFAULTS.timeOfDay;
  const timeZone = normalizeTimeZone(input.timeZone ?? SCHEDULE_DEFAULTS.timeZone);
  if (!isValidDayOfMonth(dayOfMonth)) {
    problems.push({ field: 'dayOfMonth', message: 'must be a whole number from 1 to 28' });
  }
  if (!isValidTimeOfDay(timeOfDay)) {
    problems.push({ field: 'timeOfDay', message: 'must be a 24-hour time HH:MM from 00:00 to 23:59' });
  }
  if (timeZone === undefined) {
    problems.push({ field: 'timeZone', message: 'must be an IANA time zone name such as Europe/Berlin or UTC' });
  }
  if (problems.length > 0) throw new InvalidScheduleError(problems);
  return { dayOfMonth: dayOfMonth as number, timeOfDay: timeOfDay as string, timeZone: timeZone! };
}

/** A user's change to a schedule: any of the timing fields, the export options (replaced whole), and/or pause (`paused`) or resume (`active`). */
export interface ScheduleChanges {
  readonly dayOfMonth?: number | undefined;
  readonly timeOfDay?: string | undefined;
  readonly timeZone?: string | undefined;
  readonly state?: ScheduleState | undefined;
  readonly options?: ExportOptions | undefined;
}

/**
 * The record after `changes`, validated, with `version` + 1 and `updatedAt`
 * = `now`. The API uses it to send the Scheduler the full new definition
 * before it writes the record (ScheduleStore.update writes the same values).
 */
export function applyScheduleChanges(schedule: ExportSchedule, changes: ScheduleChanges, now: Date = new Date()): ExportSchedule {
  const timing = validateScheduleTiming({
    dayOfMonth: changes.dayOfMonth ?? schedule.dayOfMonth,
    timeOfDay: changes.timeOfDay ?? schedule.timeOfDay,
    timeZone: changes.timeZone ?? schedule.timeZone,
  });
  const state = changes.state ?? schedule.state;
  if (!SCHEDULE_STATES.includes(state)) {
    throw new InvalidScheduleError([{ field: 'state', message: `must be one of ${SCHEDULE_STATES.join(', ')}` }]);
  }
  const options = changes.options ?? schedule.options;
  return { ...schedule, ...timing, state, ...(options ? { options } : {}), updatedAt: now.toISOString(), version: schedule.version + 1 };
}

/** EventBridge Scheduler expression: `cron(minutes hours day-of-month month day-of-week year)`, evaluated in the schedule's zone. */
export function scheduleExpression(schedule: Pick<ScheduleTiming, 'dayOfMonth' | 'timeOfDay'>): string {
  const { hours, minutes } = splitTimeOfDay(schedule.timeOfDay);
  return `cron(${minutes} ${hours} ${schedule.dayOfMonth} * ? *)`;
}

/** Name of the Scheduler schedule of an export subscription (in the schedule group `resourceNames().scheduleGroup`). */
export function schedulerScheduleName(scheduleId: string): string {
  return `export-${scheduleId}`;
}

/** The contract's name for schedulerScheduleName. */
export const schedulerName = schedulerScheduleName;

/** The schedule id in a Scheduler schedule name, or undefined when the name is not one of ours. */
export function scheduleIdFromSchedulerName(name: string): string | undefined {
  return name.startsWith('export-') && name.length > 'export-'.length ? name.slice('export-'.length) : undefined;
}

/**
 * The Scheduler target's Input: an `export.scheduled` v1 message (messages.ts)
 * as a template, whose `<aws.scheduler.…>` placeholders the Scheduler
 * replaces with the nominal time and execution id of each tick.
 */
export function scheduleTargetInput(schedule: Pick<ExportSchedule, 'id' | 'userId'>): string {
  return JSON.stringify({
    type: 'export.scheduled',
    version: 1,
    scheduleId: schedule.id,
    userId: schedule.userId,
    scheduledTime: '<aws.scheduler.scheduled-time>',
    executionId: '<aws.scheduler.execution-id>',
  });
}

/**
 * The export job id of one tick: `sched-<scheduleId>-<yyyyMMddTHHmmZ>` (UTC,
 * to the minute, as the Scheduler's nominal times are). Every delivery of
 * the tick, whatever its execution id, maps to the same job, so a duplicate
 * creates nothing.
 */
export function scheduledJobId(scheduleId: string, scheduledTime: string | Date): string {
  const time = typeof scheduledTime === 'string' ? new Date(scheduledTime) : scheduledTime;
  if (Number.isNaN(time.getTime())) throw new RangeError(`scheduledTime is not a valid time: ${String(scheduledTime)}`);
  const iso = time.toISOString(); // 2026-12-01T05:00:00.000Z
  return `sched-${scheduleId}-${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

/**
 * The next instant after `from` at which the schedule fires: `dayOfMonth`
 * at `timeOfDay` local time in `timeZone`, whatever that zone's UTC offset
 * is on that day. Follows EventBridge Scheduler across daylight-saving
 * changes: a local time that does not exist that day (skipped by a spring
 * change) is skipped, so the next month's is returned; a local time that
 * exists twice (autumn change) fires once, at the first of the two.
 * A paused schedule has no next run; callers decide what to show for it.
 */
export function nextRunAt(schedule: ScheduleTiming, from: Date = new Date()): Date {
  const { hours, minutes } = splitTimeOfDay(schedule.timeOfDay);
  const start = wallClockFields(from.getTime(), schedule.timeZone);
  // The occurrence in `from`'s local month may be past; a skipped local time pushes it a month further.
  for (let month = 0; month < 24; month += 1) {
    const year = start.year + Math.floor((start.month - 1 + month) / 12);
    const monthOfYear = ((start.month - 1 + month) % 12) + 1;
    const instant = zonedTimeToUtc({ year, month: monthOfYear, day: schedule.dayOfMonth, hour: hours, minute: minutes }, schedule.timeZone);
    if (instant !== undefined && instant > from.getTime()) return new Date(instant);
  }
  // Unreachable for a real zone: it would take two years of skipped local times.
  throw new RangeError(`No run of ${scheduleExpression(schedule)} in ${schedule.timeZone} within two years of ${from.toISOString()}`);
}

function splitTimeOfDay(timeOfDay: string): { hours: number; minutes: number } {
  const match = TIME_OF_DAY.exec(timeOfDay);
  if (!match) throw new InvalidScheduleError([{ field: 'timeOfDay', message: 'must be a 24-hour time HH:MM from 00:00 to 23:59' }]);
  return { hours: Number(match[1]), minutes: Number(match[2]) };
}

/** A local wall-clock time in some zone, to the minute. */
export interface LocalFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Wall-clock fields of `instant` (epoch milliseconds) in `timeZone`, a zone
 * Intl knows: what a clock there shows. The CLI prints schedules' times with it.
 */
export function wallClockFields(instant: number, timeZone: string): LocalFields & { second: number } {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year!,
    month: fields.month!,
    day: fields.day!,
    hour: fields.hour!,
    minute: fields.minute!,
    second: fields.second!,
  };
}

/** The zone's offset from UTC at `instant`, in milliseconds (east positive). */
function offsetAt(instant: number, timeZone: string): number {
  const local = wallClockFields(instant, timeZone);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The UTC instant of a local wall-clock time, or undefined when that time
 * does not exist in the zone (a daylight-saving gap). Each offset the zone
 * uses within a day and a half either side is tried; a time that exists
 * twice (an overlap) gives the earlier instant.
 */
function zonedTimeToUtc(local: LocalFields, timeZone: string): number | undefined {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const window = 36 * 3600 * 1000;
  const offsets = new Set([offsetAt(wall - window, timeZone), offsetAt(wall, timeZone), offsetAt(wall + window, timeZone)]);
  const instants = [...offsets].map((offset) => wall - offset).filter((instant) => offsetAt(instant, timeZone) === wall - instant);
  return instants.length > 0 ? Math.min(...instants) : undefined;
}
