import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runCliInBash, type CliResult } from './testing/cli-runner.js';

/**
 * `memberships completion bash|zsh|fish` from the built CLI. bash is driven
 * for real: the script is sourced and its completion function called the way
 * bash calls it on Tab (COMP_WORDS, COMP_CWORD). zsh and fish are not
 * installed on the machines this runs on, so their scripts are checked for
 * the commands and options they must name.
 */
describe('memberships completion', () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-completion-'));
    await writeFile(join(work, 'memberships-2026-11.csv'), '');
    await writeFile(join(work, 'notes.txt'), '');
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** bash in `work`, where `memberships` is the built CLI and its completion is loaded as the script says. */
  function bash(script: string): Promise<CliResult> {
    return runCliInBash(`source <(memberships completion bash)\n${script}`, { cwd: work });
  }

  /** What bash offers on Tab after `line` (words split on spaces; a trailing space starts a new word). */
  async function complete(line: string): Promise<string[]> {
    const words = line
      .split(' ')
      .map((word) => `'${word}'`)
      .join(' ');
    const result = await bash(
      `COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _memberships; printf '%s\\n' "\${COMPREPLY[@]}"`,
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    return result.stdout.split('\n').filter(Boolean).sort();
  }

  /** The subcommands `memberships <args> --help` lists, as the user reads them. */
  async function helpCommands(args: string[]): Promise<string[]> {
    const { stdout } = await runCli([...args, '--help']);
    const section = stdout.slice(stdout.indexOf('Commands:\n') + 'Commands:\n'.length).split('\n\n')[0] ?? '';
    return section
      .split('\n')
      .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
      .filter((name): name is string => Boolean(name))
      .flatMap((name) => name.split('|'));
  }

  it('bash can source it, and it registers a completion for memberships', async () => {
    const result = await bash('complete -p memberships');
    expect(result).toMatchObject({ code: 0, stdout: 'complete -F _memberships memberships\n', stderr: '' });
  });

  it('completes every command and subcommand the help lists, aliases included', async () => {
    const top = await helpCommands([]);
    expect(top).toEqual(
      expect.arrayContaining([
        'login',
        'export',
        'exports',
        'schedule',
        'schedules',
        'settings',
        'webhooks',
        'webhook',
        'version',
        'completion',
      ]),
    );
    expect(await complete('memberships ')).toEqual([...top].sort());
    for (const group of ['exports', 'schedule', 'settings', 'webhooks']) {
      expect(await complete(`memberships ${group} `)).toEqual((await helpCommands([group])).sort());
    }
    expect(await complete('memberships exp')).toEqual(['export', 'exports']);
    expect(await complete('memberships schedules p')).toEqual(['pause']);
    expect(await complete('memberships exports d')).toEqual(['download', 'downloads']);
    expect(await complete('memberships exports r')).toEqual(['revoke-link']);
    expect(await complete('memberships webhooks l')).toEqual(['list', 'listen', 'ls']);
  });

  it('completes options, inherited ones too, and skips option values on the way', async () => {
    const exportFlags = ['--columns', '--status', '--club', '--started-from', '--started-to', '--ends-from', '--ends-to', '--active-on'];
    const fileFlags = ['--format', '--delimiter', '--bom', '--crlf', '--excel', '--locale', '--gzip'];
    expect(await complete('memberships export --')).toEqual(
      [
        ...['--api-url', '--force', '--help', '--idempotency-key', '--json', '--no-wait', '--output', '--timeout', '--version'],
        ...exportFlags,
        ...fileFlags,
        '--time-zone',
      ].sort(),
    );
    // A schedule's own --time-zone says when it runs; the file's zone has its own flag there.
    expect(await complete('memberships schedule create --ex')).toEqual(['--excel', '--export-time-zone']);
    expect(await complete('memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --g')).toEqual(['--gzip']);
    expect(await complete('memberships export --columns id,club_name --st')).toEqual(['--started-from', '--started-to', '--status']);
    expect(await complete('memberships exports list --l')).toEqual(['--limit']);
    expect(await complete('memberships --api-url https://api.memberships.example exports s')).toEqual(['show']);
    expect(await complete('memberships exports list --limit 5 --c')).toEqual(['--cursor']);
    expect(await complete('memberships webhooks listen --')).toEqual(
      ['--api-url', '--events', '--forward-to', '--help', '--json', '--port', '--url', '--version'].sort(),
    );
  });

  it('completes file names for --output and the shells for completion', async () => {
    expect(await complete('memberships export --output mem')).toEqual(['memberships-2026-11.csv']);
    expect(await complete('memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 -o ')).toEqual([
      'memberships-2026-11.csv',
      'notes.txt',
    ]);
    expect(await complete('memberships completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(await complete('memberships settings emailed-links ')).toEqual(['off', 'on']);
    // An id is not something it can guess: nothing rather than file names.
    expect(await complete('memberships exports show ')).toEqual([]);
  });

  it('prints a zsh script: a compdef function with every command and option described', async () => {
    const { code, stdout } = await runCli(['completion', 'zsh']);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe('#compdef memberships');
    expect(stdout).toContain('compdef _memberships memberships');
    expect(stdout).toMatch(/^ {4}'memberships'\) reply=\(.*'login:Sign in and store your session/m);
    expect(stdout).toMatch(/^ {4}'memberships schedule'\) reply=\(.*'pause:Stop a schedule from running/m);
    expect(stdout).toMatch(/^ {4}'memberships export\|--output'\) REPLY='file' ;;$/m);
    expect(stdout).toMatch(/^ {4}'memberships completion'\) reply=\('bash:bash' 'zsh:zsh' 'fish:fish'\) ;;$/m);
    expect(balanced(stdout, /\bcase\b/g, /\besac\b/g)).toBe(true);
  });

  it('prints a fish script: complete lines limited to the command path typed so far', async () => {
    const { code, stdout } = await runCli(['completion', 'fish']);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "complete -c memberships -n '__memberships_at \\'memberships\\'' -a 'exports' -d 'List, inspect, download and cancel your exports'",
    );
    expect(stdout).toContain("complete -c memberships -n '__memberships_at \\'memberships export\\'' -s o -l output -r -F");
    expect(stdout).toContain("complete -c memberships -n '__memberships_at \\'memberships exports list\\'' -l api-url -x");
    expect(stdout).toContain("complete -c memberships -n '__memberships_at \\'memberships completion\\'' -a 'bash zsh fish'");
    const blocks = stdout.match(/^\s*(function|switch|for|if)\b/gm)?.length ?? 0;
    expect(stdout.match(/^\s*end$/gm)?.length).toBe(blocks);
  });

  it('rejects a shell it does not know as a usage error', async () => {
    const result = await runCli(['completion', 'powershell']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*powershell.*bash, zsh, fish/m);
  });
});

/** As many openers as closers (a cheap structural check where the shell itself is not installed). */
function balanced(text: string, open: RegExp, close: RegExp): boolean {
  return (text.match(open)?.length ?? 0) === (text.match(close)?.length ?? 0);
}
