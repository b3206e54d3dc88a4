import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { API_LIVENESS_PATH } from './constructs/api-service';
import { FARGATE_MAX_STOP_TIMEOUT_SECONDS } from './constructs/container-definition';
import { RDS_CA_BUNDLE_PATH } from './constructs/database';
import { API_PORT } from './constructs/network';
import { WORKER_HEALTH_CHECK_COMMAND } from './constructs/worker-service';

/**
 * No Docker engine runs here, so the images cannot be built in a test. These
 * checks read the Dockerfiles for what a build would get wrong silently
 * (running as root, shipping dev dependencies or sources, a CMD that points
 * at a file the build does not produce, a CA bundle where the task
 * definitions do not look), and run the manifest rewrite the build performs.
 */
const repoRoot = path.join(__dirname, '..', '..', '..');
const run = promisify(execFile);

interface Stage {
  readonly name: string;
  readonly lines: string[];
}

function stagesOf(dockerfile: string): Stage[] {
  const stages: Stage[] = [];
  // Join continuation lines; keep heredoc bodies as their own lines.
  for (const line of dockerfile.replace(/\\\n/g, ' ').split('\n')) {
    const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(line);
    if (from) stages.push({ name: from[1]!, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

const services = [
  { name: 'api', workspace: 'services/api', entry: 'server', healthCheck: true },
  { name: 'worker', workspace: 'services/worker', entry: 'main', healthCheck: false },
] as const;

describe.each(services)('services/$name/Dockerfile', (service) => {
  const dockerfile = readFileSync(path.join(repoRoot, service.workspace, 'Dockerfile'), 'utf8');
  const stages = stagesOf(dockerfile);
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  const runtime = stages.at(-1)!;

  it('is multi-stage on the Node.js release the tests run on (the root `node` devDependency), with a runtime stage last', () => {
    const pinned = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: { node: string } })
      .devDependencies.node;
    expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${pinned.replaceAll('.', '\\.')}-trixie-slim$`, 'm'));
    expect(stages.map((s) => s.name)).toEqual(['manifests', 'build', 'deps', 'runtime']);
  });

  it('compiles with tsc --build and installs production dependencies only for the runtime', () => {
    expect(stage('build').lines.join('\n')).toMatch(/npx tsc --build services\/[a-z]+\/tsconfig\.image\.json/);
    expect(stage('build').lines.join('\n')).toContain(`test -f ${service.workspace}/dist/${service.entry}.js`);
    expect(stage('deps').lines.join('\n')).toMatch(/npm install --omit=dev/);
    expect(stage('build').lines.join('\n')).toContain('"exclude":["src/**/*.test.ts"');
  });

  it('runs as the unprivileged node user, with only dist and production node_modules', () => {
    const instructions = runtime.lines.filter((l) => /^[A-Z]+\s/.test(l));
    expect(instructions).toContain('USER node');
    expect(instructions).toContain('ENV NODE_ENV=production');
    const copies = instructions.filter((l) => l.startsWith('COPY'));
    for (const copy of copies) expect(copy).toMatch(/^COPY --from=(deps|build) /);
    for (const copy of copies.filter((l) => l.startsWith('COPY --from=build'))) expect(copy).toMatch(/\/dist\/ \S+\/dist\/$/);
    expect(instructions.filter((l) => l.startsWith('RUN'))).toEqual([]);
  });

  it(`starts ${service.workspace}/dist/${service.entry}.js, built from a source file that exists`, () => {
    expect(runtime.lines).toContain(`CMD ["node", "${service.workspace}/dist/${service.entry}.js"]`);
    expect(existsSync(path.join(repoRoot, service.workspace, 'src', `${service.entry}.ts`))).toBe(true);
  });

  it('ships the RDS CA bundle where DATABASE_URL points (sslrootcert)', () => {
    expect(runtime.lines.join('\n')).toContain(`https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem ${RDS_CA_BUNDLE_PATH}`);
  });

  if (service.healthCheck) {
    it('checks liveness on the same port and path as the task definition', () => {
      const healthCheck = runtime.lines.find((l) => l.startsWith('HEALTHCHECK'))!;
      expect(healthCheck).toContain(API_LIVENESS_PATH);
      expect(healthCheck).toContain(`process.env.PORT || ${API_PORT}`);
      expect(runtime.lines).toContain(`EXPOSE ${API_PORT}`);
    });
  } else {
    it(`has no port; relies on SIGTERM within ${FARGATE_MAX_STOP_TIMEOUT_SECONDS} s`, () => {
      expect(runtime.lines.filter((l) => /^EXPOSE/.test(l))).toEqual([]);
    });

    it('ships the heartbeat check the task definition runs, at the absolute path it names', () => {
      // The command is absolute: it must not depend on the directory ECS runs it in.
      const script = WORKER_HEALTH_CHECK_COMMAND[2];
      expect(script).toBe('/app/services/worker/dist/health-check.js');
      expect(runtime.lines).toContain('WORKDIR /app');
      expect(runtime.lines).toContain('COPY --from=build /app/services/worker/dist/ services/worker/dist/');
      // Built into dist by the image's tsc (tests, test helpers and the benchmark are the only exclusions).
      expect(existsSync(path.join(repoRoot, service.workspace, 'src', 'health-check.ts'))).toBe(true);
    });
  }

  it('cuts the workspaces down to core and the service, keeping every workspace the service depends on', async () => {
    const script = /^RUN <<'EOF' node\n([\s\S]*?)\nEOF$/m.exec(dockerfile)?.[1];
    expect(script).toBeDefined();
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, service.workspace, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const workspaceDependencies = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@memberships/'));
    expect(workspaceDependencies).toEqual(['@memberships/core']);

    // Run the build's rewrite on a copy of the real manifests.
    const dir = await mkdtemp(path.join(tmpdir(), `dockerfile-${service.name}-`));
    try {
      await writeFile(path.join(dir, 'rewrite.js'), script!);
      await cp(path.join(repoRoot, 'package.json'), path.join(dir, 'package.json'));
      for (const workspace of ['packages/core', service.workspace]) {
        await mkdir(path.join(dir, workspace), { recursive: true });
        await cp(path.join(repoRoot, workspace, 'package.json'), path.join(dir, workspace, 'package.json'));
      }
      await run(process.execPath, ['rewrite.js'], { cwd: dir });
      const root = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
      const original = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
      expect(root.workspaces).toEqual(['packages/core', service.workspace]);
      // The build needs the root's devDependencies (typescript, @types/*); `--omit=dev` drops them for the runtime.
      // All but the `node` runtime package: the image is the runtime.
      const { node: _runtime, ...buildDevDependencies } = original.devDependencies as Record<string, string>;
      expect(root.devDependencies).toEqual(buildDevDependencies);
      expect(root.devDependencies.typescript).toBeDefined();
      for (const workspace of ['packages/core', service.workspace]) {
        const rewritten = JSON.parse(await readFile(path.join(dir, workspace, 'package.json'), 'utf8'));
        const before = JSON.parse(readFileSync(path.join(repoRoot, workspace, 'package.json'), 'utf8'));
        expect(rewritten.devDependencies).toBeUndefined();
        expect(rewritten.dependencies).toEqual(before.dependencies);
        expect(rewritten.name).toBe(before.name);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local state and build output out of the build context', () => {
    const entries = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(entries).toEqual(expect.arrayContaining(['.git', '**/node_modules', '**/dist', '**/.env', '**/cdktf.out', '**/*.tfstate*']));
    // The lock file and the sources must stay in the context.
    expect(entries.filter((e) => /package-lock|^\*\*\/src|^packages|^services/.test(e))).toEqual([]);
  });
});
