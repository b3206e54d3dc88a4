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

/**
 * Every package a shipped workspace installs in production (`dependencies` and
 * their dependencies, as `npm install --omit=dev` in the images resolves them),
 * walked through the lock file with Node's resolution.
 */
function productionClosure(workspace: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (location: string) => {
    const entry = lock.packages[location] as Record<string, any> | undefined;
    if (!entry) throw new Error(`${location} is not in the lock file`);
    if (entry.link) return visit(entry.resolved as string);
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      // Node's resolution: the nearest node_modules/<name> from `location` upwards.
      let dir = location;
      let resolved: string | undefined;
      for (;;) {
        const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) {
          resolved = candidate;
          break;
        }
        if (!dir) break;
        const cut = dir.lastIndexOf('/node_modules/');
        dir = cut >= 0 ? dir.slice(0, cut) : '';
      }
      if (!resolved) {
        if (name in (entry.optionalDependencies ?? {})) continue;
        throw new Error(`${location} depends on ${name}, which the lock file does not resolve`);
      }
      if (found.has(resolved)) continue;
      found.set(resolved, String(lock.packages[resolved].license ?? (lock.packages[resolved].link ? 'workspace' : 'unknown')));
      visit(resolved);
    }
  };
  visit(workspace);
  return found;
}

describe('what ships', () => {
  // The images (API, worker), the published SDK and the CLI users install.
  it.each(['services/api', 'services/worker', 'packages/sdk', 'packages/cli'])(
    "%s installs no copyleft package in production (the AGPL IAM evaluator is the local platform's alone)",
    (workspace) => {
      const closure = productionClosure(workspace);
      expect(closure.size).toBeGreaterThan(0);
      const copyleft = [...closure].filter(([, license]) => /\bA?GPL\b|AGPL|SSPL/i.test(license));
      expect(copyleft).toEqual([]);
      expect([...closure.keys()].filter((location) => location.includes('@cloud-copilot/'))).toEqual([]);
    },
  );

  it('the local platform, which only tests and npm start use, is where the IAM evaluator is', () => {
    expect(productionClosure('tools/local-platform').has('node_modules/@cloud-copilot/iam-simulate')).toBe(true);
  });
});
