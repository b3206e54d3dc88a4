import type { CurrentUser, ExportJob } from '@memberships/sdk';
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
    default:
      return style.yellow(state);
  }
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
  if (job.file) {
    lines.push(`File      ${formatCount(job.file.rows)} rows, ${formatBytes(job.file.bytes)}, ${job.file.content_type}`);
    lines.push(`SHA-256   ${job.file.sha256}`);
  }
  if (job.delivery) {
    const how = job.delivery.method === 'attachment' ? 'as an attachment' : 'as a download link';
    lines.push(`Emailed   to ${job.delivery.to} ${how}, ${formatTime(job.delivery.emailed_at)}`);
  }
  if (job.error) lines.push(`Error     ${style.red(job.error.message)} (${job.error.code})`);
  return lines;
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
    ...rows.map((row, index) =>
      pad(row, (cell, column) => (column === 1 ? styleState(jobs[index]?.state ?? 'queued', style) : cell)),
    ),
  ];
}

export function describeUser(user: CurrentUser): string[] {
  return [`${user.email}`, `id      ${user.id}`, `scopes  ${user.scopes.join(' ') || '-'}`];
}
