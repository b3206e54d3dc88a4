import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError } from './errors.js';

export interface FileLockOptions {
  /** Give up waiting after this long. Default 15 s. */
  readonly timeoutMs?: number;
  /** A lock file older than this was left by a crashed process and is taken over. Default 30 s. */
  readonly staleMs?: number;
  /** Pause between attempts. Default 50 ms. */
  readonly retryMs?: number;
}

/**
 * Runs `critical` while holding `path` as a lock file (created with O_EXCL, so
 * only one process wins). Used around token refreshes: two `memberships`
 * processes refreshing the same rotating token would look like token theft to
 * the API, which then revokes the session.
 */
export async function withFileLock<T>(path: string, critical: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 30_000;
  const retryMs = options.retryMs ?? 50;
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await ageOf(path);
      if (age !== undefined && age > staleMs) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() >= giveUpAt) {
        throw new CliError('lock_timeout', `Another memberships process holds ${path}.`, {
          suggestion: `Wait for it to finish, or delete ${path} if no other memberships command is running.`,
        });
      }
      await delay(retryMs);
    }
  }
  try {
    return await critical();
  } finally {
    await rm(path, { force: true });
  }
}

async function ageOf(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
