import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The worker process loads what it runs and no more: TypeORM (the entity,
 * the data source, the migrations) is the migrate task's, and about 35 MB of
 * resident memory in every worker task that loaded it. A fresh Node process
 * requires the built worker (dist/worker.js, what dist/main.js starts) and
 * reports every module in `require.cache`.
 */
const run = promisify(execFile);
const workerDir = path.resolve(__dirname, '..');

async function modulesLoadedBy(file: string): Promise<string[]> {
  const script = `require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: workerDir });
  return (JSON.parse(stdout) as string[]).map((loaded) => loaded.split(path.sep).join('/'));
}

const fromPackage = (name: string) => (file: string) => file.includes(`node_modules/${name}/`);

describe('the modules the worker process loads', () => {
  it('include node-postgres and the export path, not TypeORM', async () => {
    const loaded = await modulesLoadedBy(path.join(workerDir, 'dist', 'worker.js'));
    expect(loaded.filter(fromPackage('pg')).length).toBeGreaterThan(0);
    expect(loaded.filter((file) => file.endsWith('/dist/csv-export.js'))).toHaveLength(1);
    expect(loaded.filter(fromPackage('typeorm'))).toEqual([]);
    expect(loaded.filter(fromPackage('reflect-metadata'))).toEqual([]);
  });
});
