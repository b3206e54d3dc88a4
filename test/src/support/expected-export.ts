import { insertMemberships, type MembershipValues, type SeededMembership } from '@memberships/local-platform';
import { Client } from 'pg';

/**
 * What an export with options must hold, derived from the rows in PostgreSQL without
 * production's code: its formula rule, its filters, its time zone rendering and its value
 * formats are written out again here, so a change in production shows up as a failing test,
 * not a moved target. Also the hostile rows (a formula after a leading space or an invisible
 * character, full-width look-alikes, a delimiter inside text, leading zeros, instants either
 * side of both DST changes in Berlin) and the rows PostgreSQL must refuse.
 */

export type Column =
  | 'id'
  | 'uuid'
  | 'club_name'
  | 'club_city'
  | 'plan'
  | 'status'
  | 'started_on'
  | 'ends_on'
  | 'price'
  | 'currency'
  | 'auto_renew'
  | 'notes'
  | 'created_at'
  | 'updated_at';

export const ALL_COLUMNS: readonly Column[] = [
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
];

/** Free text a person typed: neutralised in CSV, strings in XLSX. */
const TEXT: ReadonlySet<Column> = new Set(['club_name', 'club_city', 'plan', 'notes']);
const TIMESTAMPS: ReadonlySet<Column> = new Set(['created_at', 'updated_at']);
const DATES: ReadonlySet<Column> = new Set(['started_on', 'ends_on']);

/**
 * OWASP's CSV injection triggers (= + - @ tab CR) and their full-width forms, after any run of
 * whitespace or invisible characters a spreadsheet skips (spaces of every width, no-break space,
 * zero-width characters, word joiner, BOM, soft hyphen).
 */
const FORMULA_LIKE = /^[\s\u00AD\u180E\u200B-\u200D\u2060\uFEFF]*[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/u;

export function isText(column: Column): boolean {
  return TEXT.has(column);
}

/** The stored value of `column`, as readMemberships gives it (null for NULL). */
export function stored(m: SeededMembership, column: Column): string | boolean | null {
  switch (column) {
    case 'id':
      return m.id;
    case 'uuid':
      return m.uuid;
    case 'club_name':
      return m.clubName;
    case 'club_city':
      return m.clubCity;
    case 'plan':
      return m.plan;
    case 'status':
      return m.status;
    case 'started_on':
      return m.startedOn;
    case 'ends_on':
      return m.endsOn;
    case 'price':
      return m.price;
    case 'currency':
      return m.currency;
    case 'auto_renew':
      return m.autoRenew;
    case 'notes':
      return m.notes;
    case 'created_at':
      return m.createdAt;
    case 'updated_at':
      return m.updatedAt;
  }
}

/** A text as a CSV field must hold it: an apostrophe before anything a spreadsheet would run. */
export function neutralised(text: string): string {
  return FORMULA_LIKE.test(text) ? `'${text}` : text;
}

/**
 * An instant (ISO 8601 UTC from readMemberships) in `timeZone`: `...Z` for UTC, otherwise the
 * wall clock there with milliseconds and that moment's offset (`+02:00`), from Intl's zone data.
 */
export function instantIn(utcIso: string, timeZone: string): string {
  if (timeZone === 'UTC') return utcIso;
  const part = wallClockParts(utcIso, timeZone);
  const offset = part.timeZoneName === 'GMT' ? '+00:00' : part.timeZoneName!.slice('GMT'.length);
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}:${part.second}.${part.fractionalSecond}${offset}`;
}

/** The wall clock of an instant in `timeZone` to the second, `YYYY-MM-DD HH:MM:SS`: what a spreadsheet shows of an XLSX date-time cell. */
export function wallClockIn(utcIso: string, timeZone: string): string {
  const part = wallClockParts(utcIso, timeZone);
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
}

function wallClockParts(utcIso: string, timeZone: string): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    timeZoneName: 'longOffset',
  });
  return Object.fromEntries(format.formatToParts(new Date(utcIso)).map((part) => [part.type, part.value]));
}

/** The CSV field of `column` for a stored row: empty for NULL, text neutralised, instants in the zone, dates as stored. */
/** `decimalComma`: the price as a comma-decimal locale's spreadsheet reads it (`1234,56`), as the excel preset writes it there. */
export function csvField(m: SeededMembership, column: Column, timeZone = 'UTC', decimalComma = false): string {
  const value = stored(m, column);
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  if (TEXT.has(column)) return neutralised(value);
  if (TIMESTAMPS.has(column)) return instantIn(value, timeZone);
  if (column === 'price' && decimalComma) return value.replace('.', ',');
  return value;
}

export function csvRecord(m: SeededMembership, columns: readonly Column[] = ALL_COLUMNS, timeZone = 'UTC', decimalComma = false): string[] {
  return columns.map((column) => csvField(m, column, timeZone, decimalComma));
}

/** A JSON Lines object: raw typed values (numbers, booleans, null), text exactly as stored, instants in the zone. */
export function jsonObject(m: SeededMembership, columns: readonly Column[] = ALL_COLUMNS, timeZone = 'UTC'): Record<string, unknown> {
  return Object.fromEntries(
    columns.map((column) => {
      const value = stored(m, column);
      if (value === null || typeof value === 'boolean') return [column, value];
      if (column === 'id' || column === 'price') return [column, Number(value)];
      if (TIMESTAMPS.has(column)) return [column, instantIn(value, timeZone)];
      return [column, value];
    }),
  );
}

/**
 * What LibreOffice Calc shows of an XLSX cell (readSpreadsheet's value and kind): text as
 * stored, ids and prices as numbers (compared as numbers: Calc writes 0.10 as 0.1), dates as
 * the day, instants as the zone's wall clock to the second (the cell format shows seconds),
 * booleans as TRUE/FALSE, NULL as nothing.
 */
export interface ExpectedCell {
  readonly value: string;
  readonly kind: 'text' | 'value' | 'boolean' | 'empty';
}

export function xlsxCell(m: SeededMembership, column: Column, timeZone = 'UTC'): ExpectedCell {
  const value = stored(m, column);
  if (value === null) return { value: '', kind: 'empty' };
  if (typeof value === 'boolean') return { value: value ? 'TRUE' : 'FALSE', kind: 'boolean' };
  if (column === 'id' || column === 'price') return { value: String(Number(value)), kind: 'value' };
  if (DATES.has(column)) return { value, kind: 'value' };
  if (TIMESTAMPS.has(column)) return { value: wallClockIn(value, timeZone), kind: 'value' };
  // An empty text: Calc may keep an empty string cell or none; either shows nothing.
  return { value: calcText(value, 'xlsx'), kind: value === '' ? 'empty' : 'text' };
}

/**
 * A text as Calc holds it: a line break in a cell is one LF there, so a CR before an LF is
 * dropped (an XLSX's `&#13;` and a CSV's alike); a lone CR stays from an XLSX, and is a line
 * break (an LF) to Calc's CSV import. Calc's doing, not the file's: the file has every CR.
 */
export function calcText(text: string, from: 'xlsx' | 'csv'): string {
  const lines = text.replaceAll('\r\n', '\n');
  return from === 'csv' ? lines.replaceAll('\r', '\n') : lines;
}

export interface Filters {
  readonly status?: readonly string[];
  readonly club_name?: string;
  readonly started_on?: { readonly from?: string; readonly to?: string };
  readonly ends_on?: { readonly from?: string; readonly to?: string };
  readonly active_on?: string;
}

/** Whether a stored row passes the filters as the API documents them (ranges inclusive; a NULL end is in no range). */
export function passes(m: SeededMembership, filters: Filters): boolean {
  const within = (day: string | null, range?: { from?: string; to?: string }) =>
    range === undefined || (day !== null && (range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to));
  return (
    (filters.status === undefined || filters.status.includes(m.status)) &&
    (filters.club_name === undefined || m.clubName === filters.club_name) &&
    within(m.startedOn, filters.started_on) &&
    within(m.endsOn, filters.ends_on) &&
    (filters.active_on === undefined || (m.startedOn <= filters.active_on && (m.endsOn === null || m.endsOn >= filters.active_on)))
  );
}

const row = (values: Partial<MembershipValues> & Pick<MembershipValues, 'clubName' | 'clubCity' | 'plan' | 'notes'>): MembershipValues => ({
  status: 'active',
  startedOn: '2021-03-28',
  endsOn: null,
  price: '0.10',
  currency: 'EUR',
  autoRenew: true,
  ...values,
});

/** The hostile cases, each with the instants it is stored with (UTC). */
export const ISSUE_13_ROWS: readonly { readonly values: MembershipValues; readonly createdAt: string; readonly updatedAt: string }[] = [
  {
    // The last millisecond of winter time in Berlin and the first of summer time (28 March 2021, 02:00 → 03:00).
    values: row({ clubName: ' =1+1', clubCity: '007', plan: '\uFF1D1+1', notes: '\u200B=1+1', endsOn: '2021-10-31' }),
    createdAt: '2021-03-28T00:59:59.999Z',
    updatedAt: '2021-03-28T01:00:00.000Z',
  },
  {
    // 02:30 twice in Berlin on 31 October 2021 (03:00 summer time → 02:00): only the offset tells them apart.
    values: row({
      clubName: 'Berlin;=1+1',
      clubCity: 'Zürich',
      plan: '007',
      notes: '\u00A0+SUM(A1:A2)',
      status: 'paused',
      startedOn: '2021-10-31',
      price: '4.99',
    }),
    createdAt: '2021-10-31T00:30:00.000Z',
    updatedAt: '2021-10-31T01:30:00.000Z',
  },
  {
    values: row({
      clubName: '\uFF0B49 Club',
      clubCity: '\uFF0DMinus',
      plan: '\uFF20home',
      notes: 'a tab\tinside and a ; inside are harmless',
      status: 'cancelled',
      startedOn: '2020-02-29',
      endsOn: '2021-03-28',
      price: '1234.56',
      autoRenew: false,
    }),
    createdAt: '2020-02-29T23:30:00.500Z',
    updatedAt: '2021-03-27T23:00:00.000Z',
  },
];

/** Inserts ISSUE_13_ROWS for the user, with their instants. */
export async function insertHostileRows(databaseUrl: string, userId: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-export-options' });
  await client.connect();
  try {
    const inserted = await insertMemberships(
      client,
      userId,
      ISSUE_13_ROWS.map((r) => r.values),
    );
    for (const [index, membership] of inserted.entries()) {
      const { createdAt, updatedAt } = ISSUE_13_ROWS[index]!;
      await client.query('UPDATE memberships SET created_at = $2, updated_at = $3 WHERE id = $1', [membership.id, createdAt, updatedAt]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Tries to store the values that used to export wrong (an `infinity` instant or day, a NaN
 * price) and returns PostgreSQL's SQLSTATE for each: the table's CHECKs refuse them, so no
 * export ever meets one.
 */
export async function refusedValues(databaseUrl: string, userId: string): Promise<Record<string, string | undefined>> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'e2e-export-options' });
  await client.connect();
  const attempt = async (overrides: { startedOn?: string; endsOn?: string; price?: string; createdAt?: string }) => {
    const value = { startedOn: '2021-01-01', endsOn: null, price: '1', createdAt: '2021-01-01T00:00:00Z', ...overrides };
    try {
      await client.query(
        `INSERT INTO memberships (user_id, club_name, plan, status, started_on, ends_on, price, currency, auto_renew, created_at, updated_at)
         VALUES ($1, 'Infinite Club', 'Forever', 'active', $2, $3, $4, 'EUR', true, $5, $5)`,
        [userId, value.startedOn, value.endsOn, value.price, value.createdAt],
      );
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };
  try {
    return {
      created_at: await attempt({ createdAt: 'infinity' }),
      started_on: await attempt({ startedOn: '-infinity' }),
      ends_on: await attempt({ endsOn: 'infinity' }),
      price: await attempt({ price: 'NaN' }),
    };
  } finally {
    await client.end();
  }
}
