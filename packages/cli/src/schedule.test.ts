import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportSchedule } from '@memberships/sdk';
import { createUser, startTestPlatform, type TestPlatform } from '@memberships/local-platform';
import { closeTerminals, runCli, runCliInPty, type CliResult } from './testing/cli-runner.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC
const ANSI_ESCAPES = /\u001b\[[\d;]*[A-Za-z]/g;

/**
 * `memberships schedule …`: the built binary as a child process against the
 * real API (and the EventBridge Scheduler stand-in behind it) and worker.
 */
describe('memberships schedule against the real platform', () => {
  let platform: TestPlatform;
  let work: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 5 });
    work = await mkdtemp(join(tmpdir(), 'cli-schedule-'));
  });

  afterEach(closeTerminals);

  afterAll(async () => {
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The person at the keyboard sits in New York, whatever this machine's zone is. */
  const HOME_ZONE = 'America/New_York';

  interface Session {
    readonly configDir: string;
    run(args: string[], options?: { env?: Record<string, string> }): Promise<CliResult>;
    env: Record<string, string>;
  }

  /** A new user, logged in with the CLI in a config directory of its own: no schedules yet. */
  async function newUserSession(): Promise<Session> {
    const user = await createUser({ aws: platform.resources.aws, table: platform.resources.names.tables.users });
    const configDir = await mkdtemp(join(work, 'config-'));
    const env = { MEMBERSHIPS_CONFIG_DIR: configDir, MEMBERSHIPS_API_URL: platform.apiUrl, TZ: HOME_ZONE };
    const login = await runCli(['login', '--email', user.email, '--password-stdin'], { input: user.password, env });
    expect(login).toMatchObject({ code: 0 });
    return {
      configDir,
      env,
      run: (args, options = {}) => runCli(args, { env: { ...env, ...options.env } }),
    };
  }

  const parse = <T>(result: CliResult): T => {
    expect(result).toMatchObject({ code: 0 });
    return JSON.parse(result.stdout) as T;
  };

  /** `2025-12-01 06:00` of an instant in `timeZone`, the way a person reads a clock there. */
  function wall(iso: string, timeZone: string): string {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      })
        .formatToParts(new Date(iso))
        .map((part) => [part.type, part.value]),
    );
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  }

  it('creates, lists, shows, pauses, resumes and deletes a schedule', async () => {
    const me = await newUserSession();

    const created = parse<ExportSchedule>(
      await me.run(['schedule', 'create', '--day', '15', '--time', '7:30', '--time-zone', 'Europe/Berlin', '--json']),
    );
    expect(created).toMatchObject({ day_of_month: 15, time_of_day: '07:30', time_zone: 'Europe/Berlin', state: 'active' });
    expect(created.next_run_at).toEqual(expect.any(String));
    const nextRun = created.next_run_at ?? '';
    expect(wall(nextRun, 'Europe/Berlin')).toMatch(/^\d{4}-\d\d-15 07:30$/);

    const table = await me.run(['schedule', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATE\s+DAY\s+TIME\s+TIME ZONE\s+NEXT RUN \(America\/New_York\)$/);
    expect(rows).toEqual([
      expect.stringMatching(new RegExp(`^${created.id}\\s+active\\s+15\\s+07:30\\s+Europe/Berlin\\s+${wall(nextRun, HOME_ZONE)}$`)),
    ]);
    expect(parse<{ items: ExportSchedule[] }>(await me.run(['schedule', 'list', '--json'])).items.map((item) => item.id)).toEqual([
      created.id,
    ]);

    const shown = await me.run(['schedule', 'show', created.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Schedule  ${created.id}`);
    expect(shown.stdout).toContain('Runs      the 15th of every month at 07:30 Europe/Berlin');
    // The next run in the person's own time and in the schedule's zone.
    expect(shown.stdout).toContain(
      `Next run  ${wall(nextRun, HOME_ZONE)} your time (America/New_York) = ${wall(nextRun, 'Europe/Berlin')} Europe/Berlin`,
    );
    expect(parse<ExportSchedule>(await me.run(['schedule', 'show', created.id, '--json']))).toMatchObject({
      id: created.id,
      state: 'active',
    });

    const paused = await me.run(['schedule', 'pause', created.id]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`Paused schedule ${created.id}`);
    expect(parse<ExportSchedule>(await me.run(['schedule', 'show', created.id, '--json']))).toMatchObject({
      state: 'paused',
      next_run_at: null,
    });
    expect((await me.run(['schedule', 'show', created.id])).stdout).toContain(
      `Next run  none while paused (resume with: memberships schedule resume ${created.id})`,
    );

    const resumed = await me.run(['schedule', 'resume', created.id]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`Resumed schedule ${created.id}. Next run: ${wall(nextRun, HOME_ZONE)} your time (America/New_York)`);
    expect(parse<ExportSchedule>(await me.run(['schedule', 'show', created.id, '--json']))).toMatchObject({
      state: 'active',
      next_run_at: nextRun,
    });

    const deleted = await me.run(['schedule', 'delete', created.id, '--yes']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Deleted schedule ${created.id}`);
    const gone = await me.run(['schedule', 'show', created.id]);
    expect(gone.code).toBe(1);
    expect(parse<{ items: ExportSchedule[] }>(await me.run(['schedule', 'list', '--json'])).items).toEqual([]);
    const empty = await me.run(['schedule', 'list']);
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toContain('No schedules yet. Subscribe to a monthly export with: memberships schedule create');
  });

  it("defaults to the 1st at 06:00 in this machine's time zone, and says so", async () => {
    const me = await newUserSession();

    const result = await me.run(['schedule', 'create'], { env: { TZ: 'Asia/Tokyo' } });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Runs      the 1st of every month at 06:00 Asia/Tokyo');
    expect(result.stdout).toMatch(/^Next run {2}\d{4}-\d\d-01 06:00 Asia\/Tokyo \(your time\)$/m);
    expect(result.stderr).toContain('Subscribed');
    expect(result.stderr).toContain("Time zone Asia/Tokyo is this machine's; choose another with --time-zone.");
  });

  it('changes when a schedule runs with update', async () => {
    const me = await newUserSession();
    const created = parse<ExportSchedule>(await me.run(['schedule', 'create', '--time-zone', 'UTC', '--json']));

    const updated = parse<ExportSchedule>(await me.run(['schedule', 'update', created.id, '--day', '20', '--time', '21:15', '--json']));

    expect(updated).toMatchObject({ id: created.id, day_of_month: 20, time_of_day: '21:15', time_zone: 'UTC' });
    expect(wall(updated.next_run_at ?? '', 'UTC')).toMatch(/-20 21:15$/);
    const nothing = await me.run(['schedule', 'update', created.id]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('hint: Pass at least one of --day, --time, --time-zone, or export flags such as --format.');
  });

  it('rejects --day 31 as a usage error (exit 2) before calling the API', async () => {
    const me = await newUserSession();

    const result = await me.run(['schedule', 'create', '--day', '31']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: option '--day <n>' argument '31' is invalid\. Expected a day of the month from 1 to 28/m);
    expect(parse<{ items: ExportSchedule[] }>(await me.run(['schedule', 'list', '--json'])).items).toEqual([]);
    const badZone = await me.run(['schedule', 'create', '--time-zone', 'Mars/Olympus_Mons']);
    expect(badZone.code).toBe(2);
    expect(badZone.stderr).toContain('Expected an IANA time zone name');
  });

  it("answers another user's schedule id with a clear not-found message and exit 1", async () => {
    const owner = await newUserSession();
    const stranger = await newUserSession();
    const theirs = parse<ExportSchedule>(await owner.run(['schedule', 'create', '--json']));

    for (const args of [
      ['show', theirs.id],
      ['pause', theirs.id],
      ['resume', theirs.id],
      ['delete', theirs.id, '--yes'],
    ]) {
      const result = await stranger.run(['schedule', ...args]);
      expect(result.code).toBe(1);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(new RegExp(`^error: .*${theirs.id}`));
      expect(lines[1]).toBe('hint: List your schedules with: memberships schedule list');
    }
    expect(parse<ExportSchedule>(await owner.run(['schedule', 'show', theirs.id, '--json']))).toMatchObject({ state: 'active' });
  });

  it('says what to do at the limit of schedules', async () => {
    const me = await newUserSession();
    for (let day = 1; day <= 5; day += 1) expect((await me.run(['schedule', 'create', '--day', String(day)])).code).toBe(0);

    const sixth = await me.run(['schedule', 'create', '--day', '6']);

    expect(sixth.code).toBe(1);
    expect(sixth.stderr).toMatch(/^error: .+/);
    expect(sixth.stderr).toContain('memberships schedule delete ID');
  });

  it('without a terminal, delete needs --yes (exit 2) and deletes nothing', async () => {
    const me = await newUserSession();
    const created = parse<ExportSchedule>(await me.run(['schedule', 'create', '--json']));

    const result = await me.run(['schedule', 'delete', created.id]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: Deleting a schedule needs confirmation, and stdin is not a terminal to ask.');
    expect(result.stderr).toContain(`hint: Pass --yes to delete without asking: memberships schedule delete ${created.id} --yes`);
    expect((await me.run(['schedule', 'show', created.id])).code).toBe(0);
  });

  it('on a terminal, delete asks first: no keeps the schedule, yes deletes it', async () => {
    const me = await newUserSession();
    const created = parse<ExportSchedule>(await me.run(['schedule', 'create', '--day', '9', '--time-zone', 'UTC', '--json']));

    const declined = runCliInPty(['schedule', 'delete', created.id], me.env);
    await declined.waitFor('(y/N)');
    // The question says what is at stake (the prompt may wrap it to the terminal's width).
    expect(declined.screen().replace(ANSI_ESCAPES, '').replace(/\s+/g, ' ')).toContain(
      `Delete schedule ${created.id} (the 9th of every month at 06:00 UTC)?`,
    );
    declined.type('n\r');
    expect((await declined.exited).code).toBe(1);
    expect(declined.screen()).toContain(`was not deleted`);
    expect((await me.run(['schedule', 'show', created.id])).code).toBe(0);

    const confirmed = runCliInPty(['schedule', 'delete', created.id], me.env);
    await confirmed.waitFor('(y/N)');
    confirmed.type('y\r');
    expect((await confirmed.exited).code).toBe(0);
    expect(confirmed.screen()).toContain(`Deleted schedule ${created.id}`);
    expect((await me.run(['schedule', 'show', created.id])).code).toBe(1);
  });
});
