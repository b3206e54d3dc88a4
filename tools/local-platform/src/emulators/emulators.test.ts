import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { testAwsSettings, testDatabaseServerUrl } from '../environment';
import { PACKAGE_ROOT, REPO_ROOT } from '../package-paths';
import type { RunningEmulator } from './emulator';
import { startFauxqs } from './fauxqs';
import { startSchedulerStandIn } from './scheduler-local';
import { startSesLocal } from './ses-local';
import { localCredentials } from '../iam-gate';
import { isPortOpen, listeningAddresses, LOOPBACK_HEX } from '../test-support/network';
import { waitFor } from '../testing/wait';

const portOf = (url: string) => Number(new URL(url).port);

describe('local emulators', () => {
  it('run on the Node.js release the project ships on, and say so when they start', async () => {
    const pinned = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: { node: string } })
      .devDependencies.node;
    const started: RunningEmulator[] = [];
    try {
      const fauxqs = await startFauxqs();
      started.push(fauxqs);
      started.push(await startSesLocal());
      started.push(
        await startSchedulerStandIn({ region: 'us-east-1', sqsEndpoint: fauxqs.endpoint, credentials: localCredentials('scheduler') }),
      );
      expect(started.map(({ name, nodeVersion }) => ({ name, nodeVersion }))).toEqual(
        ['fauxqs', 'ses-local', 'scheduler-local'].map((name) => ({ name, nodeVersion: `v${pinned}` })),
      );
    } finally {
      await Promise.allSettled(started.map((emulator) => emulator.stop()));
    }
  }, 120_000);

  it('listen on 127.0.0.1 only', () => {
    const aws = testAwsSettings();
    const ports = [aws.endpoints.dynamodb!, aws.endpoints.sqs!, aws.endpoints.ses!, testDatabaseServerUrl()].map(portOf);
    for (const port of ports) {
      const addresses = listeningAddresses(port);
      expect(addresses.length).toBeGreaterThan(0);
      for (const address of addresses) expect(LOOPBACK_HEX.has(address)).toBe(true);
    }
  });

  it('stop, and free their ports, when the process that started them is killed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'local-platform-parent-'));
    const script = path.join(dir, 'parent.js');
    await writeFile(
      script,
      `const lp = require(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'index.js'))});
       Promise.all([lp.startLocalAws(), lp.startPostgres({ url: null })]).then(([aws, pg]) => {
         console.log(JSON.stringify({ endpoints: aws.endpoints, postgresUrl: pg.url, dataDir: pg.dataDir }));
       }, (error) => { console.error(error); process.exit(1); });`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: parent.stdout }).once('line', resolve);
        parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before starting everything`)));
      });
      const started = JSON.parse(firstLine) as { endpoints: Record<string, string>; postgresUrl: string; dataDir: string };
      const ports = [...Object.values(started.endpoints), started.postgresUrl].map(portOf);
      for (const port of ports) await expect(isPortOpen(port)).resolves.toBe(true);

      parent.kill('SIGKILL');

      const gone = { timeoutMs: 20_000, intervalMs: 100 };
      for (const port of ports)
        await expect(waitFor(`port ${port} to close`, async () => !(await isPortOpen(port)), gone)).resolves.toBe(true);
      await expect(waitFor('the data directory to be removed', () => !existsSync(started.dataDir), gone)).resolves.toBe(true);
    } finally {
      parent.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
