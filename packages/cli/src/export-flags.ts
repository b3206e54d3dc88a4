import type { Command } from 'commander';
import type { ExportRequest } from '@memberships/sdk';
import { exportRequestFrom, type ExportFlags } from './export-request.js';
import { clubName, columnList, csvDelimiter, exportFormat, isoDate, locale, statusList, timeZone } from './option-parsers.js';

/**
 * The flags that choose what an export file holds, declared once for
 * `memberships export` and `memberships schedule create|update`, so both
 * spell them alike (and completion, built from the command tree, offers
 * them). A schedule has a `--time-zone` of its own (when it runs), so there
 * the file's zone is `--export-time-zone`.
 */
export type ZoneFlag = '--time-zone' | '--export-time-zone';

export function addExportFlags(command: Command, zoneFlag: ZoneFlag): Command {
  return command
    .option('--columns <list>', 'columns in this order, comma-separated (e.g. id,club_name,status; default: all)', columnList)
    .option('--status <list>', 'only memberships in these states: active, paused, cancelled, expired (comma list or repeated)', statusList)
    .option('--club <name>', 'only memberships of the club of exactly this name', clubName)
    .option('--started-from <day>', 'only memberships started on or after this day (YYYY-MM-DD)', isoDate)
    .option('--started-to <day>', 'only memberships started on or before this day', isoDate)
    .option('--ends-from <day>', 'only memberships ending on or after this day', isoDate)
    .option('--ends-to <day>', 'only memberships ending on or before this day', isoDate)
    .option('--active-on <day>', 'only memberships running on this day', isoDate)
    .option('--format <format>', 'csv, xlsx or jsonl (default: csv)', exportFormat)
    .option('--delimiter <delimiter>', 'CSV field separator: comma, semicolon or tab (or , ;)', csvDelimiter)
    .option('--bom', 'start the CSV with a UTF-8 byte order mark (spreadsheets then read accents right)')
    .option('--crlf', 'end CSV records with CRLF instead of LF')
    .option('--excel', 'CSV as a spreadsheet expects it: BOM, CRLF and the delimiter of --locale')
    .option('--locale <locale>', 'with --excel: whose delimiter, e.g. de-DE (;) or en-GB (,); default en', locale)
    .option(
      `${zoneFlag} <zone>`,
      zoneFlag === '--time-zone'
        ? 'IANA time zone of the timestamps in the file (default: UTC)'
        : "IANA time zone of the file's timestamps (default: UTC; --time-zone is when it runs)",
      timeZone,
    )
    .option('--gzip', 'gzip the file (.csv.gz, .xlsx.gz, .jsonl.gz)');
}

/** What commander parsed from the flags above, as the options object names them. */
export interface ParsedExportFlags extends Omit<ExportFlags, 'exportTimeZone'> {
  readonly timeZone?: string | undefined;
  readonly exportTimeZone?: string | undefined;
}

/** The request body of the parsed flags (undefined when none was given); cross-flag mistakes are usage errors. */
export function exportRequestOf(options: ParsedExportFlags, zoneFlag: ZoneFlag): ExportRequest | undefined {
  return exportRequestFrom({ ...options, exportTimeZone: zoneFlag === '--time-zone' ? options.timeZone : options.exportTimeZone });
}

/** Help lines shared by the commands that take the flags. */
export const EXPORT_FLAGS_HELP = `Columns: id, uuid, club_name, club_city, plan, status, started_on, ends_on, price,
currency, auto_renew, notes, created_at, updated_at. Filters combine (all must hold);
day ranges include both ends. Every bad value the API finds is listed at once.`;
