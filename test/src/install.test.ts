/**
 * What `npm ci` on a fresh clone does comes from the lock file, not from the
 * workspaces' package.json files: a bin or engines changed in one but not the
 * other is installed wrongly (a CLI that is never linked sends `npx memberships`
 * to the public registry).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const readJson = (relative: string) => JSON.parse(readFileSync(path.join(REPO_ROOT, relative), 'utf8')) as Record<string, any>;
const root = readJson('package.json');
const lock = readJson('package-lock.json');

describe('the lock file', () => {
  it.each(root.workspaces as string[])('records %s as its package.json declares it (bin, engines, license)', (workspace) => {
    const manifest = readJson(path.join(workspace, 'package.json'));
    const locked = lock.packages[workspace];
    expect(locked).toBeDefined();
    const facts = (entry: Record<string, unknown>) => ({ bin: entry.bin, engines: entry.engines, license: entry.license });
    expect(facts(locked)).toEqual(facts(manifest));
  });

  it('links the memberships CLI from a committed file, so npm ci links it before anything is built', () => {
    const bin = lock.packages['packages/cli'].bin.memberships as string;
    expect(bin.startsWith('dist/')).toBe(false);
    expect(() => readFileSync(path.join(REPO_ROOT, 'packages/cli', bin))).not.toThrow();
  });
});
