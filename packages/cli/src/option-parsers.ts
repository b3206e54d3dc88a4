import { InvalidArgumentError } from 'commander';
import * as values from './option-values.js';

/**
 * The checks of option-values.ts as commander argParsers: a value they reject
 * becomes commander's InvalidArgumentError, which commander reports as a usage
 * error (exit 2) naming the option.
 */
function parser<T>(check: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return check(value);
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
