import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CreateScheduleCommand, CreateScheduleGroupCommand, GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { runnerPath } from './index';
import { SchedulerLocalClient } from './scheduler-local-client';
import { drainQueue, jsonBodies } from '@memberships/local-platform';
import { createTestQueue, testSqsClient, testSqsSettings } from './test-support/sqs-queues';

interface RunningRunner {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
}

const children: ChildProcessWithoutNullStreams[] = [];

/** Starts `node dist/runner.js 0` the way the local platform does, and waits for `listening <port>`. */
/** The runner reads its delivery keys from the environment, as a deployed stand-in would. */
const keys = (credentials: { accessKeyId: string; secretAccessKey: string }) => ({
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
});

function startRunner(env: Record<string, string>): Promise<RunningRunner> {
  if (!existsSync(runnerPath)) throw new Error(`${runnerPath} is missing: build first with \`npx tsc --build\`.`);
  const child = spawn(process.execPath, [runnerPath, '0'], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /^listening (\d+) node=v\d+\.\d+\.\d+$/.exec(line);
      if (match) resolve({ child, port: Number(match[1]), exited, stderr: () => stderr });
    });
    void exited.then(({ code }) => reject(new Error(`runner exited with ${code} before listening: ${stderr}`)));
  });
}

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('runner (own process, for npm start and e2e tests)', () => {
  let sqs: SQSClient;
  beforeAll(() => {
    sqs = testSqsClient();
  });
  afterAll(() => sqs?.destroy());

  it('serves the Scheduler API and the test endpoints, fires into SQS, and exits when its stdin closes', async () => {
    const queue = await createTestQueue(sqs, 'runner');
    const { endpoint, region, credentials } = testSqsSettings();
    const runner = await startRunner({
      AWS_REGION: region,
      AWS_ENDPOINT_URL_SQS: endpoint,
      ...keys(credentials),
      SCHEDULER_CLOCK: 'manual',
      SCHEDULER_START_TIME: '2026-02-15T00:00:00Z',
      LOG_LEVEL: 'warn',
    });
    const schedulerEndpoint = `http://127.0.0.1:${runner.port}`;
    const scheduler = new SchedulerClient({
      endpoint: schedulerEndpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await scheduler.send(new CreateScheduleGroupCommand({ Name: 'exports' }));
      await scheduler.send(
        new CreateScheduleCommand({
          Name: 'export-1',
          GroupName: 'exports',
          ScheduleExpression: 'cron(0 6 1 * ? *)',
          ScheduleExpressionTimezone: 'Europe/Berlin',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: queue.arn,
            RoleArn: 'arn:aws:iam::000000000000:role/scheduler-local',
            Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
          },
        }),
      );
      expect((await scheduler.send(new GetScheduleCommand({ Name: 'export-1', GroupName: 'exports' }))).Arn).toBe(
        `arn:aws:scheduler:${region}:000000000000:schedule/exports/export-1`,
      );

      const control = new SchedulerLocalClient({ endpoint: schedulerEndpoint });
      expect(await control.setTime('2026-03-01T05:00:00Z')).toMatchObject([
        { scheduleName: 'export-1', status: 'sent', scheduledTime: '2026-03-01T05:00:00Z' },
      ]);
      expect(jsonBodies(await drainQueue(sqs, queue.url))).toEqual([{ scheduledTime: '2026-03-01T05:00:00Z' }]);
    } finally {
      scheduler.destroy();
    }

    // The parent going away closes the pipe: the runner stops by itself.
    runner.child.stdin.end();
    expect(await runner.exited).toEqual({ code: 0, signal: null });
  });

  it('stops cleanly on SIGTERM', async () => {
    const { endpoint, region, credentials } = testSqsSettings();
    const runner = await startRunner({ AWS_REGION: region, AWS_ENDPOINT_URL_SQS: endpoint, ...keys(credentials), LOG_LEVEL: 'warn' });
    expect(await new SchedulerLocalClient({ endpoint: `http://127.0.0.1:${runner.port}` }).now()).toMatchObject({ mode: 'real' });
    runner.child.kill('SIGTERM');
    expect(await runner.exited).toEqual({ code: 0, signal: null });
  });

  it('exits when its parent is gone, even with logs still to write into the closed pipes', async () => {
    const { endpoint, region, credentials } = testSqsSettings();
    // info: it logs on the way out, into pipes nobody reads any more.
    const runner = await startRunner({ AWS_REGION: region, AWS_ENDPOINT_URL_SQS: endpoint, ...keys(credentials), LOG_LEVEL: 'debug' });
    runner.child.stdout.destroy();
    runner.child.stderr.destroy();
    runner.child.stdin.end();
    // Before synchronous logging, the exit-time flush retried the failed write forever and this never resolved.
    expect(await runner.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses an invalid configuration, saying what to fix', async () => {
    const failure = startRunner({ SCHEDULER_CLOCK: 'sundial', SCHEDULER_TICK_MS: 'often' });
    await expect(failure).rejects.toThrow('runner exited with 1');
    await expect(failure).rejects.toThrow('SCHEDULER_TICK_MS must be an integer between 1 and 3600000, got "often"');
    await expect(failure).rejects.toThrow('SCHEDULER_CLOCK must be "real" or "manual", got "sundial"');
  });
});
