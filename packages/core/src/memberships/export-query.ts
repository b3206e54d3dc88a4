import { DomainError } from '../errors';
import {
  type CSV_DELIMITERS,
  type ColumnType,
  type DecimalSeparator,
  DEFAULT_EXPORT_OPTIONS,
  EXPORT_COLUMNS,
  type ExportColumnName,
  type ExportFilters,
  type ExportOptions,
  isIsoDate,
  MAX_CLUB_NAME_LENGTH,
  MEMBERSHIP_STATUSES,
} from '../exports/export-options';
import { isUuid } from '../messages';
import { normalizeTimeZone } from '../schedules/schedule';

/**
 * The SQL of an export, built from ExportOptions: the COPY statement of a
 * CSV or JSONL file, the typed SELECT the XLSX writer reads through a
 * cursor, the count, and the session settings (time zone) they rely on.
 *
 * COPY takes no bind parameters, so nothing a person typed is concatenated
 * as it came: columns come from EXPORT_COLUMNS (a name → expression map),
 * statuses from MEMBERSHIP_STATUSES, dates only after isIsoDate, the user id
 * only as a UUID, and the club name and the zone as escaped literals. Every
 * value is re-checked here, whoever validated it before (the options are
 * read back from the job record).
 */

/** Options this module cannot turn into SQL: a bug or a tampered job record, never retried. */
export class ExportQueryError extends DomainError {
  constructor(message: string) {
    super('export_options_invalid', message);
  }
}

/** Characters that make a spreadsheet run a cell as a formula (OWASP CSV injection), with their full-width look-alikes. */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

/**
 * What a spreadsheet may skip before it finds the trigger: whitespace
 * (ASCII, no-break and the Unicode spaces) and invisible characters
 * (zero-width space, joiners, word joiner, byte order mark, soft hyphen).
 */
export const FORMULA_SKIPPED: readonly string[] = [
  ...' \t\n\v\f\r',
  '\u00A0',
  '\u00AD',
  '\u1680',
  '\u180E',
  ...Array.from({ length: 11 }, (_, i) => String.fromCharCode(0x2000 + i)),
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2028',
  '\u2029',
  '\u202F',
  '\u205F',
  '\u2060',
  '\u3000',
  '\uFEFF',
];

// Every character as \uXXXX: the same spelling means the same set in JavaScript and in PostgreSQL's
// regular expressions, and no character is special inside the brackets (an escaped `-` is no range).
const bracket = (characters: readonly string[]) =>
  `[${characters.map((c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join('')}]`;
const FORMULA_PREFIX_SOURCE = `^${bracket(FORMULA_SKIPPED)}*${bracket(FORMULA_TRIGGERS)}`;

/** The rule, for JavaScript: text matching it gets a leading apostrophe in CSV. */
export const FORMULA_PREFIX = new RegExp(FORMULA_PREFIX_SOURCE, 'u');

/** The same rule as a PostgreSQL regular expression literal. */
const FORMULA_PREFIX_SQL = escapeLiteral(FORMULA_PREFIX_SOURCE);

/**
 * `value` as an SQL string literal, the way node-postgres's escapeLiteral
 * writes it: quotes doubled, and when there is a backslash an E'' literal
 * with backslashes doubled, so it means the same whatever
 * standard_conforming_strings says. NUL and unpaired surrogates are
 * refused (PostgreSQL text cannot hold NUL; a lone surrogate would be sent
 * as U+FFFD and match something else).
 */
export function escapeLiteral(value: string): string {
  if (/[\0\p{Cs}]/u.test(value)) throw new ExportQueryError('A literal must not contain NUL or unpaired surrogates');
  const quoted = `'${value.replaceAll("'", "''").replaceAll('\\', '\\\\')}'`;
  return value.includes('\\') ? `E${quoted}` : quoted;
}

/** How a column's values look in a file; `sql` is the column (or expression) of the memberships table. */
const COLUMN_SQL: Readonly<Record<ExportColumnName, string>> = {
  id: 'id',
  uuid: 'uuid',
  club_name: 'club_name',
  club_city: 'club_city',
  plan: 'plan',
  status: 'status',
  started_on: 'started_on',
  ends_on: 'ends_on',
  price: 'price',
  currency: 'currency',
  auto_renew: 'auto_renew',
  notes: 'notes',
  created_at: 'created_at',
  updated_at: 'updated_at',
};

const COLUMN_TYPES: ReadonlyMap<string, ColumnType> = new Map(EXPORT_COLUMNS.map((column) => [column.name, column.type]));

/**
 * An instant as ISO 8601 with milliseconds: `...Z` in UTC (the file of
 * before options, and independent of the session), otherwise with the
 * offset the zone had at that instant (`+02:00`), which needs the
 * session's TimeZone (exportSessionSettings).
 */
function timestampText(sql: string, timeZone: string): string {
  return timeZone === 'UTC'
    ? `to_char(${sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : `to_char(${sql}, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM')`;
}

/** A column's value in a CSV file: text, formatted, free text neutralised. */
function csvExpression(name: ExportColumnName, timeZone: string, decimalSeparator: DecimalSeparator = '.'): string {
  const sql = COLUMN_SQL[name];
  switch (COLUMN_TYPES.get(name)) {
    case 'text':
      // A leading apostrophe makes spreadsheets show the text instead of running it.
      return `CASE WHEN ${sql} ~ ${FORMULA_PREFIX_SQL} THEN '''' || ${sql} ELSE ${sql} END`;
    case 'timestamp':
      return timestampText(sql, timeZone);
    case 'boolean':
      return `CASE WHEN ${sql} THEN 'true' ELSE 'false' END`;
    case 'decimal':
      // The exact numeric's text, with the spreadsheet's decimal comma when asked (never with a `,` delimiter).
      return decimalSeparator === ',' ? `replace(${sql}::text, '.', ',')` : sql;
    default:
      // Dates in the session's DateStyle, ISO (YYYY-MM-DD) on every server we run; a calendar day, never shifted.
      return sql;
  }
}

/** A column's value for JSON: raw typed values (row_to_json writes numbers, booleans, null, ISO dates), text exactly as stored. */
function jsonExpression(name: ExportColumnName, timeZone: string): string {
  const sql = COLUMN_SQL[name];
  return COLUMN_TYPES.get(name) === 'timestamp' ? timestampText(sql, timeZone) : sql;
}

/**
 * A column's value for the XLSX writer, which writes typed cells: text as
 * string cells, so nothing runs and it needs no neutralisation (a formula
 * cell is only ever written on purpose); id as bigint (node-postgres gives
 * its text); dates as 'YYYY-MM-DD' text; price as the exact numeric's
 * text; booleans; instants as ISO text in the zone.
 */
function rowExpression(name: ExportColumnName, timeZone: string): string {
  const sql = COLUMN_SQL[name];
  switch (COLUMN_TYPES.get(name)) {
    case 'date':
      return `to_char(${sql}, 'YYYY-MM-DD')`;
    case 'decimal':
      return `${sql}::text`;
    case 'timestamp':
      return timestampText(sql, timeZone);
    default:
      return sql;
  }
}

/**
 * One slice of an export's rows in the export's own order (by id): from
 * `fromId` (inclusive) to `toId` (exclusive), either end open when absent.
 * The ids are the decimal text PostgreSQL gave for the bigint column.
 */
export interface ExportIdRange {
  readonly fromId?: string | undefined;
  readonly toId?: string | undefined;
}

/** A bigint's decimal text, checked: the only form an id is ever put into a range's SQL. */
function checkedId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^-?[0-9]{1,19}$/.test(value)) throw new ExportQueryError(`${field} must be a bigint's decimal text`);
  return value;
}

/** The export's rows: one user's memberships under the filters (within `range`); `table` qualifies the columns where names are ambiguous. */
function whereClause(userId: string, filters: ExportFilters, table = '', range: ExportIdRange = {}): string {
  if (!isUuid(userId)) throw new ExportQueryError(`Refusing to build an export query for a non-UUID user id: ${JSON.stringify(userId)}`);
  const column = (name: string) => `${table}${name}`;
  const conditions = [`${column('user_id')} = '${userId.toLowerCase()}'`];
  const date = (value: unknown, field: string) => {
    if (!isIsoDate(value)) throw new ExportQueryError(`filters.${field} must be a date, YYYY-MM-DD`);
    return `DATE '${value}'`;
  };
  if (filters.status !== undefined) {
    if (filters.status.length === 0) throw new ExportQueryError('filters.status must name at least one status');
    for (const status of filters.status) {
      if (!(MEMBERSHIP_STATUSES as readonly string[]).includes(status))
        throw new ExportQueryError(`filters.status: ${JSON.stringify(status)}`);
    }
    conditions.push(`${column('status')} IN (${filters.status.map((status) => `'${status}'`).join(', ')})`);
  }
  if (filters.clubName !== undefined) {
    if (typeof filters.clubName !== 'string' || filters.clubName.length === 0 || filters.clubName.length > MAX_CLUB_NAME_LENGTH) {
      throw new ExportQueryError(`filters.club_name must be 1-${MAX_CLUB_NAME_LENGTH} characters`);
    }
    conditions.push(`${column('club_name')} = ${escapeLiteral(filters.clubName)}`);
  }
  for (const [key, field] of [
    ['startedOn', 'started_on'],
    ['endsOn', 'ends_on'],
  ] as const) {
    const range = filters[key];
    if (range === undefined) continue;
    if (range.from === undefined && range.to === undefined) throw new ExportQueryError(`filters.${field} needs from, to or both`);
    // Inclusive; an open-ended membership (ends_on NULL) ends in no range.
    if (range.from !== undefined) conditions.push(`${column(field)} >= ${date(range.from, `${field}.from`)}`);
    if (range.to !== undefined) conditions.push(`${column(field)} <= ${date(range.to, `${field}.to`)}`);
  }
  if (filters.activeOn !== undefined) {
    const day = date(filters.activeOn, 'active_on');
    conditions.push(`${column('started_on')} <= ${day} AND (${column('ends_on')} IS NULL OR ${column('ends_on')} >= ${day})`);
  }
  if (range.fromId !== undefined) conditions.push(`${column('id')} >= ${checkedId(range.fromId, 'range.fromId')}`);
  if (range.toId !== undefined) conditions.push(`${column('id')} < ${checkedId(range.toId, 'range.toId')}`);
  return `WHERE ${conditions.join(' AND ')}`;
}

/** The asked columns, checked: known names, each once, at least one. */
function checkedColumns(options: ExportOptions): readonly ExportColumnName[] {
  const { columns } = options;
  if (columns.length === 0) throw new ExportQueryError('columns must name at least one column');
  if (new Set(columns).size !== columns.length) throw new ExportQueryError('columns must not name a column twice');
  for (const name of columns) if (!COLUMN_TYPES.has(name)) throw new ExportQueryError(`columns: ${JSON.stringify(name)} is not a column`);
  return columns;
}

/** The zone, checked to be one this runtime knows (the session setting quotes it as a literal as well). */
function checkedTimeZone(options: Pick<ExportOptions, 'timeZone'>): string {
  if (options.timeZone !== 'UTC' && normalizeTimeZone(options.timeZone) === undefined) {
    throw new ExportQueryError(`time_zone: ${JSON.stringify(options.timeZone)} is not an IANA time zone`);
  }
  return options.timeZone;
}

function from(userId: string, options: ExportOptions, range?: ExportIdRange): string {
  return `FROM memberships ${whereClause(userId, options.filters, '', range)} ORDER BY id`;
}

/**
 * JSONL's SELECT: row_to_json writes a compact object (no spaces) keyed by
 * the aliases, in column order. The values are a LATERAL row of the table's
 * (PostgreSQL flattens it into the one index scan), so the ORDER BY is the
 * query's own; its names would shadow the table's, hence the qualified filters.
 */
function jsonLinesSelect(
  userId: string,
  options: ExportOptions,
  columns: readonly ExportColumnName[],
  timeZone: string,
  range?: ExportIdRange,
): string {
  const values = columns.map((name) => `${jsonExpression(name, timeZone)} AS ${name}`).join(', ');
  return (
    `SELECT row_to_json(r)::text AS line FROM memberships CROSS JOIN LATERAL (SELECT ${values}) AS r ` +
    `${whereClause(userId, options.filters, 'memberships.', range)} ORDER BY memberships.id`
  );
}

/**
 * The SELECT a CSV or JSONL COPY wraps (the benchmark runs the same one
 * through psql's \copy with exportCopyOptions). CSV: the asked columns in
 * their order, every value formatted for the file (ISO dates, plain
 * decimals, true/false, neutralised free text, ISO instants in the zone).
 * JSONL: one column, `line`, a compact JSON object per membership.
 */
export function exportSelect(userId: string, options: ExportOptions = DEFAULT_EXPORT_OPTIONS, range?: ExportIdRange): string {
  const columns = checkedColumns(options);
  const timeZone = checkedTimeZone(options);
  if (options.format === 'jsonl') return jsonLinesSelect(userId, options, columns, timeZone, range);
  if (options.format !== 'csv') throw new ExportQueryError(`format ${JSON.stringify(options.format)} is not written by COPY`);
  return `SELECT ${columns.map((name) => `${csvExpression(name, timeZone, options.csv.decimalSeparator)} AS ${name}`).join(', ')} ${from(userId, options, range)}`;
}

const DELIMITER_SQL: Readonly<Record<(typeof CSV_DELIMITERS)[number], string>> = { ',': "','", ';': "';'", '\t': "E'\\t'" };

/**
 * COPY's options for the format. CSV: header, the dialect's delimiter, text
 * columns always quoted (a `;` or a leading `=` inside a value never reaches
 * a spreadsheet unquoted). JSONL: CSV mode with a quote and a delimiter that
 * JSON text never holds raw (row_to_json escapes control characters), so each
 * line passes through unquoted and unescaped; no header.
 */
export function exportCopyOptions(options: ExportOptions = DEFAULT_EXPORT_OPTIONS, header = true): string {
  if (options.format === 'jsonl') return "(FORMAT csv, HEADER false, QUOTE E'\\x01', DELIMITER E'\\x02', ENCODING 'UTF8')";
  const delimiter = DELIMITER_SQL[options.csv.delimiter];
  if (delimiter === undefined) throw new ExportQueryError(`delimiter ${JSON.stringify(options.csv.delimiter)} is not a CSV delimiter`);
  const text = checkedColumns(options).filter((name) => COLUMN_TYPES.get(name) === 'text');
  return `(FORMAT csv, HEADER ${header}${options.csv.delimiter === ',' ? '' : `, DELIMITER ${delimiter}`}${
    text.length > 0 ? `, FORCE_QUOTE (${text.join(', ')})` : ''
  }, ENCODING 'UTF8')`;
}

/** The COPY statement the worker streams for a CSV or JSONL file (run exportSessionSettings first, in the same transaction). */
export function exportCopyStatement(userId: string, options: ExportOptions = DEFAULT_EXPORT_OPTIONS): string {
  return `COPY (${exportSelect(userId, options)}) TO STDOUT WITH ${exportCopyOptions(options)}`;
}

/**
 * The COPY of one slice of a CSV or JSONL file, for an export written in
 * parallel ranges: the same SELECT and options as exportCopyStatement within
 * `range`, and the CSV header only when `header` (the file's first range).
 * The slices' bytes, one after the other in id order, are exportCopyStatement's.
 */
export function exportRangeCopyStatement(userId: string, options: ExportOptions, range: ExportIdRange, header: boolean): string {
  return `COPY (${exportSelect(userId, options, range)}) TO STDOUT WITH ${exportCopyOptions(options, header)}`;
}

/**
 * The ids that start the slices of an export cut at the given row
 * positions (1-based, ascending, in id order), one row each in position
 * order. One pass over the user's rows in the (user_id, id) index's order, up
 * to the last position: each start is an OFFSET probe from the one before it
 * (a recursive CTE, one round trip), so the rows are only walked, never
 * numbered. A window function's row_number() over every row took 240 ms for
 * one position of 1,000,000 rows where this takes about 50 (2 cores,
 * PostgreSQL 15): time the parallel COPYs wait for. Run it in the export's
 * snapshot, after the count that the positions come from; a position past
 * the rows gives NULL (and every one after it).
 */
export function rangeStartsSelect(userId: string, options: Pick<ExportOptions, 'filters'>, positions: readonly number[]): string {
  if (
    positions.length === 0 ||
    positions.some((position, i) => !Number.isSafeInteger(position) || position < 1 || position <= (positions[i - 1] ?? 0))
  ) {
    throw new ExportQueryError('range positions must be ascending positive integers');
  }
  // How far each start is from the one before it, in rows.
  const steps = positions.slice(1).map((position, i) => position - positions[i]!);
  return (
    `WITH RECURSIVE starts(n, id) AS (` +
    `SELECT 1, (SELECT id FROM memberships ${whereClause(userId, options.filters)} ORDER BY id OFFSET ${positions[0]! - 1} LIMIT 1) ` +
    `UNION ALL SELECT s.n + 1, (SELECT m.id FROM memberships AS m ${whereClause(userId, options.filters, 'm.')} AND m.id >= s.id ` +
    `ORDER BY m.id OFFSET ('{${steps.join(',')}}'::bigint[])[s.n] LIMIT 1) FROM starts AS s WHERE s.n < ${positions.length}` +
    `) SELECT id::text AS id FROM starts ORDER BY n`
  );
}

/**
 * The typed SELECT the XLSX writer reads through a cursor, columns named
 * and ordered as asked (see rowExpression for each type's value).
 */
export function exportRowsQuery(userId: string, options: ExportOptions = DEFAULT_EXPORT_OPTIONS): string {
  const timeZone = checkedTimeZone(options);
  return `SELECT ${checkedColumns(options)
    .map((name) => `${rowExpression(name, timeZone)} AS ${name}`)
    .join(', ')} ${from(userId, options)}`;
}

/** How many rows the export holds: the same user and filters. */
export function countSelect(userId: string, options: Pick<ExportOptions, 'filters'> = DEFAULT_EXPORT_OPTIONS): string {
  return `SELECT count(*)::bigint AS count FROM memberships ${whereClause(userId, options.filters)}`;
}

/**
 * Statements to run in the export's transaction before the count and the
 * COPY (or the cursor): the zone of the timestamps, as SET LOCAL so it ends
 * with the transaction and never leaks to the pooled connection. None for
 * UTC, whose statements name the zone themselves. A zone this Node.js knows
 * but the server's time zone data does not fails here, with PostgreSQL's
 * `invalid value for parameter "TimeZone"` (SQLSTATE 22023), before a byte is written.
 */
export function exportSessionSettings(options: Pick<ExportOptions, 'timeZone'>): string[] {
  const timeZone = checkedTimeZone(options);
  return timeZone === 'UTC' ? [] : [`SET LOCAL TIME ZONE ${escapeLiteral(timeZone)}`];
}
