import { isUuid } from '../messages';

/**
 * Columns of the export file, in order. `free` marks user-entered text that a
 * spreadsheet could run as a formula; those values are neutralised.
 */
export const EXPORT_COLUMNS = [
  { header: 'id', sql: 'id' },
  { header: 'uuid', sql: 'uuid' },
  { header: 'club_name', sql: 'club_name', free: true },
  { header: 'club_city', sql: 'club_city', free: true },
  { header: 'plan', sql: 'plan', free: true },
  { header: 'status', sql: 'status' },
  { header: 'started_on', sql: 'started_on' },
  { header: 'ends_on', sql: 'ends_on' },
  { header: 'price', sql: 'price' },
  { header: 'currency', sql: 'currency' },
  { header: 'auto_renew', sql: 'auto_renew', boolean: true },
  { header: 'notes', sql: 'notes', free: true },
  { header: 'created_at', sql: 'created_at', timestamp: true },
  { header: 'updated_at', sql: 'updated_at', timestamp: true },
] as const satisfies readonly { header: string; sql: string; free?: boolean; boolean?: boolean; timestamp?: boolean }[];

/** Characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection). */
export const FORMULA_PREFIX = /^[=+\-@\t\r]/;

function selectExpression(column: (typeof EXPORT_COLUMNS)[number]): string {
  if ('free' in column) {
    // A leading apostrophe makes spreadsheets show the text instead of running it.
    return `CASE WHEN ${column.sql} ~ '^[-=+@\\t\\r]' THEN '''' || ${column.sql} ELSE ${column.sql} END AS ${column.header}`;
  }
  if ('timestamp' in column) {
    return `to_char(${column.sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column.header}`;
  }
  if ('boolean' in column) return `CASE WHEN ${column.sql} THEN 'true' ELSE 'false' END AS ${column.header}`;
  return `${column.sql} AS ${column.header}`;
}

/**
 * The SELECT behind an export: all memberships of one user in id order, every
 * value already formatted for the file (ISO 8601 UTC timestamps, ISO dates,
 * plain decimals, true/false, neutralised free text). PostgreSQL's COPY ...
 * CSV HEADER then does RFC 4180 quoting. COPY takes no bind parameters, so
 * the user id is validated as a UUID before it is placed in the statement.
 */
export function exportSelect(userId: string): string {
  if (!isUuid(userId)) throw new Error(`Refusing to build an export query for a non-UUID user id: ${JSON.stringify(userId)}`);
  return `SELECT ${EXPORT_COLUMNS.map(selectExpression).join(', ')} FROM memberships WHERE user_id = '${userId.toLowerCase()}' ORDER BY id`;
}

/** The COPY statement the worker streams; the benchmark runs the same SELECT through psql's \copy. */
export function exportCopyStatement(userId: string): string {
  return `COPY (${exportSelect(userId)}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`;
}

export function countSelect(userId: string): string {
  if (!isUuid(userId)) throw new Error('userId must be a UUID');
  return `SELECT count(*)::bigint AS count FROM memberships WHERE user_id = '${userId.toLowerCase()}'`;
}
