/**
 * Ctrl+C during `memberships export`, as a person and a script meet it: the
 * built CLI against the real API and worker, in a real terminal (tmux: Ctrl+C
 * sent with send-keys, the screen read with capture-pane) and, for scripts,
 * as a child process without one. What became of the export is read back
 * through the API.
 *
 * The export has to be still under way when Ctrl+C comes, however fast the
 * machine: the worker process is held (SIGSTOP) while the export is requested,
 * so the job stays queued, and let go (SIGCONT) once the CLI has exited, so an
 * export left running is seen to finish and a canceled one to be skipped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlatform, waitFor, type TestPlatform } from '@memberships/local-platform';
import { runCli, type CliResult } from './testing/cli-runner.js';
import { closeTmuxSessions, runCliInTmux, type TmuxSession } from './testing/tmux.js';

jest.setTimeout(120_000);

const QUESTION = (id: string): string => `Cancel export ${id}? The file will not be made or emailed.`;
/** The progress line while the job waits for the (held) worker. */
const QUEUED = /Export ([0-9a-f-]{36}) queued/;

describe('Ctrl+C while memberships export waits', () => {
  let platform: TestPlatform;
  let work: string;
  let configDir: string;
  let held = false;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 50 });
    work = await mkdtemp(join(tmpdir(), 'cli-interrupt-'));
    configDir = await mkdtemp(join(work, 'config-'));
    const login = await cli(['login', '--email', platform.user.email, '--password-stdin'], { input: `${platform.user.password}\n` });
    expect(login).toMatchObject({ code: 0 });
  });

  afterEach(async () => {
    await closeTmuxSessions();
    letWorkerGo();
  });

  afterAll(async () => {
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl, ...extra };
  }

  function cli(args: string[], options: { input?: string } = {}): Promise<CliResult> {
    return runCli(args, { input: options.input, env: env() });
  }

  function holdWorker(): void {
    platform.worker.process.kill('SIGSTOP');
    held = true;
  }

  function letWorkerGo(): void {
    if (!held) return;
    platform.worker.process.kill('SIGCONT');
    held = false;
  }

  /** The job as the API reports it (through the CLI's own `exports show --json`). */
  async function jobState(id: string): Promise<string> {
    const shown = await cli(['exports', 'show', id, '--json']);
    expect(shown.code).toBe(0);
    return (JSON.parse(shown.stdout) as { state: string }).state;
  }

  /** An export left running finishes once the worker goes on: the user is free for the next test. */
  async function expectItToSucceed(id: string): Promise<void> {
    letWorkerGo();
    let state = '';
    await waitFor(
      `export ${id} to succeed`,
      async () => {
        state = await jobState(id);
        return state === 'succeeded' || state === 'failed' || state === 'canceled' ? state : undefined;
      },
      // A long poll the held worker had open may have taken the message: it comes back after its visibility timeout.
      { timeoutMs: 100_000, intervalMs: 250, seen: () => `state ${state}` },
    );
    expect(state).toBe('succeeded');
  }

  /** `memberships export` in a terminal, held at its progress line; resolves with the export's id. */
  async function exportInTerminal(extra: Record<string, string> = {}, args: string[] = []): Promise<{ terminal: TmuxSession; id: string }> {
    holdWorker();
    const terminal = await runCliInTmux(['export', ...args], env(extra));
    const screen = await terminal.waitForScreen(QUEUED);
    return { terminal, id: QUEUED.exec(screen)![1]! };
  }

  it('in a terminal: asks, and y cancels the export (the API reads canceled, the worker skips it), exit 130', async () => {
    const { terminal, id } = await exportInTerminal();

    await terminal.sendKeys('C-c');
    await terminal.waitForScreen(QUESTION(id));
    await terminal.sendKeys('y', 'Enter');

    expect(await terminal.exitCode()).toBe(130);
    const screen = await terminal.screen();
    expect(screen).toContain(`Export ${id} canceled: no file will be made or emailed.`);
    expect(screen).not.toContain('error:');
    // The progress line was taken down before the question: it is no longer on the screen.
    expect(screen).not.toMatch(QUEUED);
    expect(await jobState(id)).toBe('canceled');

    letWorkerGo();
    await platform.worker.waitForLine((line) => line.includes('job canceled before it ran') && line.includes(id), 100_000);
    expect(await jobState(id)).toBe('canceled');
  });

  it('in a terminal: n leaves the export running, says how to follow it, and it succeeds; exit 130', async () => {
    const { terminal, id } = await exportInTerminal();

    await terminal.sendKeys('C-c');
    await terminal.waitForScreen(QUESTION(id));
    await terminal.sendKeys('n', 'Enter');

    expect(await terminal.exitCode()).toBe(130);
    const screen = await terminal.screen();
    expect(screen).toContain(`Export ${id} carries on and will be emailed.`);
    expect(screen).toContain(`Check on it (memberships exports show ${id}) or wait for it again with: memberships export`);
    expect(await jobState(id)).toBe('queued');
    await expectItToSucceed(id);
  });

  it('in a terminal: Ctrl+C again at the question leaves the export running, and says it was not canceled', async () => {
    const { terminal, id } = await exportInTerminal();

    await terminal.sendKeys('C-c');
    await terminal.waitForScreen(QUESTION(id));
    await terminal.sendKeys('C-c');

    expect(await terminal.exitCode()).toBe(130);
    expect(await terminal.screen()).toContain(`Ctrl+C again: export ${id} was not canceled; it carries on and will be emailed.`);
    expect(await jobState(id)).toBe('queued');
    await expectItToSucceed(id);
  });

  it.each([
    ['with --json', {}, ['--json']],
    ['in CI (CI=true)', { CI: 'true' }, []],
  ])('in a terminal but %s: never asks, names the cancel command, exit 130', async (_case, extra, args) => {
    const { terminal, id } = await exportInTerminal(extra, args);

    await terminal.sendKeys('C-c');

    expect(await terminal.exitCode()).toBe(130);
    const screen = await terminal.screen();
    expect(screen).not.toContain('Cancel export');
    expect(screen).toContain(`or cancel it with: memberships exports cancel ${id}`);
    expect(await jobState(id)).toBe('queued');
    await expectItToSucceed(id);
  });

  it('without a terminal: SIGINT exits 130, stderr names the export and the command that cancels it, the export is left as it is', async () => {
    holdWorker();
    const result = await runCli(['export'], {
      env: env(),
      onSpawn: (child, output) => {
        child.stdin?.end();
        const poll = setInterval(() => {
          if (output.stderr().includes('Waiting for export')) {
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 50);
        child.on('close', () => clearInterval(poll));
      },
    });

    expect(result.code).toBe(130);
    const id = /Waiting for export (\S+) to finish/.exec(result.stderr)?.[1];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.stderr).toContain(`hint: Export ${id} carries on and will be emailed.`);
    expect(result.stderr).toMatch(new RegExp(`or cancel it with: memberships exports cancel ${id}$`, 'm'));
    expect(result.stderr).not.toContain('Cancel export');
    expect(await jobState(id!)).toBe('queued');
    await expectItToSucceed(id!);
  });
});
