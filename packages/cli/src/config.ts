import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Everything the CLI takes from its environment, read once here (nothing else
 * reads process.env):
 *
 * | variable                | meaning                                                              | default                  |
 * |-------------------------|----------------------------------------------------------------------|--------------------------|
 * | MEMBERSHIPS_API_URL     | API to talk to, unless `--api-url` is given                           | config file, then http://127.0.0.1:3000 |
 * | MEMBERSHIPS_CONFIG_DIR  | where config.json and credentials.json live                           | $XDG_CONFIG_HOME/memberships, else ~/.config/memberships |
 * | XDG_CONFIG_HOME         | base of the user's config directories                                 | ~/.config                |
 * | NO_COLOR                | any non-empty value turns colour off                                  | unset                    |
 * | MEMBERSHIPS_DEBUG       | `1` prints stack traces of unexpected errors                          | unset                    |
 * | CI                      | set (and not `false` or `0`): never ask anything, even on a terminal   | unset                    |
 * | TZ                      | your time zone, for showing times and as `schedule create`'s default (read by Node's Intl) | the system's zone |
 */
export interface CliEnvironment {
  readonly apiUrl: string | undefined;
  readonly configDir: string;
  readonly noColor: boolean;
  readonly debug: boolean;
  /** In CI (CI set, as CI services do): nobody answers questions, even when a job runs under a pseudo-terminal. */
  readonly ci: boolean;
  /**
   * This machine's IANA time zone as Node's Intl resolves it (TZ, else the
   * system setting), or undefined when it has no usable name. Times are shown
   * in it, and `schedule create` uses it when no --time-zone is given.
   */
  readonly localTimeZone: string | undefined;
}

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): CliEnvironment {
  const nonEmpty = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const configBase = nonEmpty('XDG_CONFIG_HOME') ?? join(nonEmpty('HOME') ?? homedir(), '.config');
  return Object.freeze({
    apiUrl: nonEmpty('MEMBERSHIPS_API_URL'),
    configDir: nonEmpty('MEMBERSHIPS_CONFIG_DIR') ?? join(configBase, 'memberships'),
    // https://no-color.org: present and not empty.
    noColor: Boolean(env.NO_COLOR),
    debug: env.MEMBERSHIPS_DEBUG === '1' || env.MEMBERSHIPS_DEBUG === 'true',
    ci: !['', 'false', '0'].includes(nonEmpty('CI')?.toLowerCase() ?? ''),
    localTimeZone: machineTimeZone(),
  });
}

/** The zone Intl uses for this process; `Etc/Unknown` and the like mean ICU could not tell. */
export function machineTimeZone(): string | undefined {
  const zone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && zone !== 'Etc/Unknown' && /^[A-Za-z]/.test(zone) ? zone : undefined;
}
