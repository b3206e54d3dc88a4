/**
 * The built CLI in a real terminal: a tmux pane, typed into with send-keys and
 * read with capture-pane, the way a person meets it. Unlike `script`
 * (cli-runner.ts's runCliInPty), tmux gives the process a controlling
 * terminal whose Ctrl+C is the line discipline's: `send-keys C-c` delivers
 * SIGINT to the foreground process when the terminal is in cooked mode (a
 * command waiting), and the byte ^C when a prompt has put it in raw mode, just
 * as a keyboard does.
 *
 * Each session runs on its own tmux server (`-L` with a random socket name,
 * no configuration file), ended by `close`.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@memberships/local-platform';
import { CLI_ENTRY } from './cli-runner.js';

const run = promisify(execFile);

/** Wide enough that no line the tests look for wraps. */
const COLUMNS = 200;
const ROWS = 50;

export interface TmuxSession {
  /** The pane as it looks now, one string, trailing blanks trimmed. */
  screen(): Promise<string>;
  /** Resolves with the screen once it matches `text`. */
  waitForScreen(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** `tmux send-keys`: key names (`C-c`, `Enter`) or literal text (`y`). */
  sendKeys(...keys: string[]): Promise<void>;
  /** The CLI's exit code, once it has exited (the pane stays, showing everything it printed). */
  exitCode(timeoutMs?: number): Promise<number>;
  /** Kills the tmux server and removes its files. */
  close(): Promise<void>;
}

/** Servers still running, so a failed test does not leave them behind. */
const open = new Set<TmuxSession>();

/** Ends every tmux server a test left running (call in afterEach). */
export async function closeTmuxSessions(): Promise<void> {
  await Promise.all([...open].map((session) => session.close()));
}

/**
 * Starts `memberships ...args` in a fresh tmux server, with exactly `env`
 * (plus PATH, HOME and TERM): nothing of the test process's environment
 * leaks in (CI=true, on CI, would stop the CLI asking anything).
 */
export async function runCliInTmux(args: readonly string[], env: Record<string, string>): Promise<TmuxSession> {
  const socket = `memberships-cli-${randomUUID().slice(0, 8)}`;
  const folder = await mkdtemp(join(tmpdir(), 'cli-tmux-'));
  const statusFile = join(folder, 'exit-code');
  const quote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;
  const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? folder, TERM: 'screen', ...env };
  const command = [
    'env',
    '-i',
    ...Object.entries(environment).map(([name, value]) => `${name}=${value}`),
    process.execPath,
    CLI_ENTRY,
    ...args,
  ]
    .map(quote)
    .join(' ');
  // The shell stays after the CLI exits, so the pane (and what it shows) outlives it; close() ends it.
  const script = `${command}; echo $? > ${quote(statusFile)}; exec sleep 3600`;
  const tmux = (...tmuxArgs: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...tmuxArgs], { encoding: 'utf8' });
  await tmux('new-session', '-d', '-s', 'cli', '-x', String(COLUMNS), '-y', String(ROWS), script);
  // tmux leaves its socket file behind after kill-server: close() removes it.
  const socketPath = (await tmux('display-message', '-p', '-t', 'cli', '#{socket_path}')).stdout.trim();

  let closed = false;
  const session: TmuxSession = {
    async screen() {
      const { stdout } = await tmux('capture-pane', '-p', '-J', '-t', 'cli');
      return stdout.replace(/\s+$/, '');
    },
    async waitForScreen(text, timeoutMs = 20_000) {
      let last = '';
      return waitFor(
        `the terminal to show ${String(text)}`,
        async () => {
          last = await session.screen();
          return (typeof text === 'string' ? last.includes(text) : text.test(last)) ? last : undefined;
        },
        { timeoutMs, intervalMs: 100, seen: () => `the screen:\n${last}` },
      );
    },
    async sendKeys(...keys) {
      await tmux('send-keys', '-t', 'cli', ...keys);
    },
    async exitCode(timeoutMs = 20_000) {
      const text = await waitFor('the CLI to exit', () => readFile(statusFile, 'utf8').then((content) => content.trim() || undefined), {
        timeoutMs,
        intervalMs: 100,
        seen: () => `no exit code in ${statusFile}`,
      });
      return Number(text);
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(session);
      await tmux('kill-server').catch(() => undefined);
      await rm(folder, { recursive: true, force: true });
      if (socketPath.endsWith(socket)) await rm(socketPath, { force: true });
    },
  };
  open.add(session);
  return session;
}
