import { InvalidArgumentError } from 'commander';

/** commander argParser for an integer within bounds; a bad value is a usage error (exit 2). */
export function integerBetween(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** Same rules as the API: 1–200 characters of A-Z a-z 0-9 _ . : - */
export function idempotencyKey(value: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,200}$/.test(value)) {
    throw new InvalidArgumentError('Use 1-200 characters of A-Z, a-z, 0-9, _ . : -');
  }
  return value;
}

/** A non-empty path, `-` meaning stdout where the command says so. */
export function outputPath(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('Give a file path.');
  return value;
}
