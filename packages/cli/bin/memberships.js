#!/usr/bin/env node
// The `memberships` command: starts the compiled CLI in ../dist.
//
// This file is committed (and executable) rather than compiled, so npm links
// the command as soon as `npm ci` has run in a fresh clone. A bin pointing
// into dist/ is not linked before a build, and `npx memberships` then asks the
// public registry for a package of that name instead.
//
// In a clone whose CLI is not built yet, the first run builds it (the repo's
// own TypeScript, `tsc --build packages/cli`, once, one process at a time) and
// carries on; an installed package always ships dist/. See README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const distDir = join(packageDir, 'dist');
const entry = join(distDir, 'index.js');

/** A build older than this holds its lock no longer: it was killed without cleaning up. */
const STALE_BUILD_MS = 10 * 60_000;

if (!existsSync(entry)) await buildOrExplain();
try {
  await import(pathToFileURL(entry).href);
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  const repo = checkoutRoot();
  if (String(error.message).includes(distDir)) {
    // An interrupted build left index.js without the modules it imports.
    fail('the CLI build is incomplete', repo ? `run npm run build (or npm start) in ${repo}` : 'reinstall @memberships/cli');
  }
  fail(
    `a package the CLI needs is missing (${error.message.split('\n')[0]})`,
    repo ? `run npm ci in ${repo}` : 'reinstall @memberships/cli',
  );
}

async function buildOrExplain() {
  const repo = checkoutRoot();
  if (!repo) fail('the CLI is not built yet', 'reinstall @memberships/cli (its dist/ folder is missing)');
  const tsc = resolveTypeScript();
  if (!tsc) fail('the CLI is not built yet', `run npm ci, then npm run build (or npm start) in ${repo}`);

  const built = await withBuildLock(() => {
    // Another process may have built it while this one waited for the lock.
    if (existsSync(entry)) return true;
    if (process.stderr.isTTY) process.stderr.write('Building the memberships CLI (first run in this checkout)…\n');
    // Quiet: what a failed build says is for `npm run build`, which the hint names.
    const build = spawnSync(process.execPath, [tsc, '--build', join(packageDir, 'tsconfig.json')], { cwd: repo, stdio: 'ignore' });
    return build.status === 0 && existsSync(entry);
  });
  if (!built) fail('the CLI is not built yet', `run npm run build (or npm start) in ${repo}`);
}

/**
 * The repository this package sits in when it is a source checkout (its
 * sources and tsconfig beside it): the nearest folder above with a
 * package.json that declares workspaces, else the package itself.
 */
function checkoutRoot() {
  if (!existsSync(join(packageDir, 'src', 'index.ts')) || !existsSync(join(packageDir, 'tsconfig.json'))) return undefined;
  for (let dir = dirname(packageDir); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).workspaces) return dir;
    } catch {
      // No package.json here (or not JSON): keep looking further up.
    }
  }
  return packageDir;
}

/** tsc of the TypeScript this checkout installed (npm ci), found as Node finds packages. */
function resolveTypeScript() {
  try {
    return createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/**
 * One build at a time per checkout: two commands started together in a fresh
 * clone would otherwise write the same files at once. The lock file (in the
 * temp directory, so the checkout stays clean) holds the builder's pid.
 */
async function withBuildLock(build) {
  const lock = join(tmpdir(), `memberships-cli-build-${createHash('sha256').update(packageDir).digest('hex').slice(0, 16)}.lock`);
  for (;;) {
    let fd;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (abandoned(lock)) rmSync(lock, { force: true });
      else await delay(100);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return build();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** Is the build holding `lock` gone (its process ended) or stuck for too long? */
function abandoned(lock) {
  let pid;
  let age;
  try {
    pid = Number(readFileSync(lock, 'utf8'));
    age = Date.now() - statSync(lock).mtimeMs;
  } catch {
    // Removed meanwhile: try to take it again.
    return false;
  }
  if (age > STALE_BUILD_MS) return true;
  // Created but its pid not written yet (or never, if it died in between).
  if (!Number.isSafeInteger(pid) || pid <= 0) return age > 10_000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

/** The CLI's way of failing: `error:` and `hint:` lines on stderr, exit code 1. */
function fail(message, hint) {
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  process.exit(1);
}
