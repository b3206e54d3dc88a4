/**
 * One Node.js major everywhere: the runtime the tests run on (the pinned `node`
 * devDependency, first on PATH under `npm test`) is the one `engines` promises,
 * the one both container images are built from and the one CI checks for.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const read = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const readJson = (relative: string) => JSON.parse(read(relative)) as Record<string, any>;
const majorOf = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

const root = readJson('package.json');
const pinned: string = root.devDependencies.node;
const DOCKERFILES = ['services/api/Dockerfile', 'services/worker/Dockerfile'];

describe('the Node.js runtime', () => {
  it('is pinned to one exact release from the npm registry', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(root.allowScripts.node).toBe(true);
  });

  it('is what the tests run on', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('is what npm scripts resolve as `node`', () => {
    const version = execFileSync('npm', ['exec', '--offline', '--', 'node', '--version'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    expect(version).toBe(`v${pinned}`);
  });

  it('is the major that engines names, in the root and in every workspace that declares one', () => {
    const engines = [['package.json', root.engines.node as string]];
    for (const workspace of root.workspaces as string[]) {
      const manifest = readJson(path.join(workspace, 'package.json'));
      if (manifest.engines?.node) engines.push([workspace, manifest.engines.node as string]);
    }
    expect(engines.length).toBeGreaterThan(1);
    for (const [where, range] of engines) {
      // The lowest version the range admits must be the pinned major.
      expect({ where, major: majorOf(/(\d+\.\d+\.\d+|\d+)/.exec(range!)?.[1] ?? '') }).toEqual({ where, major: majorOf(pinned) });
    }
  });

  it.each(DOCKERFILES)('is the exact release %s builds on', (dockerfile) => {
    const image = /^ARG NODE_IMAGE=node:(\S+)$/m.exec(read(dockerfile))?.[1];
    expect(image).toBeDefined();
    expect(image!.split('-')[0]).toBe(pinned);
  });

  it('is the major .ci/run checks for', () => {
    const major = /^SHIPPED_NODE_MAJOR=(\d+)$/m.exec(read('.ci/run'))?.[1];
    expect(Number(major)).toBe(majorOf(pinned));
  });

  it.each(DOCKERFILES)('is left out of the manifests %s installs from (the image is the runtime)', (dockerfile) => {
    // Run the Dockerfile's own manifest-cutting script on a copy of the manifests.
    const script = /RUN <<'EOF' node\n([\s\S]*?)\nEOF\n/.exec(read(dockerfile))?.[1];
    expect(script).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'manifests-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), read('package.json'));
      for (const workspace of root.workspaces as string[]) {
        mkdirSync(path.join(dir, workspace), { recursive: true });
        writeFileSync(path.join(dir, workspace, 'package.json'), read(path.join(workspace, 'package.json')));
      }
      execFileSync(process.execPath, ['-e', script!], { cwd: dir });
      const cut = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      expect(cut.devDependencies.node).toBeUndefined();
      expect(cut.devDependencies.typescript).toBe(root.devDependencies.typescript);
      expect(cut.workspaces).toEqual(['packages/core', dockerfile.split('/').slice(0, 2).join('/')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
