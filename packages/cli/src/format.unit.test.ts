import type { CurrentUser, ExportJob, ExportJobOptions, ExportSchedule } from '@memberships/sdk';
import {
  describeJob,
  exportOptionLines,
  describeSchedule,
  describeUser,
  downloadTable,
  formatBytes,
  formatDownloads,
  formatNextRun,
  formatProgress,
  formatTime,
  formatWallTime,
  jobTable,
  ordinal,
  scheduleTable,
} from './format.js';
import { styleFor } from './output.js';

const plain = styleFor({ isTTY: false }, false);

function job(overrides: Partial<ExportJob>): ExportJob {
  return {
    id: 'job-1',
    state: 'succeeded',
    trigger: 'api',
    created_at: '2025-11-25T11:41:07.123Z',
    updated_at: '2025-11-25T11:41:09.000Z',
    attempts: 1,
    progress: { rows_exported: 0, rows_total: null },
    links: { self: '/v1/exports/job-1' },
    ...overrides,
  } as ExportJob;
}

describe('formatting', () => {
  it('shows progress as rows done / total with a percentage', () => {
    expect(formatProgress({ rows_exported: 1234, rows_total: 10000 })).toBe('1,234 / 10,000 rows (12%)');
    expect(formatProgress({ rows_exported: 0, rows_total: 0 })).toBe('0 / 0 rows (100%)');
    expect(formatProgress({ rows_exported: 17, rows_total: null })).toBe('17 rows');
  });

  it('shows sizes in binary units and times in UTC', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatTime('2025-11-25T11:41:07.123Z')).toBe('2025-11-25 11:41 UTC');
    expect(formatTime(undefined)).toBe('-');
  });

  it('lines the job table up in columns', () => {
    const lines = jobTable(
      [
        job({ id: 'a-long-job-id', file: { rows: 1500, bytes: 1, sha256: 'x', content_type: 'text/csv' } }),
        job({ id: 'short', state: 'running', progress: { rows_exported: 20, rows_total: 100 } }),
      ],
      plain,
    );
    expect(lines).toEqual([
      'ID             STATE      CREATED                ROWS  TRIGGER',
      'a-long-job-id  succeeded  2025-11-25 11:41 UTC  1,500  api',
      'short          running    2025-11-25 11:41 UTC     20  api',
    ]);
  });
});

describe('downloads and delivery', () => {
  const file = { rows: 1500, bytes: 2048, sha256: 'a'.repeat(64), content_type: 'text/csv; charset=utf-8' };
  const succeeded = (overrides: Partial<ExportJob>) =>
    job({ file, finished_at: '2025-11-25T11:41:09.000Z', expires_at: '2025-12-02T11:41:09.000Z', download_count: 0, ...overrides });

  it('shows how often the file was downloaded and when last, after when it expires', () => {
    const lines = describeJob(succeeded({ download_count: 1234, last_downloaded_at: '2025-11-26T08:05:00.000Z' }), plain);
    expect(lines.slice(-2)).toEqual(['Expires   2025-12-02 11:41 UTC', 'Downloads 1,234, last 2025-11-26 08:05 UTC']);
    expect(describeJob(succeeded({}), plain)).toContain('Downloads none yet');
    // A job without a file has nothing to download: no line rather than "none yet".
    expect(describeJob(job({ state: 'running' }), plain).some((line) => line.startsWith('Downloads'))).toBe(false);
  });

  it('says how the file was emailed, without a link when emailed links are off', () => {
    const emailed = (method: 'attachment' | 'link' | 'app') =>
      describeJob(succeeded({ delivery: { method, to: 'ann@example.test', emailed_at: '2025-11-25T11:41:09.000Z' } }), plain).find((line) =>
        line.startsWith('Emailed'),
      );
    expect(emailed('attachment')).toBe('Emailed   to ann@example.test as an attachment, 2025-11-25 11:41 UTC');
    expect(emailed('link')).toBe('Emailed   to ann@example.test as a download link, 2025-11-25 11:41 UTC');
    expect(emailed('app')).toBe('Emailed   to ann@example.test without a link (emailed links are off), 2025-11-25 11:41 UTC');
  });

  it('counts downloads in words', () => {
    expect(formatDownloads({ download_count: 0 })).toBe('none yet');
    expect(formatDownloads({})).toBe('none yet');
    expect(formatDownloads({ download_count: 2, last_downloaded_at: '2025-11-26T08:05:59.000Z' })).toBe('2, last 2025-11-26 08:05 UTC');
  });

  it('lines the download table up, a dash for a missing user agent', () => {
    expect(
      downloadTable(
        [
          { at: '2025-11-26T08:05:00.000Z', via: 'email_link', client_address: '2001:db8::7', user_agent: 'Mozilla/5.0' },
          { at: '2025-11-25T12:00:00.000Z', via: 'cli', client_address: '203.0.113.9' },
        ],
        plain,
      ),
    ).toEqual([
      'WHEN                  VIA         ADDRESS      USER AGENT',
      '2025-11-26 08:05 UTC  email_link  2001:db8::7  Mozilla/5.0',
      '2025-11-25 12:00 UTC  cli         203.0.113.9  -',
    ]);
  });

  it('shows whether emailed links are on for the account', () => {
    const user: Omit<CurrentUser, 'emailed_download_links'> = {
      id: 'user-1',
      email: 'ann@example.test',
      scopes: ['exports:read', 'exports:write'],
      profile: {},
      created_at: '2025-01-01T00:00:00.000Z',
    };
    expect(describeUser({ ...user, emailed_download_links: false })).toEqual([
      'ann@example.test',
      'id             user-1',
      'scopes         exports:read exports:write',
      'emailed links  off',
    ]);
    expect(describeUser({ ...user, emailed_download_links: true }).at(-1)).toBe('emailed links  on');
  });
});

function schedule(overrides: Partial<ExportSchedule>): ExportSchedule {
  return {
    id: '6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
    day_of_month: 1,
    time_of_day: '06:00',
    time_zone: 'Europe/Berlin',
    export: {
      columns: [
        'id',
        'uuid',
        'club_name',
        'club_city',
        'plan',
        'status',
        'started_on',
        'ends_on',
        'price',
        'currency',
        'auto_renew',
        'notes',
        'created_at',
        'updated_at',
      ],
      filters: {},
      format: 'csv',
      delimiter: ',',
      bom: false,
      line_ending: 'lf',
      time_zone: 'UTC',
      compression: 'none',
    },
    state: 'active',
    created_at: '2025-11-25T11:41:07.123Z',
    updated_at: '2025-11-25T11:41:07.123Z',
    // 06:00 in Berlin in winter (UTC+1).
    next_run_at: '2025-12-01T05:00:00Z',
    links: { self: '/v1/export-schedules/6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f' },
    ...overrides,
  };
}

describe('schedule formatting', () => {
  it('shows an instant as wall-clock time in any zone, daylight saving included', () => {
    expect(formatWallTime('2025-12-01T05:00:00Z', 'Europe/Berlin')).toBe('2025-12-01 06:00');
    expect(formatWallTime('2025-07-01T04:00:00Z', 'Europe/Berlin')).toBe('2025-07-01 06:00');
    expect(formatWallTime('2025-12-01T05:00:00Z', 'America/Los_Angeles')).toBe('2025-11-30 21:00');
    expect(formatWallTime('2025-12-01T00:30:00Z', 'UTC')).toBe('2025-12-01 00:30');
  });

  it('writes days as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 28].map(ordinal)).toEqual([
      '1st',
      '2nd',
      '3rd',
      '4th',
      '11th',
      '12th',
      '13th',
      '21st',
      '22nd',
      '23rd',
      '28th',
    ]);
  });

  it("gives the next run in the reader's time and in the schedule's zone, once when they are the same", () => {
    expect(formatNextRun(schedule({}), 'America/Los_Angeles')).toBe(
      '2025-11-30 21:00 your time (America/Los_Angeles) = 2025-12-01 06:00 Europe/Berlin',
    );
    expect(formatNextRun(schedule({}), 'Europe/Berlin')).toBe('2025-12-01 06:00 Europe/Berlin (your time)');
    expect(formatNextRun(schedule({ time_zone: 'Asia/Kolkata', next_run_at: '2025-12-01T00:30:00Z' }), 'Asia/Calcutta')).toBe(
      '2025-12-01 06:00 Asia/Kolkata (your time)',
    );
    expect(formatNextRun(schedule({}), undefined)).toBe('2025-12-01 05:00 your time (UTC) = 2025-12-01 06:00 Europe/Berlin');
    expect(formatNextRun(schedule({ state: 'paused', next_run_at: null }), 'UTC')).toBe('none while paused');
  });

  it("shows a job's options compact: format and dialect, columns, filters, zone", () => {
    const options: ExportJobOptions = {
      columns: ['id', 'club_name', 'status'],
      filters: {
        status: ['active', 'paused'],
        club_name: 'Zürich "Nord"',
        started_on: { from: '2025-01-01' },
        ends_on: { from: '2026-01-01', to: '2026-12-31' },
        active_on: '2026-06-30',
      },
      format: 'csv',
      delimiter: ';',
      bom: true,
      line_ending: 'crlf',
      time_zone: 'Europe/Berlin',
      compression: 'gzip',
    };
    expect(exportOptionLines(options)).toEqual([
      ['Format', 'csv (semicolon, BOM, CRLF), gzip'],
      ['Columns', 'id,club_name,status'],
      [
        'Filters',
        'status active,paused; club "Zürich \\"Nord\\""; started 2025-01-01 to …; ends 2026-01-01 to 2026-12-31; active on 2026-06-30',
      ],
      ['Zone', 'Europe/Berlin'],
    ]);
    expect(exportOptionLines({ ...options, format: 'xlsx', compression: 'none', filters: {} })[0]).toEqual(['Format', 'xlsx']);
    expect(describeJob({ ...job({}), options: { ...options, format: 'jsonl', filters: {} } }, plain)).toEqual(
      expect.arrayContaining(['Format    jsonl, gzip', 'Columns   id,club_name,status', 'Filters   none', 'Zone      Europe/Berlin']),
    );
    // An API from before options: its files were CSV.
    expect(exportOptionLines(undefined)).toEqual([['Format', 'csv']]);
  });

  it('describes a schedule for a person, saying how to resume a paused one', () => {
    expect(describeSchedule(schedule({}), plain, 'America/New_York')).toEqual([
      'Schedule  6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f',
      'State     active',
      'Runs      the 1st of every month at 06:00 Europe/Berlin',
      'Next run  2025-12-01 00:00 your time (America/New_York) = 2025-12-01 06:00 Europe/Berlin',
      'Created   2025-11-25 11:41 UTC',
      'Updated   2025-11-25 11:41 UTC',
      'Format    csv (comma)',
      'Columns   all 14',
      'Filters   none',
      'Zone      UTC',
    ]);
    const ran = describeSchedule(schedule({ last_run_at: '2025-11-01T05:00:00Z' }), plain, 'UTC');
    expect(ran[4]).toBe('Last run  2025-11-01 05:00 UTC');
    const paused = describeSchedule(schedule({ state: 'paused', next_run_at: null, day_of_month: 22 }), plain, 'UTC');
    expect(paused).toContain('State     paused');
    expect(paused).toContain('Runs      the 22nd of every month at 06:00 Europe/Berlin');
    expect(paused).toContain('Next run  none while paused (resume with: memberships schedule resume 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f)');
  });

  it("lines the schedule table up, with next runs in the reader's zone named in the header", () => {
    const lines = scheduleTable(
      [
        schedule({}),
        schedule({
          id: 'b2',
          state: 'paused',
          next_run_at: null,
          day_of_month: 15,
          time_of_day: '18:30',
          time_zone: 'America/Argentina/Buenos_Aires',
        }),
      ],
      plain,
      'Asia/Tokyo',
    );
    expect(lines).toEqual([
      'ID                                    STATE   DAY  TIME   TIME ZONE                       NEXT RUN (Asia/Tokyo)',
      '6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f  active  1    06:00  Europe/Berlin                   2025-12-01 14:00',
      'b2                                    paused  15   18:30  America/Argentina/Buenos_Aires  -',
    ]);
  });

  it('colours states on a terminal without breaking the columns', () => {
    const colour = styleFor({ isTTY: true }, false);
    const [, active] = scheduleTable([schedule({})], colour, 'UTC');
    expect(active).toContain('\u001b[32mactive\u001b[39m  1 ');
  });
});
