/**
 * What the CLI accepts as option values, checked without commander: these run
 * in the unit tests (CommonJS under jest, where commander 15, an ES module
 * only, cannot be loaded) and are wrapped for commander in option-parsers.ts.
 * Where the API has a rule (idempotency keys, time zones), the check is the
 * contract's own, so the CLI cannot accept what the API refuses or refuse
 * what it accepts.
 */
import {
  type CsvDelimiter,
  EXPORT_COLUMN_NAMES,
  EXPORT_FORMATS,
  type ExportFormat,
  isIdempotencyKey,
  isIsoDate,
  MAX_CLUB_NAME_LENGTH,
  MEMBERSHIP_STATUSES,
  normalizeTimeZone,
  WEBHOOK_EVENT_TYPES,
} from '@memberships/core/contract';

/** A value an option does not accept; the message says what it does accept. */
export class InvalidValueError extends Error {
  override readonly name = 'InvalidValueError';
}

/** An integer within bounds. */
export function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidValueError(`Expected a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** The API's rule: 1–200 characters of A-Z a-z 0-9 _ . : - */
export function idempotencyKey(value: string): string {
  if (!isIdempotencyKey(value)) {
    throw new InvalidValueError('Use 1-200 characters of A-Z, a-z, 0-9, _ . : -');
  }
  return value;
}

/** A non-empty path, `-` meaning stdout where the command says so. */
export function outputPath(value: string): string {
  if (!value.trim()) throw new InvalidValueError('Give a file path.');
  return value;
}

/** Days 1–28 only, as the API allows: every month has them, so a schedule never skips a month. */
export function dayOfMonth(value: string): number {
  try {
    return integerBetween(1, 28)(value);
  } catch {
    throw new InvalidValueError('Expected a day of the month from 1 to 28 (days every month has).');
  }
}

const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** A 24-hour local time, `HH:MM`; `6:30` is taken as `06:30`, the form the API stores. */
export function timeOfDay(value: string): string {
  const match = TIME_OF_DAY.exec(value.trim());
  if (!match) throw new InvalidValueError('Expected a 24-hour time HH:MM from 00:00 to 23:59, e.g. 06:00 or 18:30.');
  return `${match[1]!.padStart(2, '0')}:${match[2]}`;
}

/**
 * --time-zone: an IANA zone name this machine knows, spelled as the zone
 * database spells it (`europe/berlin` → `Europe/Berlin`), as the API stores it.
 */
export function timeZone(value: string): string {
  const zone = normalizeTimeZone(value);
  if (!zone) throw new InvalidValueError('Expected an IANA time zone name such as Europe/Berlin, America/New_York or UTC.');
  return zone;
}

/**
 * A comma-separated list, accumulated over repeated flags
 * (`--status active,paused` or `--status active --status paused`), each
 * item one of `allowed`, each once. Empty items are refused, not skipped: a
 * stray comma is more likely a typo than a wish.
 */
function listOf<T extends string>(allowed: readonly T[], what: string): (value: string, previous?: readonly T[]) => T[] {
  return (value, previous = []) => {
    const items = value.split(',').map((item) => item.trim());
    const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (unknown.length > 0) {
      const named = unknown.map((item) => (item ? `"${item}"` : 'an empty item')).join(', ');
      throw new InvalidValueError(`Unknown ${what} ${named}; choose from ${allowed.join(', ')} (comma-separated).`);
    }
    const all = [...previous, ...(items as T[])];
    const twice = all.filter((item, index) => all.indexOf(item) !== index);
    if (twice.length > 0) throw new InvalidValueError(`${[...new Set(twice)].join(', ')} given more than once.`);
    return all;
  };
}

/** --columns: the export's columns in the order given. */
export const columnList = listOf(EXPORT_COLUMN_NAMES, 'column');
/** --status: membership states. */
export const statusList = listOf(MEMBERSHIP_STATUSES, 'status');
/** --events: completion event types (`export.succeeded,export.failed`). */
export const eventTypeList = listOf(WEBHOOK_EVENT_TYPES, 'event type');

/** A calendar day YYYY-MM-DD, the contract's check (no 2026-02-30). */
export function isoDate(value: string): string {
  const day = value.trim();
  if (!isIsoDate(day)) throw new InvalidValueError('Expected a day YYYY-MM-DD, e.g. 2026-01-31.');
  return day;
}

/** --format: csv, xlsx or jsonl. */
export function exportFormat(value: string): ExportFormat {
  const format = value.trim().toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new InvalidValueError(`Expected one of ${EXPORT_FORMATS.join(', ')}.`);
  return format as ExportFormat;
}

const DELIMITERS: Readonly<Record<string, CsvDelimiter>> = {
  comma: ',',
  ',': ',',
  semicolon: ';',
  ';': ';',
  tab: '\t',
  '\t': '\t',
  '\\t': '\t',
};

/** --delimiter: comma, semicolon or tab, by name or as the character itself. */
export function csvDelimiter(value: string): CsvDelimiter {
  const delimiter = DELIMITERS[value.trim().toLowerCase()] ?? DELIMITERS[value];
  if (!delimiter) throw new InvalidValueError('Expected comma, semicolon or tab (or , ;).');
  return delimiter;
}

const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** --locale: a BCP 47 tag this machine's Intl knows, such as de-DE or en-GB. */
export function locale(value: string): string {
  const tag = value.trim();
  if (!LOCALE.test(tag)) throw new InvalidValueError('Expected a locale such as de-DE, fr-CH or en-GB.');
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    throw new InvalidValueError('Expected a locale such as de-DE, fr-CH or en-GB.');
  }
}

/** --club: the club's exact name, as stored. */
export function clubName(value: string): string {
  if (!value.trim()) throw new InvalidValueError('Give the club name.');
  if (value.length > MAX_CLUB_NAME_LENGTH) throw new InvalidValueError(`Club names are at most ${MAX_CLUB_NAME_LENGTH} characters.`);
  return value;
}
