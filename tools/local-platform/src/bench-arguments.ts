import { parseArgs } from 'node:util';

/**
 * The benchmarks' command lines (`npm run bench`, `bench:peak`, `bench:api`):
 * every option declared once, with its help line, so that `--help` prints
 * them and exits, and a mistyped or unknown option, a missing value or a value
 * out of range stops the run before it starts (a benchmark takes minutes: a
 * typo must not run the defaults silently).
 */

export class BenchArgumentError extends Error {
  override readonly name = 'BenchArgumentError';
}

/** A number option: `--name N`. Without a default it reads `undefined` when not given (the caller derives one). */
export interface NumberOption {
  readonly type: 'number';
  readonly default?: number;
  /** True when the value is allowed. */
  readonly valid: (value: number) => boolean;
  /** What `valid` allows, for the error: "a positive integer". */
  readonly what: string;
  readonly help: string;
}

/** A switch: `--name`, false unless given. */
export interface FlagOption {
  readonly type: 'flag';
  readonly help: string;
}

/** A value the caller parses itself: `--name VALUE`, `undefined` unless given. */
export interface TextOption {
  readonly type: 'text';
  /** How the value looks in the help: "dynamodb=5,sqs=10". */
  readonly placeholder: string;
  readonly help: string;
}

export type BenchOption = NumberOption | FlagOption | TextOption;
export type BenchOptions = Readonly<Record<string, BenchOption>>;

export interface BenchCommand<Options extends BenchOptions> {
  /** How it is run, first line of the help: "npm run bench:peak -- [options]". */
  readonly usage: string;
  /** What it measures, in a sentence or two. */
  readonly summary: string;
  /** Keys are the option names without the leading dashes. */
  readonly options: Options;
}

type ValueOf<Option extends BenchOption> = Option extends FlagOption
  ? boolean
  : Option extends NumberOption
    ? Option extends { readonly default: number }
      ? number
      : number | undefined
    : string | undefined;

export type BenchArguments<Options extends BenchOptions> = { readonly [Name in keyof Options]: ValueOf<Options[Name]> };

/** `--help`: the caller prints `benchUsage` and exits 0. */
export const HELP = Symbol('help');

export const positiveInteger = { valid: (value: number) => Number.isInteger(value) && value >= 1, what: 'a positive integer' } as const;
export const nonNegativeInteger = {
  valid: (value: number) => Number.isInteger(value) && value >= 0,
  what: 'a non-negative integer',
} as const;

/**
 * The options in `argv` (without node and the script), checked against the
 * command's: `HELP` when `--help` or `-h` is among them, else every option's
 * value (its default when not given). Throws BenchArgumentError, with a hint
 * at `--help`, on anything else.
 */
export function parseBenchArguments<Options extends BenchOptions>(
  argv: readonly string[],
  command: BenchCommand<Options>,
): BenchArguments<Options> | typeof HELP {
  if (argv.includes('--help') || argv.includes('-h')) return HELP;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, option]) => [name, { type: option.type === 'flag' ? 'boolean' : 'string' }]),
      ) as Record<string, { type: 'boolean' | 'string' }>,
    }));
  } catch (error) {
    // parseArgs's first line says what is wrong; some Node versions put "TypeError [CODE]: " before it.
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/^\w*Error \[\w+\]: /, '');
    throw new BenchArgumentError(`${first} (see --help)`);
  }
  const parsed: Record<string, number | boolean | string | undefined> = {};
  for (const [name, option] of Object.entries(command.options)) {
    const given = values[name];
    if (option.type === 'flag') {
      parsed[name] = given === true;
    } else if (option.type === 'text') {
      parsed[name] = given as string | undefined;
    } else if (given === undefined) {
      parsed[name] = option.default;
    } else {
      const value = (given as string).trim() === '' ? Number.NaN : Number(given);
      if (!option.valid(value)) throw new BenchArgumentError(`--${name} needs ${option.what}, got '${String(given)}' (see --help)`);
      parsed[name] = value;
    }
  }
  return parsed as BenchArguments<Options>;
}

/**
 * What a benchmark prints on stderr for the error that stopped it: a bad
 * command line is the user's to mend, so its message alone; anything else
 * with its stack.
 */
export function benchErrorText(error: unknown): string {
  if (error instanceof BenchArgumentError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** The help text: usage, summary, and one line per option with its default. */
export function benchUsage(command: BenchCommand<BenchOptions>): string {
  const rows = Object.entries(command.options).map(([name, option]) => {
    const left = option.type === 'flag' ? `--${name}` : `--${name} ${option.type === 'text' ? option.placeholder : 'N'}`;
    const fallback = option.type === 'number' && option.default !== undefined ? ` (default ${option.default})` : '';
    return [left, `${option.help}${fallback}`] as const;
  });
  rows.push(['-h, --help', 'print this and exit']);
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
  ].join('\n');
}
