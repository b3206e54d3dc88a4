#!/usr/bin/env node
/**
 * What the Dockerfile's stages do beyond docker instructions, as a file the tests can run
 * (infra/terraform/src/dockerfiles.unit.test.ts) instead of reading shell out of the Dockerfile.
 *
 *   node docker/image-workspace.mjs manifests <service> <repo> <out>
 *     Writes the manifests npm installs the image from into <out>: the lock file as it is, the
 *     root package.json with workspaces cut down to the service and the workspaces it depends on
 *     (core), and those workspaces' package.json files without their devDependencies (they name
 *     test-only workspaces such as the local platform, which npm would install: npm/cli#6670).
 *     The root keeps its devDependencies (typescript, @types/*: the build stage compiles with
 *     them; the deps stage installs with --omit=dev) except `node`, the runtime package the tests
 *     run on: the image is the runtime, and that package would shadow it in node_modules/.bin.
 *     Nothing else is written, so the install layers change only when a manifest does.
 *
 *   node docker/image-workspace.mjs check-dist <service> <app>
 *     After the build stage's `tsc --build services/<service>/tsconfig.build.json`: fails unless
 *     every entry point the image runs (CMD, the ECS commands) is in <app>/services/<service>/dist.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The images, by SERVICE build argument: the workspace and the entry points its tasks run. */
const SERVICES = {
  // server.js: CMD; scripts/reconcile-schedules.js: the one-off task of the API task definition.
  api: { workspace: 'services/api', entries: ['server.js', 'scripts/reconcile-schedules.js'] },
  // main.js: CMD; migrate.js: the migrate task; health-check.js: the container health check.
  worker: { workspace: 'services/worker', entries: ['main.js', 'migrate.js', 'health-check.js'] },
};

const USAGE = `usage: node docker/image-workspace.mjs manifests <${Object.keys(SERVICES).join('|')}> <repo> <out>
       node docker/image-workspace.mjs check-dist <${Object.keys(SERVICES).join('|')}> <app>`;

function fail(message) {
  process.stderr.write(`image-workspace: ${message}\n`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

function writeJson(file, json) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * The service's workspace and every workspace it depends on, transitively, through
 * `dependencies` only (devDependencies never reach the image), in the root's order.
 */
function imageWorkspaces(repo, root, service) {
  const byName = new Map(root.workspaces.map((workspace) => [readJson(path.join(repo, workspace, 'package.json')).name, workspace]));
  const kept = new Set();
  const visit = (workspace) => {
    if (kept.has(workspace)) return;
    kept.add(workspace);
    const { dependencies = {} } = readJson(path.join(repo, workspace, 'package.json'));
    for (const name of Object.keys(dependencies)) {
      const dependency = byName.get(name);
      if (dependency) visit(dependency);
    }
  };
  visit(service.workspace);
  return root.workspaces.filter((workspace) => kept.has(workspace));
}

function manifests(service, repo, out) {
  const root = readJson(path.join(repo, 'package.json'));
  const workspaces = imageWorkspaces(repo, root, service);
  const { node: _runtime, ...devDependencies } = root.devDependencies ?? {};
  writeJson(path.join(out, 'package.json'), { ...root, workspaces, devDependencies });
  copyFileSync(path.join(repo, 'package-lock.json'), path.join(out, 'package-lock.json'));
  for (const workspace of workspaces) {
    const { devDependencies: _testOnly, ...manifest } = readJson(path.join(repo, workspace, 'package.json'));
    writeJson(path.join(out, workspace, 'package.json'), manifest);
  }
}

function checkDist(service, app) {
  const missing = service.entries.filter((entry) => !existsSync(path.join(app, service.workspace, 'dist', entry)));
  if (missing.length > 0) fail(`the build did not produce ${missing.map((entry) => `${service.workspace}/dist/${entry}`).join(', ')}`);
}

const [command, name, ...dirs] = process.argv.slice(2);
const service = Object.hasOwn(SERVICES, name ?? '') ? SERVICES[name] : undefined;
if (!service) fail(`unknown service ${JSON.stringify(name ?? '')} (set --build-arg SERVICE)\n${USAGE}`);
if (command === 'manifests' && dirs.length === 2) manifests(service, path.resolve(dirs[0]), path.resolve(dirs[1]));
else if (command === 'check-dist' && dirs.length === 1) checkDist(service, path.resolve(dirs[0]));
else fail(USAGE);
