import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock.js';

describe('withFileLock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes over a lock left behind by a crashed process', async () => {
    const lock = join(dir, 'credentials.lock');
    await writeFile(lock, '12345\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await expect(withFileLock(lock, async () => 'ran')).resolves.toBe('ran');
  });

  it('gives up with advice when another process keeps the lock', async () => {
    const lock = join(dir, 'credentials.lock');
    await writeFile(lock, '12345\n');
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100, retryMs: 10 })).rejects.toMatchObject({
      code: 'lock_timeout',
      suggestion: expect.stringContaining(lock),
    });
  });

  it('releases the lock when the work fails', async () => {
    const lock = join(dir, 'credentials.lock');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withFileLock(lock, async () => 'again', { timeoutMs: 100 })).resolves.toBe('again');
  });
});
