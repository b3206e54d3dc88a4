/**
 * What the READMEs tell a newcomer about `npm start` and deployment is checked
 * against the code: the seeded rows, every variable `npm start` reads, the
 * tfvars files the terraform commands point at.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_MEMBERSHIPS } from './demo-data';
import { startSettings } from './environment';
import { REPO_ROOT } from './package-paths';
import { TRICKY_MEMBERSHIPS } from './seed';

const readme = (relative: string) => readFileSync(path.join(REPO_ROOT, relative), 'utf8');
const ROOT = readme('README.md');
const LOCAL_PLATFORM = readme('tools/local-platform/README.md');
const INFRA = readme('infra/terraform/README.md');

/** The variables startSettings() reads, found by handing it an environment that records each lookup. */
function variablesReadByStart(): string[] {
  const read = new Set<string>();
  const recording = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name);
      return undefined;
    },
  });
  startSettings(recording);
  return [...read];
}

describe('the READMEs', () => {
  it('give the number of memberships npm start seeds for the demo user', () => {
    const seeded = (DEMO_MEMBERSHIPS + TRICKY_MEMBERSHIPS.length).toLocaleString('en-US');
    expect(ROOT).toContain(`${seeded} memberships`);
    expect(LOCAL_PLATFORM).toContain(`${seeded} memberships`);
  });

  it('document every variable npm start reads', () => {
    const variables = variablesReadByStart();
    expect(variables).toEqual(expect.arrayContaining(['PORT', 'SCHEDULER_PORT', 'DATABASE_URL']));
    for (const variable of variables) {
      expect({ variable, inLocalPlatformReadme: LOCAL_PLATFORM.includes(`\`${variable}\``) }).toEqual({
        variable,
        inLocalPlatformReadme: true,
      });
    }
    for (const variable of variables.filter((name) => name.endsWith('PORT'))) {
      expect({ variable, inRootReadme: ROOT.includes(`\`${variable}\``) }).toEqual({ variable, inRootReadme: true });
    }
  });

  // The root README points at the runbook for the commands; the runbook has them.
  it.each([['infra/terraform/README.md', INFRA]])(
    'in %s point terraform at tfvars files that exist (as the .example to copy)',
    (_name, text) => {
      // Each `-var-file=<path>` is read relative to the stack directory the commands `cd` into.
      const stackDir = /cd (infra\/terraform\/cdktf\.out\/stacks\/\w+)/.exec(text)?.[1];
      expect(stackDir).toBeDefined();
      const varFiles = [...text.matchAll(/-var-file=(\S+)/g)].map((match) => match[1]!);
      expect(varFiles.length).toBeGreaterThan(0);
      for (const varFile of varFiles) {
        const resolved = path.resolve(REPO_ROOT, stackDir!, varFile);
        expect({ varFile, example: existsSync(`${resolved}.example`) }).toEqual({ varFile, example: true });
      }
    },
  );

  it.each([
    'README.md',
    'tools/local-platform/README.md',
    'infra/terraform/README.md',
    'services/api/README.md',
    'services/worker/README.md',
    'docs/architecture.md',
  ])('%s speaks of the project, not of its issue tracker', (file) => {
    expect(readme(file)).not.toMatch(/\bissue \d+\b/i);
  });
});
