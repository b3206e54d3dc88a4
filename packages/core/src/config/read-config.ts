import { ConfigError } from '../errors';
import type { ConfigValues, ReadValues, Variable, Variables } from './variables';

/**
 * What a check across variables sees: every value, undefined where the
 * variable itself had a problem (already reported) and has no default.
 */
export type CheckedValues<V extends Variables> = { readonly [K in keyof V]: ConfigValues<V>[K] | undefined };

/**
 * A rule no single variable can state (two keys set together, two role names
 * that must differ, a key pair that must match). Returns its problems, if
 * any; it may also state a problem that is not about a variable at all (a
 * command-line argument), so that one error still lists everything.
 */
export type ConfigCheck<V extends Variables> = (values: CheckedValues<V>) => string | readonly string[] | undefined;

/**
 * Parses every variable of a description against `env`, in the order they
 * are listed (a derived default or bound sees the ones before it), then runs
 * the checks, and throws one ConfigError listing every problem, so that a
 * misconfigured deployment is fixed in one go. Unset and blank are the same;
 * values are trimmed. Each variable is looked up in `env` exactly once, even
 * when it has a default (a test can record which variables are read).
 */
export function readConfig<V extends Variables>(
  variables: V,
  env: NodeJS.ProcessEnv,
  checks: readonly ConfigCheck<V>[] = [],
): ConfigValues<V> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(variables)) {
    values[name] = readVariable(name, variable, env[name]?.trim(), values, problems);
  }
  for (const check of checks) {
    const found = check(values as CheckedValues<V>);
    if (typeof found === 'string') problems.push(found);
    else if (found) problems.push(...found);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return values as ConfigValues<V>;
}

function readVariable(name: string, variable: Variable<unknown>, raw: string | undefined, values: ReadValues, problems: string[]): unknown {
  const fallback =
    typeof variable.default === 'function' ? (variable.default as (values: ReadValues) => unknown)(values) : variable.default;
  if (!raw) {
    if (fallback === undefined && !variable.optional) problems.push(`${name} is required`);
    return fallback;
  }
  try {
    return variable.parse(raw, name, values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(error.message);
    return fallback;
  }
}
