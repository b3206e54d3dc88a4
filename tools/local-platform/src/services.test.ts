import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resourceNames, tableEnvironment } from '@memberships/core/contract';
import { ProcessStartError, ProcessStopError } from './errors';
import { findFreePort } from './free-port';
import { PACKAGE_ROOT } from './package-paths';
import { LOCAL_SCHEDULER_ROLE_ARN, serviceEnv, spawnService } from './services';
import { isPortOpen } from './test-support/network';
import { waitFor } from './testing/wait';

/** A stand-in service: logs JSON lines, serves HTTP on PORT, shuts down on SIGTERM. */
const SERVICE = `
const http = require('node:http');
const fs = require('node:fs');
console.log(JSON.stringify({ level: 30, msg: 'booting', foo: process.env.FOO, leaked: process.env.LEAK_CHECK ?? null }));
console.error('a line on stderr');
if (process.env.MODE === 'crash') { console.error('fatal: cannot start'); process.exit(3); }
const server = http.createServer((request, response) => response.end('ok'));
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ level: 30, msg: 'service started', port: server.address().port }));
  setTimeout(() => console.log('later line'), 200);
});
process.on('SIGTERM', () => {
  if (process.env.SIGTERM_FILE) fs.writeFileSync(process.env.SIGTERM_FILE, 'got SIGTERM');
  if (process.env.MODE === 'stubborn') return console.log('ignoring SIGTERM');
  console.log('got SIGTERM');
  server.close(() => process.exit(0));
});
`;

describe('serviceEnv', () => {
  it('names every table defined in core with the variable the services read', () => {
    const names = resourceNames('demo');
    const variables = tableEnvironment(names);
    expect(variables).toMatchObject({ USERS_TABLE: 'demo-users', JOBS_TABLE: 'demo-export-jobs', GUARDS_TABLE: 'demo-export-guards' });
    expect(Object.values(variables).sort()).toEqual(Object.values(names.tables).sort());
    for (const name of Object.keys(variables)) expect(name).toMatch(/^[A-Z][A-Z_]*_TABLE$/);
  });

  it('maps endpoints, names, queue URLs and the database to the variables the services read', () => {
    const names = resourceNames('demo');
    const env = serviceEnv({
      identity: 'worker',
      aws: {
        region: 'eu-west-1',
        endpoints: {
          dynamodb: 'http://127.0.0.1:1',
          sqs: 'http://127.0.0.1:2',
          s3: 'http://127.0.0.1:2',
          ses: 'http://127.0.0.1:3',
          scheduler: 'http://127.0.0.1:4',
          events: 'http://127.0.0.1:5',
        },
      },
      names,
      queueUrls: {
        exportQueueUrl: 'http://q/export',
        exportDlqUrl: 'http://q/dlq',
        exportQueueArn: 'arn:aws:sqs:eu-west-1:000000000000:export',
        exportDlqArn: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
        webhookQueueUrl: 'http://q/webhooks',
        webhookDlqUrl: 'http://q/webhooks-dlq',
        webhookQueueArn: 'arn:aws:sqs:eu-west-1:000000000000:webhooks',
        webhookDlqArn: 'arn:aws:sqs:eu-west-1:000000000000:webhooks-dlq',
      },
      databaseUrl: 'postgres://u:p@127.0.0.1:5/db',
      extra: { PORT: '0', LOG_LEVEL: 'debug', UNSET: undefined },
    });
    expect(env).toEqual({
      AWS_REGION: 'eu-west-1',
      // The worker's own keys, which the IAM gate maps to the worker's task role.
      AWS_ACCESS_KEY_ID: 'LOCALWORKERTASK',
      AWS_SECRET_ACCESS_KEY: 'local-secret-worker',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2',
      AWS_ENDPOINT_URL_SESV2: 'http://127.0.0.1:3',
      AWS_ENDPOINT_URL_SCHEDULER: 'http://127.0.0.1:4',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:5',
      ...tableEnvironment(names),
      EXPORT_QUEUE_URL: 'http://q/export',
      EXPORT_DLQ_URL: 'http://q/dlq',
      EXPORT_QUEUE_ARN: 'arn:aws:sqs:eu-west-1:000000000000:export',
      EXPORT_DLQ_ARN: 'arn:aws:sqs:eu-west-1:000000000000:dlq',
      WEBHOOK_QUEUE_URL: 'http://q/webhooks',
      WEBHOOK_DLQ_URL: 'http://q/webhooks-dlq',
      EVENT_BUS_NAME: 'demo-events',
      WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
      SCHEDULER_GROUP_NAME: 'demo-exports',
      SCHEDULER_ROLE_ARN: LOCAL_SCHEDULER_ROLE_ARN,
      EXPORT_BUCKET: 'demo-export-files',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5/db',
      LOG_LEVEL: 'debug',
      PORT: '0',
    });
  });

  it('passes no credentials or endpoints when the settings point at real AWS', () => {
    const env = serviceEnv({
      identity: 'worker',
      aws: { region: 'eu-west-1', endpoints: {} },
      names: resourceNames('prod'),
      queueUrls: {
        exportQueueUrl: 'https://sqs/export',
        exportDlqUrl: 'https://sqs/dlq',
        exportQueueArn: 'arn:q',
        exportDlqArn: 'arn:d',
        webhookQueueUrl: 'https://sqs/webhooks',
        webhookDlqUrl: 'https://sqs/webhooks-dlq',
        webhookQueueArn: 'arn:w',
        webhookDlqArn: 'arn:wd',
      },
      databaseUrl: 'postgres://db',
    });
    expect(Object.keys(env).filter((name) => name.startsWith('AWS_'))).toEqual(['AWS_REGION']);
    // Loopback receivers are a local allowance only.
    expect(env.WEBHOOK_ALLOW_LOOPBACK_HTTP).toBeUndefined();
  });
});

describe('spawnService', () => {
  let dir: string;
  let entry: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'local-platform-services-'));
    entry = path.join(dir, 'service.js');
    await writeFile(entry, SERVICE);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for the ready line, keeps every output line, passes exactly the given env, and stops on SIGTERM', async () => {
    process.env.LEAK_CHECK = 'from the parent';
    let service;
    try {
      service = await spawnService(entry, { FOO: 'bar' }, { name: 'fixture', readyLine: (line) => line.includes('service started') });
    } finally {
      delete process.env.LEAK_CHECK;
    }
    // stdout and stderr are two pipes: the stderr line written before the ready line may be read after it.
    await expect(service.waitForLine((line) => line === 'a line on stderr', 5000)).resolves.toBe('a line on stderr');
    expect(service.logs).toEqual(expect.arrayContaining(['a line on stderr']));
    expect(service.jsonLogs()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'booting', foo: 'bar', leaked: null }),
        expect.objectContaining({ msg: 'service started' }),
      ]),
    );
    await expect(service.waitForLine((line) => line === 'later line', 5000)).resolves.toBe('later line');

    await expect(service.stop()).resolves.toEqual({ code: 0, signal: null });
    expect(service.logs).toContain('got SIGTERM');
    expect(service.exitStatus).toEqual({ code: 0, signal: null });
  });

  it('waits for a ready URL and can be killed like a crash', async () => {
    const port = await findFreePort();
    const service = await spawnService(entry, { PORT: String(port) }, { name: 'fixture', readyUrl: `http://127.0.0.1:${port}/` });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    await expect(service.kill()).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect(service.logs).not.toContain('got SIGTERM');
    await expect(isPortOpen(port)).resolves.toBe(false);
  });

  it('reports a service that exits before it is ready, with its output', async () => {
    const attempt = spawnService(entry, { MODE: 'crash' }, { name: 'fixture', readyLine: (line) => line.includes('service started') });
    await expect(attempt).rejects.toThrow(ProcessStartError);
    await expect(attempt).rejects.toMatchObject({ code: 'process_start_failed', message: expect.stringContaining('fatal: cannot start') });
    await expect(attempt).rejects.toThrow(/exit code 3/);
  });

  it('rejects waitForLine when the service exits without printing the line', async () => {
    const service = await spawnService(entry, {}, { name: 'fixture', readyLine: (line) => line.includes('service started') });
    const waiting = service.waitForLine((line) => line === 'never printed', 10_000);
    await service.stop();
    await expect(waiting).rejects.toThrow(/exited \(exit code 0\)/);
  });

  it('kills a service that ignores SIGTERM after the stop timeout, and says so', async () => {
    const service = await spawnService(
      entry,
      { MODE: 'stubborn' },
      { name: 'fixture', readyLine: (line) => line.includes('service started') },
    );
    await expect(service.stop('SIGTERM', 500)).rejects.toThrow(ProcessStopError);
    expect(service.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
    expect(service.logs).toContain('ignoring SIGTERM');
  });

  it('asks the service to shut down when the process that spawned it dies', async () => {
    const sigtermFile = path.join(dir, 'sigterm.txt');
    const parentScript = path.join(dir, 'parent.js');
    await writeFile(
      parentScript,
      `const { spawnService } = require(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'index.js'))});
       spawnService(${JSON.stringify(entry)}, { SIGTERM_FILE: ${JSON.stringify(sigtermFile)} }, { name: 'child', readyLine: (l) => l.includes('service started') })
         .then((service) => console.log(service.process.pid), (error) => { console.error(error); process.exit(1); });`,
    );
    const parent = spawn(process.execPath, [parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => createInterface({ input: parent.stdout }).once('line', resolve)));
      expect(isAlive(pid)).toBe(true);

      parent.kill('SIGKILL');

      await expect(waitFor('the child to exit', () => !isAlive(pid), { timeoutMs: 20_000, intervalMs: 100 })).resolves.toBe(true);
      await expect(readFile(sigtermFile, 'utf8')).resolves.toBe('got SIGTERM');
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
