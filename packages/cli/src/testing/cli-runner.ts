import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@memberships/local-platform';

/** The `memberships` command as npm links it (bin/memberships.js, which starts the built dist/index.js). */
export const CLI_ENTRY = resolve(REPO_ROOT, 'packages/cli/bin/memberships.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCliOptions {
  /** Environment on top of PATH and a throwaway HOME (nothing else is inherited). */
  readonly env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Default: empty stdin (not a terminal). */
  readonly input?: string;
  /** Called with the child once it runs, e.g. to send it SIGINT. */
  readonly onSpawn?: (child: import('node:child_process').ChildProcess, output: { stdout: () => string; stderr: () => string }) => void;
  readonly timeoutMs?: number;
}

/** Runs `node packages/cli/bin/memberships.js ...args` in a child process and collects its output. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `memberships ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms.\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else if (!options.onSpawn) child.stdin.end();
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
  });
}

/**
 * Runs `script` in `bash -o pipefail`, where `memberships` is the built CLI
 * (as npm links it), e.g. `memberships --help | head -1`.
 */
export function runCliInBash(script: string, options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<CliResult> {
  return collect(
    spawn('bash', ['-o', 'pipefail', '-c', `memberships() { "$MEMBERSHIPS_NODE" "$MEMBERSHIPS_BIN" "$@"; }\n${script}`], {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...options.env,
        MEMBERSHIPS_NODE: process.execPath,
        MEMBERSHIPS_BIN: CLI_ENTRY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Runs the CLI with a stdout whose reader has already gone: every write to it fails with EPIPE. */
export function runCliWithClosedStdout(
  args: readonly string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  return collect(child);
}

function collect(child: import('node:child_process').ChildProcess): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

export interface PtySession {
  /** Everything the terminal showed so far. */
  screen(): string;
  /** Resolves once the terminal shows `text` (after any earlier match). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  type(keys: string): void;
  readonly exited: Promise<{ code: number | null }>;
}

/** Terminals still running, so a failed test does not leave them (and jest) hanging. */
const openTerminals = new Set<import('node:child_process').ChildProcess>();

/** Ends the terminals a test left running (call in afterEach). */
export function closeTerminals(): void {
  for (const child of openTerminals) child.kill('SIGKILL');
  openTerminals.clear();
}

/** Wide enough that prompts never wrap the questions the tests look for. */
const TERMINAL_COLUMNS = 200;

/**
 * Runs the CLI inside a pseudo-terminal with util-linux `script`, so stdin and
 * stderr are TTYs and prompts behave as for a person at a keyboard.
 */
export function runCliInPty(args: readonly string[], env: Record<string, string | undefined>): PtySession {
  const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols ${TERMINAL_COLUMNS} rows 50; exec ${[process.execPath, CLI_ENTRY, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm-256color', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let consumed = 0;
  const listeners = new Set<() => void>();
  const onData = (chunk: string): void => {
    output += chunk;
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);
  openTerminals.add(child);
  const exited = new Promise<{ code: number | null }>((resolvePromise) =>
    child.on('close', (code) => {
      openTerminals.delete(child);
      resolvePromise({ code });
    }),
  );
  return {
    screen: () => output,
    waitFor(text, timeoutMs = 15_000) {
      return new Promise((resolvePromise, reject) => {
        const check = (): boolean => {
          const rest = output.slice(consumed);
          const index = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
          if (index < 0) return false;
          consumed += index + 1;
          return true;
        };
        if (check()) return resolvePromise();
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`The terminal never showed ${String(text)}. It showed:\n${output}`));
        }, timeoutMs);
        const listener = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolvePromise();
        };
        listeners.add(listener);
      });
    },
    type(keys) {
      child.stdin.write(keys);
    },
    exited,
  };
}
