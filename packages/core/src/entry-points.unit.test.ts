import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Each entry point costs only what it holds: a fresh Node process requires one
 * entry by its package name (as a service does, through package.json
 * `exports`) and reports every module in `require.cache`.
 */
const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..', '..');

async function modulesLoadedBy(specifier: string): Promise<string[]> {
  const script = `require(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: repoRoot });
  return (JSON.parse(stdout) as string[]).map((file) => path.relative(repoRoot, file));
}

const fromPackage = (name: string) => (file: string) => file.split(path.sep).join('/').includes(`node_modules/${name}/`);

describe('the core entry points', () => {
  it.each(['contract', 'config'])(
    '@memberships/core/%s loads only its own files: no TypeORM, no AWS SDK, no other package',
    async (entry) => {
      const loaded = await modulesLoadedBy(`@memberships/core/${entry}`);
      expect(loaded.length).toBeGreaterThan(1);
      expect(loaded.filter(fromPackage('typeorm'))).toEqual([]);
      expect(loaded.filter(fromPackage('@aws-sdk'))).toEqual([]);
      expect(loaded.filter((file) => !file.startsWith(path.join('packages', 'core', 'dist') + path.sep))).toEqual([]);
    },
  );

  it('@memberships/core/dynamodb loads the DynamoDB client and not TypeORM or pg', async () => {
    const loaded = await modulesLoadedBy('@memberships/core/dynamodb');
    expect(loaded.filter(fromPackage('@aws-sdk/client-dynamodb')).length).toBeGreaterThan(0);
    expect(loaded.filter(fromPackage('typeorm'))).toEqual([]);
    expect(loaded.filter(fromPackage('pg'))).toEqual([]);
  });

  it('@memberships/core/postgres-client loads node-postgres and not TypeORM', async () => {
    const loaded = await modulesLoadedBy('@memberships/core/postgres-client');
    expect(loaded.filter(fromPackage('pg')).length).toBeGreaterThan(0);
    expect(loaded.filter(fromPackage('typeorm'))).toEqual([]);
    expect(loaded.filter(fromPackage('reflect-metadata'))).toEqual([]);
  });

  it('@memberships/core/postgres is where TypeORM is loaded (reflect-metadata first)', async () => {
    const loaded = await modulesLoadedBy('@memberships/core/postgres');
    expect(loaded.filter(fromPackage('typeorm')).length).toBeGreaterThan(0);
    const firstPackage = loaded.find((file) => file.includes('node_modules'));
    expect(firstPackage).toMatch(/node_modules[\\/]reflect-metadata[\\/]/);
  });

  it('has no root entry: an importer says which part it needs', async () => {
    await expect(modulesLoadedBy('@memberships/core')).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED|No "exports" main defined/);
  });
});
