import type { ExportRequest } from '@memberships/sdk';
import { UsageError } from './errors.js';

/**
 * The export flags of `memberships export` and `memberships schedule
 * create|update`, parsed, turned into the body the API takes (its
 * snake_case names). Kept free of commander so the unit tests can run it;
 * export-flags.ts declares the flags themselves. What only the API can judge
 * (an unknown time zone, a club name) it judges, and reports every bad field.
 */
export interface ExportFlags {
  readonly columns?: readonly ExportColumn[] | undefined;
  readonly status?: readonly MembershipStatus[] | undefined;
  readonly club?: string | undefined;
  readonly startedFrom?: string | undefined;
  readonly startedTo?: string | undefined;
  readonly endsFrom?: string | undefined;
  readonly endsTo?: string | undefined;
  readonly activeOn?: string | undefined;
  readonly format?: ExportRequest['format'];
  readonly delimiter?: ExportRequest['delimiter'];
  readonly bom?: boolean | undefined;
  readonly crlf?: boolean | undefined;
  readonly excel?: boolean | undefined;
  readonly locale?: string | undefined;
  /** The zone of the file's timestamps (`--time-zone` of export, `--export-time-zone` of a schedule). */
  readonly exportTimeZone?: string | undefined;
  readonly gzip?: boolean | undefined;
}

type ExportColumn = NonNullable<ExportRequest['columns']>[number];
type MembershipStatus = NonNullable<NonNullable<ExportRequest['filters']>['status']>[number];
type Filters = NonNullable<ExportRequest['filters']>;

/**
 * The request body the flags ask for, or undefined when none was given (the
 * defaults: every column and row as CSV). Flags that cannot work together
 * are a usage error (exit 2) naming them, before anything is sent.
 */
export function exportRequestFrom(flags: ExportFlags): ExportRequest | undefined {
  const format = flags.format ?? 'csv';
  if (format !== 'csv') {
    const csvOnly = (
      [
        ['--delimiter', flags.delimiter !== undefined],
        ['--bom', flags.bom],
        ['--crlf', flags.crlf],
        ['--excel', flags.excel],
      ] as const
    ).filter(([, given]) => given);
    if (csvOnly.length > 0) {
      throw new UsageError(
        `${csvOnly.map(([flag]) => flag).join(', ')} ${csvOnly.length === 1 ? 'is' : 'are'} for CSV files, not --format ${format}.`,
        `Drop ${csvOnly.length === 1 ? 'it' : 'them'}, or use --format csv.`,
      );
    }
  }
  if (flags.locale !== undefined && !flags.excel) {
    throw new UsageError('--locale picks the delimiter of the --excel preset.', `Add --excel: --excel --locale ${flags.locale}`);
  }
  checkRange('--started-from', flags.startedFrom, '--started-to', flags.startedTo);
  checkRange('--ends-from', flags.endsFrom, '--ends-to', flags.endsTo);

  const filters: Filters = {
    ...(flags.status ? { status: [...flags.status] } : {}),
    ...(flags.club !== undefined ? { club_name: flags.club } : {}),
    ...range('started_on', flags.startedFrom, flags.startedTo),
    ...range('ends_on', flags.endsFrom, flags.endsTo),
    ...(flags.activeOn !== undefined ? { active_on: flags.activeOn } : {}),
  };
  const request: ExportRequest = {
    ...(flags.columns ? { columns: [...flags.columns] } : {}),
    ...(Object.keys(filters).length > 0 ? { filters } : {}),
    ...(flags.format !== undefined ? { format: flags.format } : {}),
    ...(flags.excel ? { preset: 'excel' as const } : {}),
    ...(flags.locale !== undefined ? { locale: flags.locale } : {}),
    ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter } : {}),
    ...(flags.bom ? { bom: true } : {}),
    ...(flags.crlf ? { line_ending: 'crlf' as const } : {}),
    ...(flags.exportTimeZone !== undefined ? { time_zone: flags.exportTimeZone } : {}),
    ...(flags.gzip ? { compression: 'gzip' as const } : {}),
  };
  return Object.keys(request).length > 0 ? request : undefined;
}

function range(field: 'started_on' | 'ends_on', from: string | undefined, to: string | undefined): Partial<Filters> {
  if (from === undefined && to === undefined) return {};
  return { [field]: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) } };
}

/** Days YYYY-MM-DD compare as strings. */
function checkRange(fromFlag: string, from: string | undefined, toFlag: string, to: string | undefined): void {
  if (from !== undefined && to !== undefined && from > to) {
    throw new UsageError(`${fromFlag} ${from} is after ${toFlag} ${to}.`, 'The range runs from the first day to the last, both included.');
  }
}
