import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@memberships/local-platform';
import type { CliResult } from './testing/cli-runner.js';

/**
 * bin/memberships.js, the command npm links, in the states a checkout or an
 * install can be in. Each test copies the real bin file into a small
 * stand-in package of its own, so "not built yet" can be had without
 * touching this checkout's dist/.
 */
describe('the memberships command before the CLI is built', () => {
  const BIN = join(REPO_ROOT, 'packages/cli/bin/memberships.js');
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-bin-'));
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  function runBin(bin: string, args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  }

  /** packages/cli with the real bin and a package.json, nothing built. */
  async function bareCliPackage(root: string): Promise<string> {
    const dir = join(root, 'packages', 'cli');
    await mkdir(join(dir, 'bin'), { recursive: true });
    await copyFile(BIN, join(dir, 'bin', 'memberships.js'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: '@memberships/cli', type: 'module' }));
    return dir;
  }

  /**
   * A clone in miniature: a workspaces root whose node_modules has this
   * repo's TypeScript, and a CLI package with sources and a tsconfig but no
   * dist/. Its "CLI" prints the arguments it got.
   */
  async function freshCheckout(name: string, source: string): Promise<{ repo: string; bin: string; dist: string }> {
    const repo = join(work, name);
    const dir = await bareCliPackage(repo);
    await writeFile(join(repo, 'package.json'), JSON.stringify({ private: true, workspaces: ['packages/cli'] }));
    await mkdir(join(repo, 'node_modules'));
    await symlink(join(REPO_ROOT, 'node_modules', 'typescript'), join(repo, 'node_modules', 'typescript'));
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'index.ts'), source);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { rootDir: 'src', outDir: 'dist', module: 'nodenext', target: 'es2022', composite: true, types: [] },
        include: ['src'],
      }),
    );
    return { repo, bin: join(dir, 'bin', 'memberships.js'), dist: join(dir, 'dist') };
  }

  const PRINT_ARGS = "declare const process: { argv: string[] };\nconsole.log('cli ran with', process.argv.slice(2).join(' '));\n";

  it('in a fresh checkout, builds the CLI on first use, quietly, and runs the command', async () => {
    const { bin, dist } = await freshCheckout('fresh', PRINT_ARGS);

    const first = await runBin(bin, ['--help']);

    expect(first).toMatchObject({ code: 0, stdout: 'cli ran with --help\n', stderr: '' });
    const built = await stat(join(dist, 'index.js'));
    // Built once: the next run uses it as it is.
    const second = await runBin(bin, ['exports', 'list']);
    expect(second).toMatchObject({ code: 0, stdout: 'cli ran with exports list\n', stderr: '' });
    expect((await stat(join(dist, 'index.js'))).mtimeMs).toBe(built.mtimeMs);
  });

  it('commands started together in a fresh checkout build it once, one at a time, and all run', async () => {
    const { bin, dist } = await freshCheckout('together', PRINT_ARGS);

    const results = await Promise.all(['a', 'b', 'c'].map((arg) => runBin(bin, [arg])));

    expect(results.map((result) => [result.code, result.stdout, result.stderr])).toEqual([
      [0, 'cli ran with a\n', ''],
      [0, 'cli ran with b\n', ''],
      [0, 'cli ran with c\n', ''],
    ]);
    expect(await readFile(join(dist, 'index.js'), 'utf8')).toContain('cli ran with');
  });

  it('when the build fails, says the CLI is not built and where to build it, exit 1', async () => {
    const { repo, bin } = await freshCheckout('broken', 'const answer: number = "not a number";\n');

    const result = await runBin(bin, ['--help']);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`error: the CLI is not built yet\nhint: run npm run build (or npm start) in ${repo}\n`);
  });

  it('in a checkout without npm ci (no TypeScript), says to install first', async () => {
    const { repo, bin } = await freshCheckout('no-install', PRINT_ARGS);
    await rm(join(repo, 'node_modules'), { recursive: true });

    const result = await runBin(bin, ['--version']);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`error: the CLI is not built yet\nhint: run npm ci, then npm run build (or npm start) in ${repo}\n`);
  });

  it('in an installed package that lost its dist/, says to reinstall rather than to build', async () => {
    const bin = join(await bareCliPackage(join(work, 'installed')), 'bin', 'memberships.js');

    const result = await runBin(bin, ['--help']);

    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe('error: the CLI is not built yet\nhint: reinstall @memberships/cli (its dist/ folder is missing)\n');
  });

  it('is committed executable, with a #! line, so npm links it without a build', async () => {
    const text = await readFile(BIN, 'utf8');
    expect(text.split('\n')[0]).toBe('#!/usr/bin/env node');
    expect((await stat(BIN)).mode & 0o111).toBe(0o111);
    const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(manifest.bin).toEqual({ memberships: 'bin/memberships.js' });
    expect(manifest.files).toContain('bin');
  });
});
