import { stat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPORT_COLUMNS, FORMULA_PREFIX } from '@memberships/core';
import { parseCsv } from './testing/csv.js';
import { closeTerminals, runCli, runCliInPty, type CliResult } from './testing/cli-runner.js';
import { decodeJwt, readMemberships, startTestPlatform, unreachableUrl, type TestPlatform } from '@memberships/local-platform';

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
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin'], configDir, { input: `${platform.user.password}\n` });
    expect(result).toMatchObject({ code: 0 });
    return configDir;
  }

  async function credentials(configDir: string): Promise<Record<string, string>> {
    return JSON.parse(await readFile(join(configDir, 'credentials.json'), 'utf8')) as Record<string, string>;
  }

  it('logs in with --email and --password-stdin and stores the session owner-only', async () => {
    const configDir = await freshConfig();
    const result = await cli(['login', '--email', platform.user.email, '--password-stdin'], configDir, { input: `${platform.user.password}\n` });

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Logged in to ${platform.apiUrl} as ${platform.user.email}`);
    expect((await stat(configDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(configDir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect(await credentials(configDir)).toMatchObject({ api_url: platform.apiUrl, email: platform.user.email, access_token: expect.any(String) });
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
    expect(result.stderr).toContain(`error: You are not logged in to ${platform.apiUrl}.`);
    expect(result.stderr).toContain('hint: Run: memberships login');
  });

  it('export --output writes a CSV equal to the user\'s rows in PostgreSQL', async () => {
    const configDir = await loggedIn();
    const file = join(work, 'memberships.csv');

    const result = await cli(['export', '--output', file], configDir);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Export \S+ succeeded: 253 rows/m);
    expect(result.stdout).toContain(`Saved to ${file}.`);
    const [header, ...records] = parseCsv(await readFile(file, 'utf8'));
    const stored = await readMemberships(platform.database.url, platform.user.id);
    // Free text a spreadsheet could run as a formula gets a leading apostrophe.
    const text = (value: string | null): string => (value === null ? '' : FORMULA_PREFIX.test(value) ? `'${value}` : value);
    expect(header).toEqual(EXPORT_COLUMNS.map((column) => column.header));
    expect(records).toEqual(
      stored.map((row) => [
        row.id,
        row.uuid,
        text(row.clubName),
        text(row.clubCity),
        text(row.plan),
        row.status,
        row.startedOn,
        row.endsOn ?? '',
        row.price,
        row.currency,
        String(row.autoRenew),
        text(row.notes),
        row.createdAt,
        row.updatedAt,
      ]),
    );
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

  it('on a terminal, shows the export\'s progress in colour, and without colour under NO_COLOR', async () => {
    const configDir = await loggedIn();
    const env = { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl };

    const coloured = runCliInPty(['export'], env);
    expect((await coloured.exited).code).toBe(0);
    expect(coloured.screen()).toMatch(/Export \S+ .*(queued|running|succeeded).* +\d[\d,]* (\/ [\d,]+ )?rows/);
    expect(coloured.screen()).toMatch(/\u001b\[3\dm(queued|running|succeeded)/);
    expect(coloured.screen()).toContain('succeeded: 253 rows');

    const plain = runCliInPty(['export'], { ...env, NO_COLOR: '1' });
    expect((await plain.exited).code).toBe(0);
    expect(plain.screen()).toMatch(/(queued|running|succeeded) +\d[\d,]* (\/ [\d,]+ )?rows/);
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

  // Last: it stops the worker, so the export it requests never finishes.
  it('Ctrl+C while waiting exits 130 and says the export carries on', async () => {
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
    expect(result.stderr).toMatch(/hint: Export \S+ carries on and will be emailed\. Check it with: memberships exports show \S+/);
  });
});
