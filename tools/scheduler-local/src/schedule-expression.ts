import { CronExpressionParser } from 'cron-parser';
import { translateAwsCron, type TranslatedCron } from './aws-cron';
import { ValidationException } from './errors';

/**
 * A parsed schedule expression: `cron(...)`, `rate(...)` or `at(...)`, in its
 * time zone. Date arithmetic in time zones (DST included) is cron-parser's,
 * which uses luxon; nothing here converts wall-clock times by hand.
 */
export interface ScheduleExpression {
  readonly kind: 'cron' | 'rate' | 'at';
  readonly text: string;
  /**
   * Occurrences in (afterMs, untilMs], ascending, at most `limit` of them.
   * `anchorMs` is where a rate schedule starts counting (its start date, or
   * when it was created or last updated); cron and at ignore it.
   */
  occurrencesBetween(afterMs: number, untilMs: number, anchorMs: number, limit: number): number[];
}

const MINUTE_MS = 60_000;
const RATE_UNITS: Readonly<Record<string, number>> = {
  minute: MINUTE_MS,
  minutes: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  hours: 60 * MINUTE_MS,
  day: 24 * 60 * MINUTE_MS,
  days: 24 * 60 * MINUTE_MS,
};
// The widest offsets from UTC a zone has (UTC+14, UTC-12), plus slack: an instant this far
// outside a local year can never belong to it.
const ZONE_SLACK_MS = 15 * 60 * MINUTE_MS;

/** True when the IANA zone is known to this Node.js (the same database luxon reads). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses and validates an expression like EventBridge Scheduler does on
 * CreateSchedule/UpdateSchedule. Throws ValidationException.
 */
export function parseScheduleExpression(text: string, timeZone = 'UTC'): ScheduleExpression {
  if (!isValidTimeZone(timeZone)) throw new ValidationException(`Invalid time zone: ${timeZone}.`);
  const invalid = (reason: string) => new ValidationException(`Invalid Schedule Expression ${text}: ${reason}.`);
  const match = /^(cron|rate|at)\((.*)\)$/.exec(text.trim());
  if (!match) throw invalid('expected cron(...), rate(...) or at(...)');
  const [, kind, body = ''] = match;
  if (kind === 'rate') return rateExpression(text, body, invalid);
  if (kind === 'at') return atExpression(text, body, timeZone, invalid);
  try {
    return cronExpression(text, translateAwsCron(body), timeZone);
  } catch (error) {
    // InvalidCronError from the AWS grammar check, or cron-parser refusing the translation.
    throw invalid(error instanceof Error ? error.message : String(error));
  }
}

function cronExpression(text: string, cron: TranslatedCron, timeZone: string): ScheduleExpression {
  // Parse once now, so a field cron-parser rejects (e.g. day 31 in February only) fails CreateSchedule.
  CronExpressionParser.parse(cron.expression, { tz: timeZone, currentDate: new Date(0) });
  return {
    kind: 'cron',
    text,
    occurrencesBetween(afterMs, untilMs, _anchorMs, limit) {
      const found: number[] = [];
      if (untilMs <= afterMs || limit <= 0) return found;
      // Without a year field the whole span is one window; with one, each listed year is its own.
      const windows: Array<{ year: number | undefined; from: number; to: number }> = cron.years
        ? cron.years
            .map((year) => ({ year, from: Date.UTC(year, 0, 1) - ZONE_SLACK_MS, to: Date.UTC(year + 1, 0, 1) + ZONE_SLACK_MS }))
            .filter((window) => window.to > afterMs && window.from <= untilMs)
        : [{ year: undefined, from: afterMs, to: untilMs }];
      for (const window of windows) {
        const iterator = CronExpressionParser.parse(cron.expression, {
          tz: timeZone,
          currentDate: new Date(Math.max(afterMs, window.from)),
        });
        for (;;) {
          const candidate = iterator.next();
          const instant = candidate.getTime();
          if (instant > untilMs) return found;
          const year = candidate.getFullYear();
          if (window.year !== undefined && year > window.year) break;
          if (window.year !== undefined && year < window.year) continue;
          if (instant <= afterMs) continue;
          if (cron.dayFilter && !cron.dayFilter(year, candidate.getMonth() + 1, candidate.getDate())) continue;
          found.push(instant);
          if (found.length >= limit) return found;
        }
      }
      return found;
    },
  };
}

function rateExpression(text: string, body: string, invalid: (reason: string) => ValidationException): ScheduleExpression {
  const match = /^(\d+)\s+([a-z]+)$/.exec(body.trim());
  const unit = match ? RATE_UNITS[match[2] ?? ''] : undefined;
  const value = Number(match?.[1]);
  if (!match || unit === undefined) throw invalid('expected rate(<value> minute|minutes|hour|hours|day|days)');
  if (!Number.isSafeInteger(value) || value < 1) throw invalid('the rate value must be a positive integer');
  const intervalMs = value * unit;
  return {
    kind: 'rate',
    text,
    occurrencesBetween(afterMs, untilMs, anchorMs, limit) {
      const found: number[] = [];
      // First k with anchor + k * interval > after (k >= 0: a future start date is itself an occurrence).
      let k = afterMs < anchorMs ? 0 : Math.floor((afterMs - anchorMs) / intervalMs) + 1;
      for (let instant = anchorMs + k * intervalMs; instant <= untilMs && found.length < limit; instant = anchorMs + ++k * intervalMs) {
        found.push(instant);
      }
      return found;
    },
  };
}

function atExpression(text: string, body: string, timeZone: string, invalid: (reason: string) => ValidationException): ScheduleExpression {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body.trim());
  if (!match) throw invalid('expected at(yyyy-mm-ddThh:mm:ss)');
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const naive = Date.UTC(year, month - 1, day, hour, minute, second);
  const asDate = new Date(naive);
  if (asDate.getUTCMonth() !== month - 1 || asDate.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw invalid('no such date or time');
  }
  // The local wall time in the zone, as an instant: the first match of a cron expression for
  // exactly that second, searched from a day before (no zone is more than 14 hours off UTC).
  const candidate = CronExpressionParser.parse(`${second} ${minute} ${hour} ${day} ${month} *`, {
    tz: timeZone,
    currentDate: new Date(naive - ZONE_SLACK_MS - 1000),
  }).next();
  if (candidate.getFullYear() !== year) throw invalid('the time does not exist in the time zone');
  const instant = candidate.getTime();
  return {
    kind: 'at',
    text,
    occurrencesBetween(afterMs, untilMs, _anchorMs, limit) {
      return instant > afterMs && instant <= untilMs && limit > 0 ? [instant] : [];
    },
  };
}
