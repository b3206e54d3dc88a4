/**
 * What the CLI accepts as option values, checked without commander: these run
 * in the unit tests (CommonJS under jest, where commander 15, an ES module
 * only, cannot be loaded) and are wrapped for commander in option-parsers.ts.
 * Where the API has a rule (idempotency keys, time zones), the check is the
 * contract's own, so the CLI cannot accept what the API refuses or refuse
 * what it accepts.
 */
import { isIdempotencyKey, normalizeTimeZone } from '@memberships/core/contract';

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
