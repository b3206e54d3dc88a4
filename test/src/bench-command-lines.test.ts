/**
 * The benchmarks as their users run them: the built programs as child
 * processes. `--help` prints every option and exits 0 with nothing started;
 * a mistyped option or a bad value exits 2 with a message naming it, before
 * any platform starts (a benchmark takes minutes: a typo must not run the
 * defaults).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

const BENCHES = {
  'bench:peak': {
    script: 'services/worker/dist/bench/peak/peak-bench.js',
    options: [
      '--users',
      '--large-users',
      '--large-rows',
      '--medium-share',
      '--concurrency',
      '--workers',
      '--seed',
      '--timeout-seconds',
      '--no-iam-gate',
      '--no-warmup',
      '--aws-latency-ms',
    ],
    badValue: ['--medium-share', '2'],
    badValueMessage: "--medium-share needs a share between 0 and 1, got '2'",
  },
  bench: {
    script: 'services/worker/dist/bench/export-bench.js',
    options: ['--rows', '--rounds', '--progress-interval-ms', '--ranges-only'],
    badValue: ['--rows', '-5'],
    badValueMessage: "Option '--rows' argument is ambiguous",
  },
  'bench:api': {
    script: 'services/api/dist/bench/api-bench.js',
    options: ['--users', '--concurrency', '--requests', '--duration-seconds', '--post-rounds'],
    badValue: ['--concurrency', 'many'],
    badValueMessage: "--concurrency needs a positive integer, got 'many'",
  },
} as const;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(Object.entries(BENCHES))('npm run %s', (name, bench) => {
  it('--help prints usage with every option and exits 0, starting nothing', async () => {
    const result = await run(bench.script, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: npm run ${name} -- \\[options\\]`));
    for (const option of [...bench.options, '--help']) expect(result.stdout).toMatch(new RegExp(`^ {2}(-h, )?${option}\\b`, 'm'));
    expect(result.stderr).toBe('');
  });

  it('an unknown option exits 2 with its name, starting nothing', async () => {
    const result = await run(bench.script, ['--user', '3']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining("Unknown option '--user' (see --help)")]);
  });

  it('a bad value exits 2 with what the option needs, starting nothing', async () => {
    const result = await run(bench.script, bench.badValue);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(bench.badValueMessage)]);
  });
});
