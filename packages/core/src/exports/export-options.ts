import { normalizeTimeZone } from '../schedules/schedule';

/**
 * What a person may choose about their export file: which columns in which
 * order, which rows, the format, the CSV dialect a spreadsheet of their
 * locale expects, the time zone of timestamps, and compression. One
 * definition for every part: the API validates a request body into
 * ExportOptions (every bad field reported at once), the job stores them, the
 * v2 message carries them, the worker's query builder and writers obey them,
 * the SDK and CLI mirror them. The defaults give the file of before options
 * existed, byte for byte.
 */

/** The columns of the export, in their documented (default) order, with what they hold. */
export const EXPORT_COLUMNS = [
  { name: 'id', type: 'integer' },
  { name: 'uuid', type: 'uuid' },
  { name: 'club_name', type: 'text' },
  { name: 'club_city', type: 'text' },
  { name: 'plan', type: 'text' },
  { name: 'status', type: 'code' },
  { name: 'started_on', type: 'date' },
  { name: 'ends_on', type: 'date' },
  { name: 'price', type: 'decimal' },
  { name: 'currency', type: 'code' },
  { name: 'auto_renew', type: 'boolean' },
  { name: 'notes', type: 'text' },
  { name: 'created_at', type: 'timestamp' },
  { name: 'updated_at', type: 'timestamp' },
] as const satisfies readonly { readonly name: string; readonly type: ColumnType }[];

/**
 * `text` is what people typed (neutralised against formulas, always quoted
 * in CSV); `code` a fixed vocabulary (status, ISO 4217); `date` a calendar
 * day that no time zone shifts; `timestamp` an instant shown in the chosen zone.
 */
export type ColumnType = 'integer' | 'uuid' | 'text' | 'code' | 'date' | 'decimal' | 'boolean' | 'timestamp';
export type ExportColumnName = (typeof EXPORT_COLUMNS)[number]['name'];
export const EXPORT_COLUMN_NAMES: readonly ExportColumnName[] = EXPORT_COLUMNS.map((column) => column.name);

export const MEMBERSHIP_STATUSES = ['active', 'paused', 'cancelled', 'expired'] as const;
export type MembershipStatus = (typeof MEMBERSHIP_STATUSES)[number];

export const EXPORT_FORMATS = ['csv', 'xlsx', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const CSV_DELIMITERS = [',', ';', '\t'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];
export const LINE_ENDINGS = ['lf', 'crlf'] as const;
export type LineEnding = (typeof LINE_ENDINGS)[number];
export const DECIMAL_SEPARATORS = ['.', ','] as const;
export type DecimalSeparator = (typeof DECIMAL_SEPARATORS)[number];
export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** An inclusive range of calendar days, either end open. */
export interface DateRange {
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface ExportFilters {
  /** Only memberships in one of these states. */
  readonly status?: readonly MembershipStatus[] | undefined;
  /** Only memberships of this club (exact name, as stored). */
  readonly clubName?: string | undefined;
  readonly startedOn?: DateRange | undefined;
  readonly endsOn?: DateRange | undefined;
  /** Only memberships running on this day: started on or before it, and not ended before it. */
  readonly activeOn?: string | undefined;
}

export interface CsvDialect {
  readonly delimiter: CsvDelimiter;
  /** A UTF-8 byte order mark first, so spreadsheets read the file as UTF-8 (`Zürich`, not `ZÃ¼rich`). */
  readonly bom: boolean;
  readonly lineEnding: LineEnding;
  /**
   * Of the decimal column (price): `,` where the spreadsheet's locale writes
   * decimals with a comma, so `12,50` imports as a number there; never with
   * the `,` delimiter. Absent: `.`.
   */
  readonly decimalSeparator?: DecimalSeparator | undefined;
}

/** Options of one export, complete (every default filled in): what is stored on the job and sent to the worker. */
export interface ExportOptions {
  readonly columns: readonly ExportColumnName[];
  readonly filters: ExportFilters;
  readonly format: ExportFormat;
  /** CSV only (ignored for xlsx and jsonl, and then left at its defaults). */
  readonly csv: CsvDialect;
  /** IANA zone of the timestamp columns (ISO 8601 with that zone's offset); date columns are never shifted. */
  readonly timeZone: string;
  readonly compression: Compression;
}

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = Object.freeze({
  columns: EXPORT_COLUMN_NAMES,
  filters: Object.freeze({}),
  format: 'csv',
  csv: Object.freeze({ delimiter: ',', bom: false, lineEnding: 'lf' }),
  timeZone: 'UTC',
  compression: 'none',
});

/** The options as the API's JSON spells them (request body of POST /v1/exports and the job's `options`). */
export interface ExportOptionsBody {
  readonly columns?: readonly string[];
  readonly filters?: {
    readonly status?: readonly string[];
    readonly club_name?: string;
    readonly started_on?: DateRange;
    readonly ends_on?: DateRange;
    readonly active_on?: string;
  };
  readonly format?: string;
  readonly delimiter?: string;
  readonly bom?: boolean;
  readonly line_ending?: string;
  readonly decimal_separator?: string;
  /** `excel`: BOM + CRLF + the delimiter and decimal separator spreadsheets use under `locale`. Explicit fields win over it. */
  readonly preset?: string;
  /** BCP 47 locale for the `excel` preset's delimiter (default `en`): `;` where the decimal separator is a comma. */
  readonly locale?: string;
  readonly time_zone?: string;
  readonly compression?: string;
}

export interface OptionsProblem {
  /** The field in the API's spelling, dotted: `filters.started_on.from`. */
  readonly field: string;
  readonly message: string;
}

export type OptionsResult =
  | { readonly ok: true; readonly options: ExportOptions }
  | { readonly ok: false; readonly problems: readonly OptionsProblem[] };

export const EXPORT_PRESETS = ['excel'] as const;
/** Longest club name a filter accepts (names are short; this bounds the statement). */
export const MAX_CLUB_NAME_LENGTH = 200;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
/** No control characters and no unpaired surrogates in a filter value. */
const CONTROL = /[\p{Cc}\p{Cs}]/u;

/**
 * Validates the API's body into complete options; every problem at once.
 * Unknown fields are the schema's to reject; this checks values and their
 * combinations.
 */
export function parseExportOptions(body: ExportOptionsBody = {}): OptionsResult {
  const problems: OptionsProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  let columns: readonly ExportColumnName[] = DEFAULT_EXPORT_OPTIONS.columns;
  if (body.columns !== undefined) {
    if (body.columns.length === 0) problem('columns', 'must name at least one column');
    const seen = new Set<string>();
    body.columns.forEach((name, index) => {
      if (!(EXPORT_COLUMN_NAMES as readonly string[]).includes(name)) {
        problem(`columns.${index}`, `is not a column; choose from ${EXPORT_COLUMN_NAMES.join(', ')}`);
      } else if (seen.has(name)) {
        problem(`columns.${index}`, `names ${name} twice`);
      }
      seen.add(name);
    });
    columns = body.columns as readonly ExportColumnName[];
  }

  const filters = parseFilters(body.filters, problem);

  const format = pick(body.format, EXPORT_FORMATS, 'format', DEFAULT_EXPORT_OPTIONS.format, problem);
  const compression = pick(body.compression, COMPRESSIONS, 'compression', DEFAULT_EXPORT_OPTIONS.compression, problem);

  let preset: CsvDialect = DEFAULT_EXPORT_OPTIONS.csv;
  if (body.preset !== undefined) {
    if (!(EXPORT_PRESETS as readonly string[]).includes(body.preset)) problem('preset', `must be one of ${EXPORT_PRESETS.join(', ')}`);
    else if (body.locale !== undefined && !isLocale(body.locale)) problem('locale', 'is not a BCP 47 locale such as de-DE or en-GB');
    else {
      const delimiter = excelDelimiter(body.locale ?? 'en');
      // Where the decimal separator is a comma, the delimiter is `;` and prices import as numbers only as `12,50`.
      preset = { delimiter, bom: true, lineEnding: 'crlf', decimalSeparator: delimiter === ';' ? ',' : '.' };
    }
  } else if (body.locale !== undefined) {
    problem('locale', 'is only used with preset: excel');
  }
  const delimiter = pick(body.delimiter, CSV_DELIMITERS, 'delimiter', preset.delimiter, problem);
  const lineEnding = pick(body.line_ending, LINE_ENDINGS, 'line_ending', preset.lineEnding, problem);
  const bom = body.bom ?? preset.bom;
  const decimalSeparator = pick(body.decimal_separator, DECIMAL_SEPARATORS, 'decimal_separator', preset.decimalSeparator ?? '.', problem);
  if (decimalSeparator === ',' && delimiter === ',') problem('decimal_separator', 'cannot be `,` with the `,` delimiter');
  const csvFields = ['delimiter', 'bom', 'line_ending', 'decimal_separator', 'preset', 'locale'] as const;
  if (format !== 'csv') {
    for (const field of csvFields) if (body[field] !== undefined) problem(field, `applies to format csv only, not ${format}`);
  }

  let timeZone = DEFAULT_EXPORT_OPTIONS.timeZone;
  if (body.time_zone !== undefined) {
    const zone = normalizeTimeZone(body.time_zone);
    if (zone === undefined) problem('time_zone', 'is not an IANA time zone such as Europe/Berlin');
    else timeZone = zone;
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    options: {
      columns,
      filters,
      format,
      csv:
        format === 'csv'
          ? { delimiter, bom, lineEnding, ...(decimalSeparator === ',' ? { decimalSeparator } : {}) }
          : DEFAULT_EXPORT_OPTIONS.csv,
      timeZone,
      compression,
    },
  };
}

/** The options in the API's JSON spelling, complete: what a job shows. */
export function exportOptionsResource(options: ExportOptions) {
  const { filters } = options;
  return {
    columns: [...options.columns],
    filters: {
      ...(filters.status ? { status: [...filters.status] } : {}),
      ...(filters.clubName !== undefined ? { club_name: filters.clubName } : {}),
      ...(filters.startedOn ? { started_on: { ...filters.startedOn } } : {}),
      ...(filters.endsOn ? { ends_on: { ...filters.endsOn } } : {}),
      ...(filters.activeOn ? { active_on: filters.activeOn } : {}),
    },
    format: options.format,
    ...(options.format === 'csv'
      ? {
          delimiter: options.csv.delimiter,
          bom: options.csv.bom,
          line_ending: options.csv.lineEnding,
          decimal_separator: options.csv.decimalSeparator ?? '.',
        }
      : {}),
    time_zone: options.timeZone,
    compression: options.compression,
  };
}

/** Whether `options` give the file of before options existed (the v1 message then suffices). */
export function isDefaultExportOptions(options: ExportOptions): boolean {
  return JSON.stringify(options) === JSON.stringify(DEFAULT_EXPORT_OPTIONS);
}

/**
 * The delimiter a spreadsheet uses for CSV under `locale`: `;` where the
 * decimal separator is a comma (de, fr, es, it, nl, pt, ru, ...), so prices
 * import as numbers; `,` elsewhere.
 */
export function excelDelimiter(locale: string): CsvDelimiter {
  const decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value;
  return decimal === ',' ? ';' : ',';
}

/** The file's extension, after `memberships-<day>-<job id>`: `.csv`, `.xlsx`, `.jsonl`, each `.gz` when compressed. */
export function exportFileExtension(options: Pick<ExportOptions, 'format' | 'compression'>): string {
  return `.${options.format}${options.compression === 'gzip' ? '.gz' : ''}`;
}

const CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** The file's media type: gzip when compressed (the format is in the name, `.csv.gz`). */
export function exportContentType(options: Pick<ExportOptions, 'format' | 'compression'>): string {
  return options.compression === 'gzip' ? 'application/gzip' : CONTENT_TYPES[options.format];
}

/** Whether `value` is a real calendar day written YYYY-MM-DD (no 2026-02-30), within PostgreSQL's `date` years. */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isLocale(value: string): boolean {
  if (!LOCALE.test(value)) return false;
  try {
    return Intl.NumberFormat.supportedLocalesOf([value]).length > 0;
  } catch {
    return false;
  }
}

function pick<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  field: string,
  fallback: T,
  problem: (field: string, message: string) => void,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problem(field, `must be one of ${allowed.map((item) => JSON.stringify(item)).join(', ')}`);
  return fallback;
}

function parseFilters(body: ExportOptionsBody['filters'], problem: (field: string, message: string) => void): ExportFilters {
  if (body === undefined) return DEFAULT_EXPORT_OPTIONS.filters;
  const filters: { -readonly [K in keyof ExportFilters]: ExportFilters[K] } = {};
  if (body.status !== undefined) {
    if (body.status.length === 0) problem('filters.status', 'must name at least one status');
    body.status.forEach((status, index) => {
      if (!(MEMBERSHIP_STATUSES as readonly string[]).includes(status)) {
        problem(`filters.status.${index}`, `is not a status; choose from ${MEMBERSHIP_STATUSES.join(', ')}`);
      }
    });
    filters.status = [...new Set(body.status)] as MembershipStatus[];
  }
  if (body.club_name !== undefined) {
    if (body.club_name.length === 0 || body.club_name.length > MAX_CLUB_NAME_LENGTH) {
      problem('filters.club_name', `must be 1-${MAX_CLUB_NAME_LENGTH} characters`);
    } else if (CONTROL.test(body.club_name)) {
      problem('filters.club_name', 'must not contain control characters');
    }
    filters.clubName = body.club_name;
  }
  for (const [key, field] of [
    ['startedOn', 'started_on'],
    ['endsOn', 'ends_on'],
  ] as const) {
    const range = body[field];
    if (range === undefined) continue;
    for (const end of ['from', 'to'] as const) {
      if (range[end] !== undefined && !isIsoDate(range[end])) problem(`filters.${field}.${end}`, 'must be a date, YYYY-MM-DD');
    }
    if (range.from === undefined && range.to === undefined) problem(`filters.${field}`, 'needs from, to or both');
    if (isIsoDate(range.from) && isIsoDate(range.to) && range.from > range.to) problem(`filters.${field}`, 'from is after to');
    filters[key] = { ...(range.from !== undefined ? { from: range.from } : {}), ...(range.to !== undefined ? { to: range.to } : {}) };
  }
  if (body.active_on !== undefined) {
    if (!isIsoDate(body.active_on)) problem('filters.active_on', 'must be a date, YYYY-MM-DD');
    filters.activeOn = body.active_on;
  }
  return filters;
}
