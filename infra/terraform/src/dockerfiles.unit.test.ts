import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { API_LIVENESS_PATH } from './constructs/api-service';
import { FARGATE_MAX_STOP_TIMEOUT_SECONDS } from './constructs/container-definition';
import { RDS_CA_BUNDLE_PATH } from './constructs/database';
import { MIGRATE_COMMAND } from './constructs/migrate-task';
import { API_PORT } from './constructs/network';
import { WORKER_HEALTH_CHECK_COMMAND } from './constructs/worker-service';

/**
 * No Docker engine runs here, so the images cannot be built in a test. Instead these tests run
 * what the image's stages run, outside Docker: the manifest cut (docker/image-workspace.mjs) on
 * a copy of the repository's manifests, the stages' `npm install` as a dry run on what it wrote,
 * and the build config (tsconfig.build.json) the build stage compiles, for the files it emits and
 * the packages they import. What only the Dockerfile can say (the user, the command, which
 * stage copies what) is read from it as docker would for one SERVICE: arguments expanded where a
 * stage declares them, the image's stages followed from the last one.
 */
const repoRoot = path.join(__dirname, '..', '..', '..');
const run = promisify(execFile);
const readJson = (file: string) => JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8'));
const SCRIPT = path.join(repoRoot, 'docker', 'image-workspace.mjs');

// ---- The Dockerfile, as docker reads it for one SERVICE ----

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: Instruction[];
}

function instructionsOf(dockerfile: string): Instruction[] {
  const lines = dockerfile.split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  if (joined.includes('<<')) throw new Error('this reader does not read heredocs: keep scripts in files (docker/)');
  return joined
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, keyword, args] = /^\s*(\S+)\s*(.*)$/.exec(line)!;
      return { keyword: keyword!.toUpperCase(), args: args!.replace(/\s+/g, ' ').trim() };
    });
}

/** The stages for these build arguments: ARG values reach FROM (global ARGs) and the stages that declare them. */
function stagesFor(dockerfile: string, buildArgs: Record<string, string>): { globals: Map<string, string>; stages: Stage[] } {
  const expand = (text: string, values: Map<string, string>) =>
    text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced, bare) => values.get(braced ?? bare) ?? whole);
  const declare = (args: string, into: Map<string, string>, defaults: Map<string, string>) => {
    const [name, value] = args.split('=', 2) as [string, string | undefined];
    into.set(name, buildArgs[name] ?? value ?? defaults.get(name) ?? '');
  };
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  let values = new Map<string, string>();
  for (const instruction of instructionsOf(dockerfile)) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = expand(instruction.args, globals).split(' ');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name! : String(stages.length), from: from!, instructions: [] });
      values = new Map();
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') declare(instruction.args, globals, new Map());
    } else {
      if (instruction.keyword === 'ARG') declare(instruction.args, values, globals);
      stages.at(-1)!.instructions.push({ keyword: instruction.keyword, args: expand(instruction.args, values) });
    }
  }
  return { globals, stages };
}

const DOCKERFILE = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

// ---- What a build config compiles: its files and the files they import, relatively ----

interface Compiled {
  /** Emitted sources, relative to the workspace's src/. */
  readonly sources: string[];
  /** Packages the emitted sources import (node: builtins left out). */
  readonly packages: Set<string>;
  /** Every tsconfig file the build reads (the config, what it extends, its references). */
  readonly configFiles: string[];
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

function compiledBy(config: string): Compiled {
  const configFiles: string[] = [];
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    readFile: (file) => {
      if (file.includes('tsconfig')) configFiles.push(path.relative(repoRoot, file));
      return ts.sys.readFile(file);
    },
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(repoRoot, config), undefined, host)!;
  if (parsed.errors.length > 0)
    throw new Error(
      ts.formatDiagnostics(parsed.errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repoRoot, getNewLine: () => '\n' }),
    );
  const src = parsed.options.rootDir!;
  // A source another project of the build lists is its output there (tsc reads its declarations).
  const elsewhere = new Set(
    (parsed.projectReferences ?? []).flatMap(
      (reference) => ts.getParsedCommandLineOfConfigFile(ts.resolveProjectReferencePath(reference), undefined, host)!.fileNames,
    ),
  );
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = [...parsed.fileNames];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { fileName: specifier } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      if (!specifier.startsWith('.')) {
        if (!isBuiltin(specifier)) packages.add(packageOf(specifier));
        continue;
      }
      const resolved = ts.resolveModuleName(specifier, file, parsed.options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved?.startsWith(src + path.sep) && !resolved.endsWith('.d.ts') && !elsewhere.has(resolved)) queue.push(resolved);
    }
  }
  const sources = [...seen].map((file) => path.relative(src, file).split(path.sep).join('/')).sort();
  return { sources, packages, configFiles };
}

/** The file tsc writes for a source: x.ts → x.js, x.mts → x.mjs. */
const emittedName = (source: string) => source.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');

function sourcesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourcesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : /\.m?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

const isTest = (source: string) => source.endsWith('.test.ts');
const isTestSupport = (source: string) => /^(testing|test-support)\//.test(source);

// ---- The image's stages, run outside Docker ----

/** Runs the manifests stage's script on a copy of the repository's manifests; returns what it wrote. */
async function cutManifests(service: string, work: string): Promise<string> {
  const repo = path.join(work, 'repo');
  const out = path.join(work, 'manifests');
  await mkdir(repo, { recursive: true });
  await cp(path.join(repoRoot, 'package.json'), path.join(repo, 'package.json'));
  await cp(path.join(repoRoot, 'package-lock.json'), path.join(repo, 'package-lock.json'));
  for (const workspace of readJson('package.json').workspaces as string[]) {
    await mkdir(path.join(repo, workspace), { recursive: true });
    await cp(path.join(repoRoot, workspace, 'package.json'), path.join(repo, workspace, 'package.json'));
  }
  await run(process.execPath, [SCRIPT, 'manifests', service, repo, out]);
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** A stage's `npm install …` (the RUN's command, its --mount flags left to docker), as a dry run: the packages it would add. */
async function dryRunInstall(stage: Stage, dir: string, cache: string): Promise<Set<string>> {
  const command = stage.instructions.find((i) => i.keyword === 'RUN' && i.args.includes('npm install'))!.args;
  const [npm, ...args] = command.slice(command.indexOf('npm install')).split(' ');
  expect(npm).toBe('npm');
  // Its `add` lines are read below: an explicit loglevel, since `npm run --silent` hands `silent` down to it.
  const { stdout } = await run('npm', [...args, '--dry-run', '--offline', '--cache', cache, '--loglevel', 'notice'], {
    cwd: dir,
    maxBuffer: 32 * 1024 * 1024,
  });
  return new Set([...stdout.matchAll(/^add (\S+) \S+$/gm)].map((match) => match[1]!));
}

/** WORKER_NODE_FLAGS as the worker's source declares them (infra does not load the worker's code). */
function workerNodeFlags(): readonly string[] {
  const source = readFileSync(path.join(repoRoot, 'services', 'worker', 'src', 'node-flags.ts'), 'utf8');
  const list = /WORKER_NODE_FLAGS = \[([^\]]*)\]/.exec(source)?.[1];
  if (list === undefined) throw new Error('services/worker/src/node-flags.ts declares no WORKER_NODE_FLAGS');
  return [...list.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
}

const services = [
  { name: 'api', workspace: 'services/api', entry: 'server', healthCheck: true, nodeFlags: [] as readonly string[] },
  // The worker's V8 flags, services/worker/src/node-flags.ts WORKER_NODE_FLAGS (read from the source below).
  { name: 'worker', workspace: 'services/worker', entry: 'main', healthCheck: false, nodeFlags: workerNodeFlags() },
] as const;

const root = readJson('package.json') as { workspaces: string[]; devDependencies: Record<string, string> };
const otherWorkspaces = (kept: string[]) =>
  root.workspaces.filter((workspace) => !kept.includes(workspace)).map((workspace) => readJson(`${workspace}/package.json`).name as string);

describe.each(services)('the $name image (Dockerfile with SERVICE=$name)', (service) => {
  const { globals, stages } = stagesFor(DOCKERFILE, { SERVICE: service.name });
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  /** The image's stages, from the one FROM the Node.js image to the last. */
  const chain: Stage[] = [];
  for (let s: Stage | undefined = stages.at(-1); s; s = stages.find((candidate) => candidate.name === s!.from)) chain.unshift(s);
  const runtime = chain.flatMap((s) => s.instructions);
  const runtimeArgs = (keyword: string) => runtime.filter((i) => i.keyword === keyword).map((i) => i.args);
  const compiled = compiledBy(`${service.workspace}/tsconfig.build.json`);
  const emitted = compiled.sources.map((source) => `${service.workspace}/dist/${emittedName(source)}`);

  let work: string;
  let manifests: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), `image-${service.name}-`));
    manifests = await cutManifests(service.name, work);
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('is multi-stage on the Node.js release the tests run on (the root `node` devDependency), ending in the runtime stage of SERVICE', () => {
    const pinned = root.devDependencies.node;
    expect(globals.get('NODE_IMAGE')).toBe(`node:${pinned}-trixie-slim`);
    expect(stages.map((s) => s.name)).toEqual(['manifests', 'build', 'deps', 'runtime', 'runtime-api', 'runtime-worker', 'image']);
    expect(chain.map((s) => s.name)).toEqual(['runtime', `runtime-${service.name}`, 'image']);
    for (const name of ['manifests', 'build', 'deps', 'runtime']) expect(stage(name).from).toBe(`node:${pinned}-trixie-slim`);
  });

  it('runs the checked-in script and build config: the manifest cut, tsc --build of tsconfig.build.json, its entry-point check', () => {
    const runs = (name: string) =>
      stage(name)
        .instructions.filter((i) => i.keyword === 'RUN')
        .map((i) => i.args);
    expect(runs('manifests')).toEqual([`node docker/image-workspace.mjs manifests "${service.name}" /src /manifests`]);
    expect(runs('build').at(-1)).toBe(
      `npx tsc --build "${service.workspace}/tsconfig.build.json" && node docker/image-workspace.mjs check-dist "${service.name}" /app`,
    );
    expect(runs('deps')).toEqual([expect.stringMatching(/ npm install --omit=dev /)]);
  });

  it('cuts the workspaces down to core and the service, keeping every workspace the service depends on', async () => {
    const manifest = readJson(`${service.workspace}/package.json`) as { dependencies?: Record<string, string> };
    const workspaceDependencies = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@memberships/'));
    expect(workspaceDependencies).toEqual(['@memberships/core']);

    const written = JSON.parse(await readFile(path.join(manifests, 'package.json'), 'utf8'));
    expect(written.workspaces).toEqual(['packages/core', service.workspace]);
    // The build needs the root's devDependencies (typescript, @types/*); `--omit=dev` drops them for the runtime.
    // All but the `node` runtime package: the image is the runtime.
    const { node: _runtime, ...buildDevDependencies } = root.devDependencies;
    expect(written.devDependencies).toEqual(buildDevDependencies);
    expect(written.devDependencies.typescript).toBeDefined();
    for (const workspace of ['packages/core', service.workspace]) {
      const rewritten = JSON.parse(await readFile(path.join(manifests, workspace, 'package.json'), 'utf8'));
      const before = readJson(`${workspace}/package.json`);
      expect(rewritten.devDependencies).toBeUndefined();
      expect(rewritten.dependencies).toEqual(before.dependencies);
      expect(rewritten.name).toBe(before.name);
    }
  });

  it('writes only the manifests npm installs from: the lock file unchanged, the root, core and the service', async () => {
    expect(await filesUnder(manifests)).toEqual(
      ['package-lock.json', 'package.json', 'packages/core/package.json', `${service.workspace}/package.json`].sort(),
    );
    expect(await readFile(path.join(manifests, 'package-lock.json'), 'utf8')).toBe(
      readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'),
    );
  });

  it('installs the lock file’s packages without the other workspaces and the `node` package; the runtime without devDependencies', async () => {
    const cache = path.join(work, 'npm-cache');
    const [build, deps] = await Promise.all([
      dryRunInstall(stage('build'), manifests, cache),
      dryRunInstall(stage('deps'), manifests, cache),
    ]);
    const kept = ['packages/core', service.workspace];
    for (const installed of [build, deps]) {
      expect([...installed].filter((name) => otherWorkspaces(kept).includes(name))).toEqual([]);
      expect(installed.has('@memberships/core')).toBe(true);
      expect(installed.has(readJson(`${service.workspace}/package.json`).name)).toBe(true);
      expect(installed.has('node')).toBe(false);
    }
    // The root's devDependencies: in the build stage, not in the runtime.
    for (const tool of ['typescript', 'jest', 'ts-jest', '@biomejs/biome'])
      expect({ tool, build: build.has(tool) }).toEqual({ tool, build: true });
    for (const tool of ['jest', 'ts-jest', '@biomejs/biome', '@types/jest'])
      expect({ tool, deps: deps.has(tool) }).toEqual({ tool, deps: false });

    // What the image's code imports, the runtime has: no import of a test-only or build-only package.
    const imported = new Set([...compiledBy('packages/core/tsconfig.build.json').packages, ...compiled.packages]);
    expect([...imported].filter((name) => !deps.has(name))).toEqual([]);
  }, 180_000);

  it('copies into the build stage everything the build config reads and the workspaces the image keeps', () => {
    const sources = stage('build')
      .instructions.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    const covered = (file: string) => sources.some((source) => source === file || (source.endsWith('/') && file.startsWith(source)));
    const read = [...new Set([...compiled.configFiles, ...compiledBy('packages/core/tsconfig.build.json').configFiles])];
    expect(read).toEqual(
      expect.arrayContaining(['tsconfig.base.json', 'tsconfig.build.base.json', `${service.workspace}/tsconfig.build.json`]),
    );
    expect(read.filter((file) => !covered(file))).toEqual([]);
    expect(
      ['docker/image-workspace.mjs', 'packages/core/package.json', `${service.workspace}/package.json`].filter((f) => !covered(f)),
    ).toEqual([]);
  });

  it('compiles the service without its tests and test helpers (nor the benchmark)', () => {
    expect(compiled.sources.filter((source) => isTest(source) || isTestSupport(source) || source.startsWith('bench/'))).toEqual([]);
    expect(compiled.packages.has('@memberships/local-platform')).toBe(false);
    expect(compiled.sources).toContain(`${service.entry}.ts`);
  });

  it('runs as the unprivileged node user, with only dist and production node_modules', () => {
    expect(runtimeArgs('USER')).toEqual(['node']);
    expect(runtimeArgs('ENV')).toContain('NODE_ENV=production');
    const copies = runtimeArgs('COPY');
    for (const copy of copies) expect(copy).toMatch(/^--from=(deps|build) /);
    for (const copy of copies.filter((c) => c.startsWith('--from=build'))) expect(copy).toMatch(/\/dist\/ \S+\/dist\/$/);
    expect(copies.filter((c) => c.startsWith('--from=build'))).toEqual([
      '--from=build /app/packages/core/dist/ packages/core/dist/',
      `--from=build /app/${service.workspace}/dist/ ${service.workspace}/dist/`,
    ]);
    expect(runtimeArgs('RUN')).toEqual([]);
  });

  it(`starts ${service.workspace}/dist/${service.entry}.js, which the build config emits from a source file that exists`, () => {
    const flags = service.nodeFlags.map((flag) => `"${flag}", `).join('');
    expect(runtimeArgs('CMD')).toEqual([`["node", ${flags}"${service.workspace}/dist/${service.entry}.js"]`]);
    expect(existsSync(path.join(repoRoot, service.workspace, 'src', `${service.entry}.ts`))).toBe(true);
    expect(emitted).toContain(`${service.workspace}/dist/${service.entry}.js`);
  });

  it('checks after the build that the entry points are there, and fails naming the one that is not', async () => {
    const app = path.join(work, 'app');
    for (const file of emitted) {
      await mkdir(path.dirname(path.join(app, file)), { recursive: true });
      await writeFile(path.join(app, file), '');
    }
    await expect(run(process.execPath, [SCRIPT, 'check-dist', service.name, app])).resolves.toBeDefined();
    await rm(path.join(app, service.workspace, 'dist', `${service.entry}.js`));
    await expect(run(process.execPath, [SCRIPT, 'check-dist', service.name, app])).rejects.toMatchObject({
      code: 1,
      stderr: `image-workspace: the build did not produce ${service.workspace}/dist/${service.entry}.js\n`,
    });
  });

  it('ships the RDS CA bundle where DATABASE_URL points (sslrootcert)', () => {
    expect(runtimeArgs('ADD')).toContain(
      `--chmod=644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem ${RDS_CA_BUNDLE_PATH}`,
    );
  });

  if (service.healthCheck) {
    it('checks liveness on the same port and path as the task definition', () => {
      const [healthCheck] = runtimeArgs('HEALTHCHECK');
      expect(healthCheck).toContain(API_LIVENESS_PATH);
      expect(healthCheck).toContain(`process.env.PORT || ${API_PORT}`);
      expect(runtimeArgs('EXPOSE')).toEqual([String(API_PORT)]);
    });
  } else {
    it(`has no port; relies on SIGTERM within ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s`, () => {
      expect(runtimeArgs('EXPOSE')).toEqual([]);
      expect(runtimeArgs('HEALTHCHECK')).toEqual([]);
    });

    it('ships the heartbeat check the task definition runs, at the absolute path it names, and the migrate entry point', () => {
      // The command is absolute: it must not depend on the directory ECS runs it in.
      const script = WORKER_HEALTH_CHECK_COMMAND[2];
      expect(script).toBe('/app/services/worker/dist/health-check.js');
      expect(runtimeArgs('WORKDIR')).toEqual(['/app']);
      expect(runtimeArgs('COPY')).toContain('--from=build /app/services/worker/dist/ services/worker/dist/');
      expect(existsSync(path.join(repoRoot, service.workspace, 'src', 'health-check.ts'))).toBe(true);
      expect(emitted.map((file) => `/app/${file}`)).toContain(script);
      expect(emitted).toContain(MIGRATE_COMMAND[1]);
    });
  }
});

describe('the Dockerfile without a SERVICE', () => {
  it('ends in a stage no build can resolve, and the manifest script refuses it', async () => {
    const { stages } = stagesFor(DOCKERFILE, {});
    expect(stages.at(-1)!.from).toBe('runtime-');
    const refused = run(process.execPath, [SCRIPT, 'manifests', '', repoRoot, path.join(tmpdir(), 'never-written')]);
    await expect(refused).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('image-workspace: unknown service ""') });
  });
});

/**
 * Every workspace's tsconfig.build.json (what `npm run build` and the images build) emits all
 * of src/ but the tests and the helpers only tests import. The local platform is test support
 * for the other workspaces: it keeps its helpers and leaves out only its own tests.
 */
describe.each(
  root.workspaces
    .filter((workspace) => existsSync(path.join(repoRoot, workspace, 'tsconfig.build.json')))
    .map((workspace) => ({ workspace })),
)('$workspace/tsconfig.build.json', ({ workspace }) => {
  it('emits every source but the tests and test support', () => {
    const all = sourcesUnder(path.join(repoRoot, workspace, 'src'));
    const testOnly = (source: string) =>
      isTest(source) ||
      (workspace !== 'tools/local-platform' && isTestSupport(source)) ||
      ((workspace === 'services/worker' || workspace === 'services/api') && source.startsWith('bench/'));
    expect(compiledBy(`${workspace}/tsconfig.build.json`).sources).toEqual(all.filter((source) => !testOnly(source)).sort());
  });
});

describe('the builds', () => {
  const references = (config: string) =>
    ((ts.readConfigFile(path.join(repoRoot, config), ts.sys.readFile).config.references ?? []) as { path: string }[]).map((r) => r.path);

  it('npm run build builds every tsconfig.build.json and the bench; npm run typecheck every workspace with its tests', () => {
    const buildConfigs = root.workspaces
      .filter((w) => existsSync(path.join(repoRoot, w, 'tsconfig.build.json')))
      .map((w) => `${w}/tsconfig.build.json`);
    expect(buildConfigs.length).toBe(root.workspaces.length - 1); // all but test/, which ships nothing
    expect(references('tsconfig.build.json').sort()).toEqual(
      [...buildConfigs, 'services/worker/tsconfig.bench.json', 'services/api/tsconfig.bench.json'].sort(),
    );
    expect(references('tsconfig.json').sort()).toEqual([...root.workspaces].sort());
    const scripts = readJson('package.json').scripts as Record<string, string>;
    expect(scripts.build).toBe('tsc --build tsconfig.build.json');
    expect(scripts.typecheck).toBe('tsc --build');
  });

  /** Config files a config reaches through its references, itself included (repository-relative). */
  function reachable(config: string, into = new Set<string>()): Set<string> {
    if (into.has(config)) return into;
    into.add(config);
    for (const reference of references(config)) {
      let target = path.join(path.dirname(config), reference);
      if (!target.endsWith('.json')) target = path.join(target, 'tsconfig.json');
      reachable(target, into);
    }
    return into;
  }

  it.each(root.workspaces)(
    '%s/tsconfig.json builds first every workspace its sources and tests import (a cold tsc --build needs their declarations)',
    (workspace) => {
      const byName = new Map(root.workspaces.map((w) => [readJson(`${w}/package.json`).name as string, w]));
      const imported = new Set(
        sourcesUnder(path.join(repoRoot, workspace, 'src')).flatMap((source) =>
          ts
            .preProcessFile(readFileSync(path.join(repoRoot, workspace, 'src', source), 'utf8'), true, true)
            .importedFiles.map(({ fileName }) => byName.get(packageOf(fileName)))
            .filter((w): w is string => w !== undefined && w !== workspace),
        ),
      );
      const built = reachable(`${workspace}/tsconfig.json`);
      expect([...imported].filter((w) => !built.has(`${w}/tsconfig.build.json`))).toEqual([]);
    },
  );

  it('builds the bench (a development program on the local platform) apart from the worker', () => {
    const bench = compiledBy('services/worker/tsconfig.bench.json');
    expect(bench.sources.length).toBeGreaterThan(0);
    expect(bench.sources.filter((source) => !source.startsWith('bench/'))).toEqual([]);
    expect(bench.packages.has('@memberships/local-platform')).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps local state and build output out of the build context', () => {
    const entries = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(entries).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', '**/.env', '**/cdktf.out', '**/*.tfstate*']));
    // The lock file, the sources and the image's script must stay in the context.
    expect(entries.filter((e) => /package-lock|^\*\*\/src|^packages|^services|^docker/.test(e))).toEqual([]);
  });
});
