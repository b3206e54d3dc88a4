/**
 * One Node.js major everywhere: the runtime the tests run on (the pinned `node`
 * devDependency, first on PATH under `npm test`) is the one `engines` promises,
 * the one the container images are built from (the Dockerfile's NODE_IMAGE) and the one CI
 * checks for. (infra/terraform/src/dockerfiles.unit.test.ts checks the images leave the package out.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const read = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const readJson = (relative: string) => JSON.parse(read(relative)) as Record<string, any>;
const majorOf = (version: string) => Number(/^v?(\d+)/.exec(version)?.[1]);

const root = readJson('package.json');
const pinned: string = root.devDependencies.node;

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

  it('is the exact release the Dockerfile builds both images on', () => {
    // The NODE_IMAGE build argument's default, declared once before the first stage, which the stages are FROM.
    const dockerfile = read('Dockerfile');
    const declarations = [...dockerfile.matchAll(/^ARG NODE_IMAGE=(\S+)$/gm)].map((match) => match[1]!);
    expect(declarations).toHaveLength(1);
    expect(dockerfile.indexOf('ARG NODE_IMAGE=')).toBeLessThan(dockerfile.search(/^FROM /m));
    const [name, tag] = declarations[0]!.split(':') as [string, string];
    expect(name).toBe('node');
    expect(tag.split('-')[0]).toBe(pinned);
  });

  it('is the major .ci/run checks for', () => {
    const major = /^SHIPPED_NODE_MAJOR=(\d+)$/m.exec(read('.ci/run'))?.[1];
    expect(Number(major)).toBe(majorOf(pinned));
  });
});
