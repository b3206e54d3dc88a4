import { ConfigError } from '../errors';

/**
 * One environment variable, described once: its type (the parser), its
 * default, whether it is required, and what it is for. A service lists its
 * variables in one object (`name → Variable`) that readConfig() parses and
 * that the service's README table is checked against, so the reading, the
 * validation and the documentation cannot drift apart.
 *
 * A default or a bound may depend on variables listed before it (a
 * heartbeat bounded by the visibility timeout, a table named after the users
 * table): it is then a function of the values read so far, and `defaultDoc`
 * says in words what the README says.
 */
export interface Variable<T> {
  /** What the value is, for documentation: `string`, `url`, `integer 1-300`, `one of a, b`... */
  readonly type: string;
  /** What the variable is for. */
  readonly doc: string;
  /** The value when the variable is unset; a function may derive it, or return undefined (then it is required). */
  readonly default?: T | Derived<T | undefined>;
  /** The default in words, when `default` is derived (a function) or set elsewhere. */
  readonly defaultDoc?: string;
  /** Unset is allowed and yields undefined. Without a default and not optional, a variable is required. */
  readonly optional: boolean;
  /** Turns the trimmed, non-empty text into the value; throws a ConfigError whose message names the variable. */
  readonly parse: (raw: string, name: string, values: ReadValues) => T;
}

/** The values of the variables read so far, by name: what a derived default or bound is computed from. */
export type ReadValues = { readonly [name: string]: unknown };

export type Derived<T> = (values: ReadValues) => T;

export type Variables = { readonly [name: string]: Variable<unknown> };

/** The parsed values of a description, by variable name. */
export type ConfigValues<V extends Variables> = { readonly [K in keyof V]: V[K] extends Variable<infer T> ? T : never };

interface Common<T> {
  readonly doc: string;
  readonly default?: T | Derived<T | undefined>;
  readonly defaultDoc?: string;
}
type Optional = { readonly optional: true };

const problem = (message: string): never => {
  throw new ConfigError(message);
};

function variable<T>(type: string, options: Common<T> & { readonly optional?: boolean }, parse: Variable<T>['parse']): Variable<T> {
  return {
    type,
    doc: options.doc,
    ...(options.default !== undefined ? { default: options.default } : {}),
    ...(options.defaultDoc !== undefined ? { defaultDoc: options.defaultDoc } : {}),
    optional: options.optional === true,
    parse,
  };
}

interface StringOptions {
  /** The shape the value must have, and how the error message says it: `must be <description>`. */
  readonly pattern?: { readonly regex: RegExp; readonly description: string };
}

/** Free text (a table name, an address, an ARN with `pattern`). */
export function string(options: Common<string> & StringOptions & Optional): Variable<string | undefined>;
export function string(options: Common<string> & StringOptions): Variable<string>;
export function string(options: Common<string> & StringOptions & { readonly optional?: boolean }): Variable<string | undefined> {
  const pattern = options.pattern;
  return variable('string', options, (raw, name) =>
    pattern && !pattern.regex.test(raw) ? problem(`${name} must be ${pattern.description}, got "${raw}"`) : raw,
  );
}

/** An absolute URL (an endpoint, a queue, a database). */
export function url(options: Common<string> & Optional): Variable<string | undefined>;
export function url(options: Common<string>): Variable<string>;
export function url(options: Common<string> & { readonly optional?: boolean }): Variable<string | undefined> {
  return variable('url', options, (raw, name) => (URL.canParse(raw) ? raw : problem(`${name} must be a URL, got "${raw}"`)));
}

type Bound = number | Derived<number>;

interface IntegerOptions {
  /** Least value (default 0); a function of the variables before it when it depends on them. */
  readonly min?: Bound;
  /** Greatest value (default Number.MAX_SAFE_INTEGER). */
  readonly max?: Bound;
}

/** A whole number within bounds: a port, a count, a duration in a unit its name says. */
export function integer(options: Common<number> & IntegerOptions & Optional): Variable<number | undefined>;
export function integer(options: Common<number> & IntegerOptions): Variable<number>;
export function integer(options: Common<number> & IntegerOptions & { readonly optional?: boolean }): Variable<number | undefined> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  const bound = (value: Bound, values: ReadValues) => (typeof value === 'function' ? value(values) : value);
  const type = typeof min === 'number' && typeof max === 'number' ? `integer ${min}-${max}` : 'integer';
  return variable(type, options, (raw, name, values) => {
    const [least, most] = [bound(min, values), bound(max, values)];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < least || value > most) {
      return problem(`${name} must be an integer between ${least} and ${most}, got "${raw}"`);
    }
    return value;
  });
}

/** One of a fixed set of words (a log level, a clock kind). */
export function oneOf<const W extends string>(
  words: readonly W[],
  options: Common<W> & { readonly message?: (raw: string, name: string) => string },
): Variable<W> {
  const message = options.message ?? ((raw, name) => `${name} must be one of ${words.join(', ')}, got "${raw}"`);
  return variable(`one of ${words.join(', ')}`, options, (raw, name) =>
    (words as readonly string[]).includes(raw) ? (raw as W) : problem(message(raw, name)),
  );
}

/**
 * A comma-separated list; blank entries are dropped. `item` checks (and may
 * convert) each entry, throwing a ConfigError that names the variable.
 */
export function list<T = string>(
  options: Common<readonly T[]> & { readonly item?: (entry: string, name: string) => T },
): Variable<readonly T[]> {
  const item = options.item ?? ((entry: string) => entry as T);
  return variable('comma-separated list', options, (raw, name) =>
    raw
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => item(entry, name)),
  );
}

/** Any other shape (JSON, a date, a union of forms): `parse` converts the text or throws a ConfigError naming the variable. */
export function custom<T>(
  options: Common<T> & Optional & { readonly type: string; readonly parse: (raw: string, name: string) => T },
): Variable<T | undefined>;
export function custom<T>(options: Common<T> & { readonly type: string; readonly parse: (raw: string, name: string) => T }): Variable<T>;
export function custom<T>(
  options: Common<T> & { readonly optional?: boolean; readonly type: string; readonly parse: (raw: string, name: string) => T },
): Variable<T | undefined> {
  return variable(options.type, options, (raw, name) => options.parse(raw, name));
}

/** The same variables with some left out (a script that needs part of a service's configuration). */
export function pick<V extends Variables, K extends keyof V>(variables: V, names: readonly K[]): Pick<V, K> {
  const picked = {} as Pick<V, K>;
  for (const name of names) picked[name] = variables[name];
  return picked;
}
