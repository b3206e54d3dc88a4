import type { LocalAws } from '../local-aws';
import type { RunningPostgres } from '../postgres';

/**
 * What the global setup started, for the global teardown. Jest runs both in
 * the same process, so a global is the hand-over (jest's documented way).
 */
export interface RunningPlatform {
  readonly aws: LocalAws;
  readonly postgres: RunningPostgres;
}

const KEY = Symbol.for('@memberships/local-platform:running-platform');
type Holder = { [KEY]?: RunningPlatform };

export function setRunningPlatform(platform: RunningPlatform): void {
  (globalThis as Holder)[KEY] = platform;
}

export function takeRunningPlatform(): RunningPlatform | undefined {
  const platform = (globalThis as Holder)[KEY];
  delete (globalThis as Holder)[KEY];
  return platform;
}
