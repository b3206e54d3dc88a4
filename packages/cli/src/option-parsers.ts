import { InvalidArgumentError } from 'commander';
import * as values from './option-values.js';

/**
 * The checks of option-values.ts as commander argParsers: a value they reject
 * becomes commander's InvalidArgumentError, which commander reports as a usage
 * error (exit 2) naming the option.
 */
function parser<T, Rest extends unknown[]>(check: (value: string, ...rest: Rest) => T): (value: string, ...rest: Rest) => T {
  return (value, ...rest) => {
    try {
      return check(value, ...rest);
    } catch (error) {
      if (error instanceof values.InvalidValueError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

export const integerBetween = (min: number, max: number): ((value: string) => number) => parser(values.integerBetween(min, max));
export const idempotencyKey = parser(values.idempotencyKey);
export const outputPath = parser(values.outputPath);
export const dayOfMonth = parser(values.dayOfMonth);
export const timeOfDay = parser(values.timeOfDay);
export const timeZone = parser(values.timeZone);
export const isoDate = parser(values.isoDate);
export const exportFormat = parser(values.exportFormat);
export const csvDelimiter = parser(values.csvDelimiter);
export const locale = parser(values.locale);
export const clubName = parser(values.clubName);
/** Repeatable: commander passes the list so far, and each use adds to it. */
export const columnList = parser(values.columnList);
export const statusList = parser(values.statusList);
export const eventTypeList = parser(values.eventTypeList);
