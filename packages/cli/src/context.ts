import type { CliEnvironment } from './config.js';
import type { ConfigStore } from './config-store.js';
import type { ApiUrlSource } from './errors.js';
import type { Interrupts } from './interrupts.js';
import type { Output } from './output.js';

/** What every command gets: its environment, where to write, where config lives, and Ctrl+C. */
export interface CommandContext {
  readonly env: CliEnvironment;
  readonly output: Output;
  readonly store: ConfigStore;
  /** Aborted on Ctrl+C (SIGINT); pass it to every SDK call. */
  readonly signal: AbortSignal;
  /** Ctrl+C itself, for a command that asks something before it gives up (see interrupts.ts). */
  readonly interrupts: Pick<Interrupts, 'intercept'>;
  /** The API URL as resolved for this run (flag, env, the stored session's, config file, default); set before a command runs. */
  apiUrl: string;
  /** Where apiUrl came from, for messages. */
  apiUrlSource: ApiUrlSource;
}
