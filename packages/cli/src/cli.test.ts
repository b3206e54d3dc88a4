import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeTerminals, runCli, runCliInBash, runCliInPty, runCliWithClosedStdout, type CliResult } from './testing/cli-runner.js';
import {
  createUser,
  decodeJwt,
  EXPECTED_HEADER,
  expectedRow,
  parseCsv,
  parseCsvDialect,
  readMemberships,
  startTestPlatform,
  unreachableUrl,
  type TestPlatform,
} from '@memberships/local-platform';

/**
 * The built `memberships` binary as a child process against the real API and
 * worker (on the emulators and PostgreSQL of the jest global setup).
 */
describe('memberships CLI against the real platform', () => {
  let platform: TestPlatform;
  let work: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 240 });
    work = await mkdtemp(join(tmpdir(), 'cli-it-'));
  });

  afterEach(closeTerminals);

  afterAll(async () => {
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** A fresh, empty config directory per test: every test starts logged out. */
  async function freshConfig(): Promise<string> {
    return mkdtemp(join(work, 'config-'));
  }

  function cli(args: string[], configDir: string, options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
    return runCli(args, {
      input: options.input,
      env: { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl, ...options.env },
    });
  }

  async function loggedIn(): Promise<string> {
    const configDir = await freshConfig();
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin'], configDir, {
      input: `${platform.user.password}\n`,
    });
    expect(result).toMatchObject({ code: 0 });
    return configDir;
  }

  async function credentials(configDir: string): Promise<Record<string, string>> {
    return JSON.parse(await readFile(join(configDir, 'credentials.json'), 'utf8')) as Record<string, string>;
  }

  it('logs in with --email and --password-stdin and stores the session owner-only', async () => {
    const configDir = await freshConfig();
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin'], configDir, {
      input: `${platform.user.password}\n`,
    });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Logged in to ${platform.apiUrl} as ${platform.user.email}`);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(configDir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect(await credentials(configDir)).toMatchObject({
      api_url: platform.apiUrl,
      email: platform.user.email,
      access_token: expect.any(String),
    });
  });

  it('asks for email and password on a terminal', async () => {
    const configDir = await freshConfig();
    const terminal = runCliInPty(['login'], { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl });

    await terminal.waitFor('Email');
    terminal.type(`${platform.user.email}\r`);
    await terminal.waitFor('Password');
    terminal.type(`${platform.user.password}\r`);
    const { code } = await terminal.exited;

    expect(code).toBe(0);
    expect(terminal.screen()).toContain(`as ${platform.user.email}`);
    expect(terminal.screen()).not.toContain(platform.user.password);
    expect(await credentials(configDir)).toMatchObject({ email: platform.user.email });
  });

  it('exits 130 when the user presses Ctrl+C at the prompt', async () => {
    const configDir = await freshConfig();
    const terminal = runCliInPty(['login'], { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl });
    await terminal.waitFor('Email');
    terminal.type('\u0003');
    expect((await terminal.exited).code).toBe(130);
  });

  it('without a terminal, says which flags to pass instead of prompting (exit 2)', async () => {
    const result = await cli(['login'], await freshConfig());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: .*stdin is not a terminal/m);
    expect(result.stderr).toMatch(/^hint: .*--email .*--password-stdin/m);
  });

  it('rejects a wrong password with a one-line reason and exit code 1, storing nothing', async () => {
    const configDir = await freshConfig();
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin'], configDir, { input: 'wrong password' });
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(/^error: .+/);
    expect(result.stderr).toContain('hint: Check your email and password.');
    await expect(stat(join(configDir, 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('explains an unreachable API and exits 1', async () => {
    const url = await unreachableUrl();
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin', '--api-url', url], await freshConfig(), {
      input: platform.user.password,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: Could not reach the Memberships API at ${url} (ECONNREFUSED)`);
    expect(result.stderr).toContain('hint: Pass the right URL with --api-url or MEMBERSHIPS_API_URL.');
  });

  it('remembers the API URL given to login in config.json; the environment and the flag win over it', async () => {
    const configDir = await freshConfig();
    const login = await runCli(['login', '--api-url', platform.apiUrl, '--email', platform.user.email, '--password-stdin'], {
      input: platform.user.password,
      env: { MEMBERSHIPS_CONFIG_DIR: configDir },
    });
    expect(login.code).toBe(0);
    expect(JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8'))).toEqual({ api_url: platform.apiUrl });

    const fromConfig = await runCli(['exports', 'list', '--json'], { env: { MEMBERSHIPS_CONFIG_DIR: configDir } });
    expect(fromConfig.code).toBe(0);

    const elsewhere = await unreachableUrl();
    const fromEnv = await runCli(['exports', 'list'], { env: { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: elsewhere } });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`error: You are logged in to ${platform.apiUrl}, not to ${elsewhere}.`);
    const fromFlag = await runCli(['exports', 'list', '--api-url', elsewhere], { env: { MEMBERSHIPS_CONFIG_DIR: configDir } });
    expect(fromFlag.stderr).toContain(`not to ${elsewhere}`);
  });

  it('commands that need a session say how to get one', async () => {
    const result = await cli(['exports', 'list'], await freshConfig());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error: You are not logged in to ${platform.apiUrl}.\nhint: Run: memberships login --api-url ${platform.apiUrl}\n`,
    );
  });

  it('later commands use the API the session belongs to, however login was pointed at it', async () => {
    const email = platform.user.email;
    // Pointed there by MEMBERSHIPS_API_URL only: nothing goes to config.json.
    const byEnv = await freshConfig();
    expect(await cli(['login', '--email', email, '--password-stdin'], byEnv, { input: platform.user.password })).toMatchObject({ code: 0 });
    expect(await credentials(byEnv)).toMatchObject({ api_url: platform.apiUrl });
    // Pointed there by --api-url, then config.json says another API.
    const byFlag = await freshConfig();
    const login = await runCli(['login', '--api-url', platform.apiUrl, '--email', email, '--password-stdin'], {
      input: platform.user.password,
      env: { MEMBERSHIPS_CONFIG_DIR: byFlag },
    });
    expect(login.code).toBe(0);
    await writeFile(join(byFlag, 'config.json'), JSON.stringify({ api_url: await unreachableUrl() }));

    for (const configDir of [byEnv, byFlag]) {
      // No --api-url, no MEMBERSHIPS_API_URL.
      const later = await runCli(['whoami', '--json'], { env: { MEMBERSHIPS_CONFIG_DIR: configDir } });
      expect(later).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(later.stdout)).toMatchObject({ email });
    }
  });

  it("pointed at another API than the session's, names the exact login there, and how to use the session instead", async () => {
    const configDir = await loggedIn();
    const elsewhere = await unreachableUrl();

    const byFlag = await runCli(['exports', 'list', '--api-url', elsewhere], { env: { MEMBERSHIPS_CONFIG_DIR: configDir } });
    expect(byFlag.code).toBe(1);
    expect(byFlag.stderr).toBe(
      `error: You are logged in to ${platform.apiUrl}, not to ${elsewhere}.\n` +
        `hint: Run: memberships login --api-url ${elsewhere} (or leave out --api-url to use your session at ${platform.apiUrl})\n`,
    );
    const byEnv = await runCli(['exports', 'list'], { env: { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: elsewhere } });
    expect(byEnv.stderr).toContain(
      `hint: Run: memberships login --api-url ${elsewhere} (or unset MEMBERSHIPS_API_URL to use your session at ${platform.apiUrl})`,
    );

    // Logged out, pointed at an API with --api-url: the hint's command logs in there, and later commands follow.
    const fresh = await freshConfig();
    const none = await runCli(['whoami', '--api-url', platform.apiUrl], { env: { MEMBERSHIPS_CONFIG_DIR: fresh } });
    const hinted = /^hint: Run: (memberships login --api-url \S+)$/m.exec(none.stderr)?.[1];
    expect(hinted).toBe(`memberships login --api-url ${platform.apiUrl}`);
    const followed = await runCliInBash(
      `printf '%s' "$PASSWORD" | ${hinted} --email "$EMAIL" --password-stdin && memberships whoami --json`,
      {
        env: { MEMBERSHIPS_CONFIG_DIR: fresh, PASSWORD: platform.user.password, EMAIL: platform.user.email },
      },
    );
    expect(followed.code).toBe(0);
    expect(JSON.parse(followed.stdout)).toMatchObject({ email: platform.user.email });
  });

  it("export --output writes a CSV equal to the user's rows in PostgreSQL", async () => {
    const configDir = await loggedIn();
    const file = join(work, 'memberships.csv');

    const result = await cli(['export', '--output', file], configDir);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Export \S+ succeeded: 253 rows/m);
    expect(result.stdout).toContain(`Saved to ${file}.`);
    const [header, ...records] = parseCsv(await readFile(file));
    const stored = await readMemberships(platform.database.url, platform.user.id);
    // Each value as stored; free text a spreadsheet could run as a formula gets a leading apostrophe.
    expect(header).toEqual(EXPECTED_HEADER);
    expect(records).toEqual(stored.map(expectedRow));
  });

  it('export --format jsonl --columns --status into a folder: the job keeps the options, the file is .jsonl with those columns and rows', async () => {
    const configDir = await loggedIn();
    const folder = await mkdtemp(join(work, 'jsonl-'));

    const result = await cli(
      ['export', '--format', 'jsonl', '--columns', 'id,club_name', '--status', 'active', '--output', folder, '--json'],
      configDir,
    );

    expect(result).toMatchObject({ code: 0 });
    const job = JSON.parse(result.stdout) as { id: string; created_at: string; options: Record<string, unknown> };
    expect(job.options).toMatchObject({
      format: 'jsonl',
      columns: ['id', 'club_name'],
      filters: { status: ['active'] },
      compression: 'none',
    });
    const name = `memberships-${job.created_at.slice(0, 10)}-${job.id}.jsonl`;
    expect(await readdir(folder)).toEqual([name]);
    const lines = (await readFile(join(folder, name), 'utf8')).split('\n');
    const active = (await readMemberships(platform.database.url, platform.user.id)).filter((row) => row.status === 'active');
    const first = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['id', 'club_name']);
    expect({ id: String(first.id), club_name: first.club_name }).toEqual({ id: active[0]?.id, club_name: active[0]?.clubName });
    expect(lines.filter(Boolean)).toHaveLength(active.length);

    const shown = await cli(['exports', 'show', job.id], configDir);
    expect(shown.stdout).toContain('Format    jsonl\n');
    expect(shown.stdout).toContain('Columns   id,club_name\n');
    expect(shown.stdout).toContain('Filters   status active\n');
  });

  it('export --excel --locale de-DE: a CSV with the BOM, ; between fields and CRLF records', async () => {
    const configDir = await loggedIn();
    const file = join(work, 'mitglieder.csv');

    const result = await cli(
      ['export', '--excel', '--locale', 'de-DE', '--columns', 'id,club_name,price', '--output', file, '--json'],
      configDir,
    );

    expect(result).toMatchObject({ code: 0 });
    const job = JSON.parse(result.stdout) as { options: Record<string, unknown> };
    expect(job.options).toMatchObject({ format: 'csv', delimiter: ';', bom: true, line_ending: 'crlf' });
    const bytes = await readFile(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.slice(0, text.indexOf('\r\n')).replaceAll('"', '')).toBe('id;club_name;price');
    const [header, ...records] = parseCsvDialect(bytes, { delimiter: ';', bom: true, lineEnding: 'crlf' });
    expect(header).toEqual(['id', 'club_name', 'price']);
    expect(records).toHaveLength((await readMemberships(platform.database.url, platform.user.id)).length);
  });

  it('export prints each value the API refuses with its field (exit 1), and requests nothing', async () => {
    const configDir = await loggedIn();
    // A control character passes the flag's own check; the API's rules refuse it.
    const result = await cli(['export', '--club', 'Ruder\u0001club', '--no-wait'], configDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: The API refused a value:\n {2}filters\.club_name: .+\n/);
  });

  it('prints JSON that parses with --json, and the id alone with --no-wait', async () => {
    const configDir = await loggedIn();

    const queued = await cli(['export', '--no-wait'], configDir);
    expect(queued.code).toBe(0);
    const id = queued.stdout.trim();
    expect(id).toMatch(/^\S+$/);

    const finished = await cli(['export', '--json'], configDir);
    expect(finished.code).toBe(0);
    const job = JSON.parse(finished.stdout) as { id: string; state: string; file: { rows: number } };
    expect(job).toMatchObject({ state: 'succeeded', file: { rows: 253 } });

    const shown = await cli(['exports', 'show', job.id, '--json'], configDir);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: job.id, state: 'succeeded' });

    const listed = await cli(['exports', 'list', '--limit', '2', '--json'], configDir);
    const page = JSON.parse(listed.stdout) as { items: { id: string }[]; next_cursor?: string };
    expect(page.items.map((item) => item.id)).toContain(job.id);
    expect(page.items).toHaveLength(2);

    const table = await cli(['exports', 'list'], configDir);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+CREATED\s+ROWS\s+TRIGGER$/);
    expect(table.stdout).toContain(job.id);
    expect(table.stdout).not.toContain('\u001b['); // no colour off a terminal
  });

  it("on a terminal, shows the export's progress in colour, and without colour under NO_COLOR", async () => {
    const configDir = await loggedIn();
    const env = { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl };

    const coloured = runCliInPty(['export'], env);
    expect((await coloured.exited).code).toBe(0);
    expect(coloured.screen()).toMatch(/Export \S+ .*(queued|running|succeeded).* +\d[\d,]* (\/ [\d,]+ )?rows/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test reads ANSI escape sequences, which start with ESC
    expect(coloured.screen()).toMatch(/\u001b\[3\dm(queued|running|succeeded)/);
    expect(coloured.screen()).toContain('succeeded: 253 rows');

    const plain = runCliInPty(['export'], { ...env, NO_COLOR: '1' });
    expect((await plain.exited).code).toBe(0);
    expect(plain.screen()).toMatch(/(queued|running|succeeded) +\d[\d,]* (\/ [\d,]+ )?rows/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test reads ANSI escape sequences, which start with ESC
    expect(plain.screen()).not.toMatch(/\u001b\[\d+m/);
  });

  it('downloads a finished export to a file', async () => {
    const configDir = await loggedIn();
    const { stdout } = await cli(['export', '--json'], configDir);
    const job = JSON.parse(stdout) as { id: string; file: { bytes: number } };
    const file = join(work, 'download.csv');

    const result = await cli(['exports', 'download', job.id, '--output', file], configDir);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Saved 253 rows`);
    expect((await stat(file)).size).toBe(job.file.bytes);
  });

  it('exports download leaves an existing file as it is without --force, and replaces it with --force', async () => {
    const configDir = await loggedIn();
    const job = JSON.parse((await cli(['export', '--json'], configDir)).stdout) as { id: string; file: { bytes: number } };
    const folder = await mkdtemp(join(work, 'kept-'));
    const file = join(folder, 'memberships.csv');
    await writeFile(file, 'my own notes\n');

    const refused = await cli(['exports', 'download', job.id, '--output', file], configDir);

    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`error: ${file} already exists.\nhint: Pass --force to replace it, or choose another file.\n`);
    expect(await readFile(file, 'utf8')).toBe('my own notes\n');
    expect(await readdir(folder)).toEqual(['memberships.csv']);

    const replaced = await cli(['exports', 'download', job.id, '--output', file, '--force'], configDir);
    expect(replaced.code).toBe(0);
    expect((await stat(file)).size).toBe(job.file.bytes);
    expect(await readdir(folder)).toEqual(['memberships.csv']);
  });

  it('export --output refuses a destination it cannot write before requesting an export (exit 2, no job)', async () => {
    const configDir = await loggedIn();
    const jobIds = async (): Promise<string[]> => {
      const result = await cli(['exports', 'list', '--limit', '100', '--json'], configDir);
      return (JSON.parse(result.stdout) as { items: { id: string }[] }).items.map((item) => item.id);
    };
    const existing = join(work, 'last-month.csv');
    await writeFile(existing, 'last month\n');
    const locked = await mkdtemp(join(work, 'locked-'));
    const device = '/dev/null';
    const before = await jobIds();

    await withUnwritableFolder(locked, async () => {
      const refusals: [string[], RegExp][] = [
        [
          [join(work, 'no-such-folder', 'memberships.csv')],
          /^error: The folder \S+no-such-folder does not exist\.\nhint: Create it first \(mkdir -p \S+\) or choose another folder\.\n$/,
        ],
        // An .xlsx is not saved under a .csv name.
        [
          [join(work, 'report.csv'), '--format', 'xlsx'],
          /^error: \S+report\.csv ends in \.csv, but --format xlsx makes a \.xlsx file\.\nhint: Name it report\.xlsx, or give a folder/,
        ],
        [[join(work, 'm.csv'), '--format', 'jsonl', '--bom'], /^error: --bom is for CSV files, not --format jsonl\.\n/],
        [
          [join(work, 'm.csv'), '--columns', 'id,name'],
          /^error: option '--columns <list>' argument 'id,name' is invalid\. Unknown column "name"/,
        ],
        [[existing], /^error: \S+last-month\.csv already exists\.\nhint: Pass --force to replace it, or choose another file\.\n$/],
        [
          [join(locked, 'memberships.csv')],
          /^error: Cannot write to the folder \S+locked-\S+\.\nhint: Choose a folder you can write to\.\n$/,
        ],
        // Renaming the file into place would replace the device itself: not even with --force.
        [[device, '--force'], /^error: \/dev\/null is not a regular file\.\nhint: .*--output -/],
      ];
      for (const [output, message] of refusals) {
        const result = await cli(['export', '--output', ...output], configDir);
        expect({ output, code: result.code, stderr: result.stderr }).toEqual({ output, code: 2, stderr: expect.stringMatching(message) });
      }
    });

    expect(await jobIds()).toEqual(before);
    expect(await readFile(existing, 'utf8')).toBe('last month\n');
    expect((await stat(device)).isCharacterDevice()).toBe(true);
  });

  it('a reader that stops early (| head -1) ends exports list quietly with exit code 0', async () => {
    const configDir = await loggedIn();
    const env = { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl };

    const head = await runCliInBash('memberships exports list --limit 100 | head -1', { env });
    expect(head).toMatchObject({ code: 0, stderr: '' });
    expect(head.stdout).toMatch(/^ID\s+STATE\s+CREATED\s+ROWS\s+TRIGGER\n$/);
    // Deterministically broken: the reader is gone before the first line is written.
    for (const args of [['exports', 'list'], ['exports', 'list', '--json'], ['whoami']]) {
      expect(await runCliWithClosedStdout(args, { env })).toMatchObject({ code: 0, signal: null, stderr: '' });
    }
  });

  it('explains an unknown export id', async () => {
    const configDir = await loggedIn();
    const result = await cli(['exports', 'show', '00000000-0000-4000-8000-000000000000'], configDir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .+/);
    expect(result.stderr).toContain('hint: List your exports with: memberships exports list');
  });

  it('refreshes an expired access token without the user noticing, and stores the rotated tokens', async () => {
    const configDir = await loggedIn();
    const before = await credentials(configDir);
    // The stored access token has run out: the CLI must refresh before calling.
    await writeFile(
      join(configDir, 'credentials.json'),
      JSON.stringify({ ...before, access_token_expires_at: new Date(Date.now() - 60_000).toISOString() }),
      { mode: 0o600 },
    );

    const result = await cli(['exports', 'list', '--json'], configDir);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const after = await credentials(configDir);
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect((await stat(join(configDir, 'credentials.json'))).mode & 0o777).toBe(0o600);
  });

  it('recovers when the API rejects the stored access token as expired (401)', async () => {
    const configDir = await loggedIn();
    const before = await credentials(configDir);
    const { header, claims } = decodeJwt(before.access_token ?? '');
    const now = Math.floor(Date.now() / 1000);
    const expired = platform.signAccessToken({ ...claims, iat: now - 360, exp: now - 60 }, header);
    await writeFile(join(configDir, 'credentials.json'), JSON.stringify({ ...before, access_token: expired }), { mode: 0o600 });

    const result = await cli(['exports', 'list', '--json'], configDir);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect((await credentials(configDir)).access_token).not.toBe(expired);
  });

  it('commands started together on an expired token take turns refreshing, and the session survives', async () => {
    const configDir = await loggedIn();
    const before = await credentials(configDir);
    await writeFile(
      join(configDir, 'credentials.json'),
      JSON.stringify({ ...before, access_token_expires_at: new Date(Date.now() - 60_000).toISOString() }),
      { mode: 0o600 },
    );

    // Refresh tokens rotate, and the API revokes the whole session when a rotated one is used
    // again: without the lock, all but one of these would end the session.
    const results = await Promise.all([1, 2, 3].map(() => cli(['exports', 'list', '--limit', '1', '--json'], configDir)));

    expect(results.map((result) => result.code)).toEqual([0, 0, 0]);
    const later = await cli(['exports', 'list', '--limit', '1', '--json'], configDir);
    expect(later.code).toBe(0);
  });

  it('whoami shows the account', async () => {
    const configDir = await loggedIn();
    const result = await cli(['whoami', '--json'], configDir);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ id: platform.user.id, email: platform.user.email });
  });

  it('logout revokes the session and removes the stored credentials', async () => {
    const configDir = await loggedIn();
    const result = await cli(['logout'], configDir);
    expect(result.code).toBe(0);
    await expect(stat(join(configDir, 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const after = await cli(['whoami'], configDir);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('hint: Run: memberships login');
  });

  it('exports show and exports downloads tell who downloaded the file, and when it expires (text and --json)', async () => {
    const configDir = await loggedIn();
    const { id } = JSON.parse((await cli(['export', '--json'], configDir)).stdout) as { id: string };

    const fresh = await cli(['exports', 'show', id], configDir);
    expect(fresh.stdout).toMatch(/^Expires {3}\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
    expect(fresh.stdout).toMatch(/^Downloads none yet$/m);
    expect(await cli(['exports', 'downloads', id], configDir)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: `Export ${id} has not been downloaded yet.\n`,
    });

    expect((await cli(['exports', 'download', id, '--output', join(work, `counted-${id}.csv`)], configDir)).code).toBe(0);

    const shown = await cli(['exports', 'show', id], configDir);
    expect(shown.stdout).toMatch(/^Downloads 1, last \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/m);
    const job = JSON.parse((await cli(['exports', 'show', id, '--json'], configDir)).stdout) as Record<string, unknown>;
    expect(job).toMatchObject({ download_count: 1, last_downloaded_at: expect.any(String), expires_at: expect.any(String) });

    const table = await cli(['exports', 'downloads', id], configDir);
    expect(table.code).toBe(0);
    const [header, row, ...rest] = table.stdout.split('\n');
    expect(header).toMatch(/^WHEN\s+VIA\s+ADDRESS\s+USER AGENT$/);
    expect(row).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC {2}cli +(::ffff:)?127\.0\.0\.1 {2}memberships-cli\/\S+ node\//);
    expect(rest).toEqual(['']);
    expect(table.stderr).toMatch(/^Downloaded 1, last \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\.\n$/);

    const json = JSON.parse((await cli(['exports', 'downloads', id, '--json'], configDir)).stdout) as Record<string, unknown>;
    expect(json).toEqual({
      download_count: 1,
      last_downloaded_at: job.last_downloaded_at,
      items: [
        {
          at: job.last_downloaded_at,
          via: 'cli',
          client_address: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/),
          user_agent: expect.stringMatching(/^memberships-cli\//),
        },
      ],
    });

    const unknown = await cli(['exports', 'downloads', '00000000-0000-4000-8000-000000000000'], configDir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('hint: List your exports with: memberships exports list');
  });

  it('exports revoke-link confirms the emailed link is stopped and that the CLI can still download the file', async () => {
    const configDir = await loggedIn();
    const { id } = JSON.parse((await cli(['export', '--json'], configDir)).stdout) as { id: string };

    const revoked = await cli(['exports', 'revoke-link', id], configDir);
    expect(revoked).toMatchObject({
      code: 0,
      stdout: `The download link emailed for export ${id} no longer works.\n`,
      stderr: `You can still download the file with: memberships exports download ${id} --output FILE\n`,
    });
    const file = join(work, `after-revoke-${id}.csv`);
    expect((await cli(['exports', 'download', id, '--output', file], configDir)).code).toBe(0);
    expect((await stat(file)).size).toBeGreaterThan(0);

    const unknown = await cli(['exports', 'revoke-link', '00000000-0000-4000-8000-000000000000'], configDir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('hint: List your exports with: memberships exports list');
  });

  it('settings emailed-links says how it is set, turns it off and on (text and --json), and whoami shows it', async () => {
    const configDir = await freshConfig();
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    expect((await cli(['login', '--email', user.email, '--password-stdin'], configDir, { input: user.password })).code).toBe(0);

    expect(await cli(['settings', 'emailed-links'], configDir)).toMatchObject({ code: 0, stdout: 'Emailed download links are on.\n' });

    const off = await cli(['settings', 'emailed-links', 'off'], configDir);
    expect(off).toMatchObject({ code: 0, stdout: 'Emailed download links are off.\n' });
    expect(off.stderr).toContain('download them with: memberships exports download ID --output FILE');
    expect((await cli(['settings', 'emailed-links'], configDir)).stdout).toBe('Emailed download links are off.\n');
    expect((await cli(['whoami'], configDir)).stdout).toMatch(/^emailed links {2}off$/m);
    expect(JSON.parse((await cli(['whoami', '--json'], configDir)).stdout)).toMatchObject({ emailed_download_links: false });

    const on = await cli(['settings', 'emailed-links', 'on', '--json'], configDir);
    expect(on).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(on.stdout)).toMatchObject({ id: user.id, emailed_download_links: true });
    expect((await cli(['whoami'], configDir)).stdout).toMatch(/^emailed links {2}on$/m);

    const typo = await cli(['settings', 'emailed-links', 'of'], configDir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error: .*'of'.*on, off/m);
  });

  it('settings emailed-links off without the exports:write scope explains it changed nothing (exit 1)', async () => {
    const configDir = await freshConfig();
    const reader = await createUser({
      aws: platform.resources.aws,
      table: platform.resources.names.tables.users,
      scopes: ['exports:read'],
    });
    expect((await cli(['login', '--email', reader.email, '--password-stdin'], configDir, { input: reader.password })).code).toBe(0);

    const refused = await cli(['settings', 'emailed-links', 'off'], configDir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('hint: Your account is not allowed to do this; ask an administrator for access.');
    expect((await cli(['settings', 'emailed-links'], configDir)).stdout).toBe('Emailed download links are on.\n');
  });

  // Last: it stops the worker, so the export it requests never finishes.
  it('Ctrl+C while waiting exits 130 and says the export carries on, and how to cancel it', async () => {
    const configDir = await loggedIn();
    await platform.worker.stop();

    const result = await runCli(['export'], {
      env: { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl },
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
    expect(result.stderr).toMatch(
      /hint: Export (\S+) carries on and will be emailed\. Check on it \(memberships exports show \1\) or cancel it with: memberships exports cancel \1$/m,
    );
  });

  // Runs after the Ctrl+C test, which stopped the worker: a queued export stays queued until canceled.
  it('exports cancel cancels a queued export (text and --json), then explains that an ended one cannot be (exit 1)', async () => {
    const configDir = await loggedIn();
    const queued = await cli(['export', '--no-wait'], configDir);
    expect(queued.code).toBe(0);
    const id = queued.stdout.trim();

    const canceled = await cli(['exports', 'cancel', id], configDir);
    expect(canceled).toMatchObject({ code: 0, stdout: `Export ${id} canceled.\n` });
    const shown = await cli(['exports', 'show', id, '--json'], configDir);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, state: 'canceled' });

    const again = await cli(['exports', 'cancel', id], configDir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: Export \S+ is canceled; only a queued or running export can be canceled\./);
    expect(again.stderr).toContain('hint: It has already ended; see it with: memberships exports show ID');

    // The cancel freed the user: a new export is a new job, canceled here as JSON.
    const next = (await cli(['export', '--no-wait'], configDir)).stdout.trim();
    expect(next).not.toBe(id);
    const json = await cli(['exports', 'cancel', next, '--json'], configDir);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: next, state: 'canceled', links: { self: `/v1/exports/${next}` } });

    const unknown = await cli(['exports', 'cancel', '00000000-0000-4000-8000-000000000000'], configDir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('hint: List your exports with: memberships exports list');
  });
});

/**
 * Runs `use` while `folder` takes no new files. As root, permissions do not
 * stop anyone, so the folder is made immutable instead (chattr +i).
 */
async function withUnwritableFolder(folder: string, use: () => Promise<void>): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const lock = (on: boolean): Promise<void> => {
    if (!asRoot) return chmod(folder, on ? 0o555 : 0o755);
    const result = spawnSync('chattr', [on ? '+i' : '-i', folder], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`chattr ${on ? '+i' : '-i'} ${folder} failed: ${result.stderr || result.error?.message}`);
    return Promise.resolve();
  };
  await lock(true);
  try {
    await use();
  } finally {
    await lock(false);
  }
}
