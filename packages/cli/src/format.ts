import { EXPORT_COLUMN_NAMES, wallClockFields } from '@memberships/core/contract';
import type { CurrentUser, ExportDownload, ExportJob, ExportJobOptions, ExportSchedule } from '@memberships/sdk';
import type { Style } from './output.js';

const integer = new Intl.NumberFormat('en-US');

export function formatCount(value: number): string {
  return integer.format(value);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** `2025-11-25 11:41 UTC`: the same for every reader and sortable. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `1,234 / 10,000 rows (12%)`, or `1,234 rows` while the total is not known yet. */
export function formatProgress(progress: ExportJob['progress']): string {
  const done = formatCount(progress.rows_exported);
  const total = progress.rows_total;
  if (total === null || total === undefined) return `${done} rows`;
  const percent = total === 0 ? 100 : Math.min(100, Math.floor((progress.rows_exported / total) * 100));
  return `${done} / ${formatCount(total)} rows (${percent}%)`;
}

export function styleState(state: ExportJob['state'], style: Style): string {
  switch (state) {
    case 'succeeded':
      return style.green(state);
    case 'failed':
      return style.red(state);
    case 'running':
      return style.cyan(state);
    // Ended without a file to get (any more): nothing went wrong, nothing to fetch.
    case 'canceled':
    case 'expired':
      return style.dim(state);
    default:
      return style.yellow(state);
  }
}

const DELIMITER_NAMES: Readonly<Record<string, string>> = { ',': 'comma', ';': 'semicolon', '\t': 'tab' };

/**
 * An export's options, compact, as label and value: `csv (semicolon, BOM,
 * CRLF), gzip`, `all 14` or the columns in order, the filters, the zone.
 * An API from before options sends none: the file of then, every column as CSV.
 */
export function exportOptionLines(options: ExportJobOptions | undefined): [label: string, value: string][] {
  if (!options) return [['Format', 'csv']];
  const dialect =
    options.format === 'csv'
      ? ` (${[
          DELIMITER_NAMES[options.delimiter ?? ','] ?? options.delimiter,
          options.bom ? 'BOM' : '',
          options.line_ending === 'crlf' ? 'CRLF' : '',
        ]
          .filter(Boolean)
          .join(', ')})`
      : '';
  const all = options.columns.length === EXPORT_COLUMN_NAMES.length && options.columns.every((name, i) => name === EXPORT_COLUMN_NAMES[i]);
  const { status, club_name, started_on, ends_on, active_on } = options.filters;
  const range = (label: string, r: { from?: string; to?: string } | undefined) => (r ? `${label} ${r.from ?? '…'} to ${r.to ?? '…'}` : '');
  const filters = [
    status ? `status ${status.join(',')}` : '',
    club_name !== undefined ? `club ${JSON.stringify(club_name)}` : '',
    range('started', started_on),
    range('ends', ends_on),
    active_on ? `active on ${active_on}` : '',
  ].filter(Boolean);
  return [
    ['Format', `${options.format}${dialect}${options.compression === 'gzip' ? ', gzip' : ''}`],
    ['Columns', all ? `all ${options.columns.length}` : options.columns.join(',')],
    ['Filters', filters.length > 0 ? filters.join('; ') : 'none'],
    ['Zone', options.time_zone],
  ];
}

/** The options in one line each, for notes: `Format csv (comma)`. */
export function describeExportOptions(options: ExportJobOptions | undefined): string[] {
  return exportOptionLines(options).map(([label, value]) => `${label.toLowerCase()} ${value}`);
}

/** The detail view of `exports show`. */
export function describeJob(job: ExportJob, style: Style): string[] {
  const lines = [
    `${style.bold('Export')}    ${job.id}`,
    `State     ${styleState(job.state, style)}`,
    `Trigger   ${job.trigger}`,
    `Created   ${formatTime(job.created_at)}`,
  ];
  if (job.started_at) lines.push(`Started   ${formatTime(job.started_at)}`);
  if (job.finished_at) lines.push(`Finished  ${formatTime(job.finished_at)}`);
  lines.push(`Attempts  ${job.attempts}`, `Progress  ${formatProgress(job.progress)}`);
  for (const [label, value] of exportOptionLines(job.options)) lines.push(`${label.padEnd(9)} ${value}`);
  if (job.file) {
    lines.push(`File      ${formatCount(job.file.rows)} rows, ${formatBytes(job.file.bytes)}, ${job.file.content_type}`);
    lines.push(`SHA-256   ${job.file.sha256}`);
  }
  if (job.delivery)
    lines.push(`Emailed   to ${job.delivery.to} ${deliveryMethod(job.delivery.method)}, ${formatTime(job.delivery.emailed_at)}`);
  if (job.expires_at) lines.push(`${job.state === 'expired' ? 'Expired' : 'Expires'}   ${formatTime(job.expires_at)}`);
  if (job.download_count !== undefined) lines.push(`Downloads ${formatDownloads(job)}`);
  if (job.error) lines.push(`Error     ${style.red(job.error.message)} (${job.error.code})`);
  return lines;
}

function deliveryMethod(method: NonNullable<ExportJob['delivery']>['method']): string {
  switch (method) {
    case 'attachment':
      return 'as an attachment';
    case 'link':
      return 'as a download link';
    // The account turned emailed links off: the email says to download it here.
    default:
      return 'without a link (emailed links are off)';
  }
}

/** `2, last 2026-12-01 09:30 UTC`, or `none yet`. */
export function formatDownloads(downloads: { download_count?: number | undefined; last_downloaded_at?: string | undefined }): string {
  const count = downloads.download_count ?? 0;
  if (count === 0) return 'none yet';
  return `${formatCount(count)}${downloads.last_downloaded_at ? `, last ${formatTime(downloads.last_downloaded_at)}` : ''}`;
}

/** The table of `exports downloads`, newest first as the API lists them. */
export function downloadTable(items: readonly ExportDownload[], style: Style): string[] {
  const header = ['WHEN', 'VIA', 'ADDRESS', 'USER AGENT'];
  const rows = items.map((item) => [formatTime(item.at), item.via, item.client_address, item.user_agent ?? '-']);
  return columns(header, rows, style, (cell) => cell);
}

/** The table of `exports list`. */
export function jobTable(jobs: readonly ExportJob[], style: Style): string[] {
  const rows = jobs.map((job) => [
    job.id,
    job.state,
    formatTime(job.created_at),
    job.file ? formatCount(job.file.rows) : job.progress.rows_exported ? formatCount(job.progress.rows_exported) : '-',
    job.trigger,
  ]);
  const header = ['ID', 'STATE', 'CREATED', 'ROWS', 'TRIGGER'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const pad = (cells: string[], paint?: (cell: string, column: number) => string): string =>
    cells
      .map((cell, column) => {
        const width = widths[column] ?? cell.length;
        const padded = column === 3 ? cell.padStart(width) : cell.padEnd(width);
        return paint ? padded.replace(cell, paint(cell, column)) : padded;
      })
      .join('  ')
      .trimEnd();
  return [
    style.bold(pad(header)),
    ...rows.map((row, index) => pad(row, (cell, column) => (column === 1 ? styleState(jobs[index]?.state ?? 'queued', style) : cell))),
  ];
}

export function describeUser(user: CurrentUser): string[] {
  return [
    `${user.email}`,
    `id             ${user.id}`,
    `scopes         ${user.scopes.join(' ') || '-'}`,
    `emailed links  ${onOff(user.emailed_download_links)}`,
  ];
}

/** How `settings emailed-links` and `whoami` say the setting; an API that does not send it yet has them on. */
export function onOff(enabled: boolean | undefined): 'on' | 'off' {
  return enabled === false ? 'off' : 'on';
}

/** `2025-12-01 06:00`: the wall-clock time of `iso` in `timeZone`, read as the API computes schedules' times. */
export function formatWallTime(iso: string, timeZone: string): string {
  const at = wallClockFields(Date.parse(iso), timeZone);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${at.year}-${two(at.month)}-${two(at.day)} ${two(at.hour)}:${two(at.minute)}`;
}

/** `1st`, `2nd`, `3rd`, `4th` … `21st` … `28th`. */
export function ordinal(day: number): string {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  switch (day % 10) {
    case 1:
      return `${day}st`;
    case 2:
      return `${day}nd`;
    case 3:
      return `${day}rd`;
    default:
      return `${day}th`;
  }
}

/** `the 1st of every month at 06:00 Europe/Berlin`. */
export function describeTiming(schedule: Pick<ExportSchedule, 'day_of_month' | 'time_of_day' | 'time_zone'>): string {
  return `the ${ordinal(schedule.day_of_month)} of every month at ${schedule.time_of_day} ${schedule.time_zone}`;
}

/**
 * The next run in the reader's own time and in the schedule's zone (once
 * when they are the same): `2025-12-01 00:00 your time (America/New_York) =
 * 2025-12-01 06:00 Europe/Berlin`. `localZone` undefined means UTC.
 */
export function formatNextRun(schedule: Pick<ExportSchedule, 'next_run_at' | 'time_zone'>, localZone: string | undefined): string {
  if (!schedule.next_run_at) return 'none while paused';
  const mine = localZone ?? 'UTC';
  const there = `${formatWallTime(schedule.next_run_at, schedule.time_zone)} ${schedule.time_zone}`;
  if (sameZone(mine, schedule.time_zone)) return `${there} (your time)`;
  return `${formatWallTime(schedule.next_run_at, mine)} your time (${mine}) = ${there}`;
}

/** Two names of one zone (`Asia/Kolkata`, `asia/calcutta`) count as the same. */
function sameZone(a: string, b: string): boolean {
  const canonical = (zone: string): string => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone.toLowerCase();
    } catch {
      return zone.toLowerCase();
    }
  };
  return canonical(a) === canonical(b);
}

export function styleScheduleState(state: ExportSchedule['state'], style: Style): string {
  return state === 'active' ? style.green(state) : style.yellow(state);
}

/** The detail view of `schedule show` (and of create, pause, resume). */
export function describeSchedule(schedule: ExportSchedule, style: Style, localZone: string | undefined): string[] {
  const nextRun =
    schedule.state === 'paused' || !schedule.next_run_at
      ? `none while paused (resume with: memberships schedule resume ${schedule.id})`
      : formatNextRun(schedule, localZone);
  return [
    `${style.bold('Schedule')}  ${schedule.id}`,
    `State     ${styleScheduleState(schedule.state, style)}`,
    `Runs      ${describeTiming(schedule)}`,
    `Next run  ${nextRun}`,
    ...(schedule.last_run_at ? [`Last run  ${formatTime(schedule.last_run_at)}`] : []),
    `Created   ${formatTime(schedule.created_at)}`,
    `Updated   ${formatTime(schedule.updated_at)}`,
    // What every monthly file holds; `Zone` is its timestamps' zone, `Runs` says when it runs.
    ...exportOptionLines(schedule.export).map(([label, value]) => `${label.padEnd(9)} ${value}`),
  ];
}

/** The table of `schedule list`; the next run is in the reader's own zone, named in the header. */
export function scheduleTable(schedules: readonly ExportSchedule[], style: Style, localZone: string | undefined): string[] {
  const mine = localZone ?? 'UTC';
  const header = ['ID', 'STATE', 'DAY', 'TIME', 'TIME ZONE', `NEXT RUN (${mine})`];
  const rows = schedules.map((schedule) => [
    schedule.id,
    schedule.state,
    String(schedule.day_of_month),
    schedule.time_of_day,
    schedule.time_zone,
    schedule.next_run_at ? formatWallTime(schedule.next_run_at, mine) : '-',
  ]);
  return columns(header, rows, style, (cell, column, row) =>
    column === 1 ? styleScheduleState(schedules[row]?.state ?? 'active', style) : cell,
  );
}

/** Left-aligned columns two spaces apart; `paint` colours a cell without upsetting the widths. */
export function columns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  style: Style,
  paint: (cell: string, column: number, row: number) => string,
): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[], colour: (cell: string, column: number) => string): string =>
    cells
      .map((cell, column) => colour(cell, column) + ' '.repeat(Math.max(0, (widths[column] ?? 0) - cell.length)))
      .join('  ')
      .trimEnd();
  return [style.bold(line(header, (cell) => cell)), ...rows.map((row, index) => line(row, (cell, column) => paint(cell, column, index)))];
}
