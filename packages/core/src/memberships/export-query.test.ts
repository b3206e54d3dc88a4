import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { DEFAULT_EXPORT_OPTIONS, type ExportColumnName, type ExportFilters, type ExportOptions } from '../exports/export-options';
import { createScratchDatabase, type ScratchDatabase } from '../test-support/scratch-database';
import {
  countSelect,
  escapeLiteral,
  exportCopyOptions,
  exportCopyStatement,
  exportRowsQuery,
  exportSelect,
  exportSessionSettings,
  FORMULA_PREFIX,
  rangeStartsSelect,
} from './export-query';

/**
 * The export statements on real PostgreSQL, run as the worker runs them (one
 * REPEATABLE READ READ ONLY transaction: session settings, count, COPY).
 * Expected values are written out here from the inserted rows, not derived
 * from the statements. (Core cannot load the local platform, which depends on
 * it: the tricky rows below are the local platform's TRICKY_MEMBERSHIPS plus
 * the spreadsheet-injection cases.)
 */

interface Row {
  readonly clubName: string;
  readonly clubCity: string | null;
  readonly plan: string;
  readonly status: 'active' | 'paused' | 'cancelled' | 'expired';
  readonly startedOn: string;
  readonly endsOn: string | null;
  readonly price: string;
  readonly currency: string;
  readonly autoRenew: boolean;
  readonly notes: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface Stored extends Row {
  readonly id: string;
  readonly uuid: string;
}

const row = (values: Partial<Row>): Row => ({
  clubName: 'Club',
  clubCity: 'City',
  plan: 'Plan',
  status: 'cancelled',
  startedOn: '2021-02-28',
  endsOn: '2024-02-29',
  price: '1234.56',
  currency: 'EUR',
  autoRenew: false,
  notes: 'Notes',
  createdAt: '2024-01-02T03:04:05.678Z',
  updatedAt: '2024-05-06T07:08:09.012Z',
  ...values,
});

const TRICKY: readonly Row[] = [
  row({ clubName: 'Smith, Jones & Partners Squash', clubCity: 'Zürich', plan: 'Gold, annual', notes: 'Paid by card, invoice #12, "VIP"' }),
  row({ clubName: 'The "Best" Gym', clubCity: 'München', plan: 'Say "hi" plan', notes: '""' }),
  row({ clubName: 'Line\nBreak Rowing', clubCity: 'Köln', plan: 'Two\nlines', notes: 'first line\nsecond line\n' }),
  row({ clubName: 'Windows\r\nClub', clubCity: 'São Paulo', plan: 'CRLF\r\nplan', notes: 'ends with CRLF\r\n' }),
  row({ clubName: '東京フィットネス', clubCity: '東京', plan: '月額プラン', notes: 'Emoji 🏋️‍♀️💪🏽 and ümlaut ß' }),
  row({ clubName: '=HYPERLINK("http://attacker.example","click")', clubCity: '+Berlin', plan: '-Premium', notes: '@SUM(A1:A9)' }),
  row({ clubName: '\tTabbed Tennis', clubCity: '\rCarriage Return City', plan: '=1+2', notes: "+cmd|' /C calc'!A0" }),
  row({ clubName: 'Anne-Marie Yoga = calm', clubCity: 'Saint-Étienne', plan: 'Mid-week @ noon', notes: 'dash-in-the-middle is harmless' }),
  row({ clubName: 'No notes, no end', clubCity: null, plan: 'Open ended', notes: null, endsOn: null, status: 'active' }),
  row({ clubName: 'Empty notes', clubCity: '', plan: 'Basic', notes: '' }),
  row({ clubName: '  padded with spaces  ', clubCity: ' Oslo ', plan: ' Monthly ', notes: '   ' }),
  row({ clubName: '"', clubCity: ',', plan: '\n', notes: '",\r\n"' }),
  row({ clubName: 'Long notes club', clubCity: 'Reykjavík', plan: 'Annual', notes: 'All work and no play, "dull"; '.repeat(200) }),
];

/** The spreadsheet-injection and delimiter cases, each with the text the CSV must hold for it. */
const NEW_CASES: readonly (readonly [stored: string, inCsv: string])[] = [
  [' =1+1', "' =1+1"],
  ['＝1+1', "'＝1+1"],
  ['＋1', "'＋1"],
  ['－1', "'－1"],
  ['＠SUM(A1)', "'＠SUM(A1)"],
  ['\u200B=1+1', "'\u200B=1+1"],
  ['\u00A0+1', "'\u00A0+1"],
  ['\uFEFF@x', "'\uFEFF@x"],
  ['\u2060-1', "'\u2060-1"],
  ['\n=1', "'\n=1"],
  ['Berlin;=1+1', 'Berlin;=1+1'],
  ['007', '007'],
  ["'=1", "'=1"],
];

/** The statement of before options (core at 44b7e6c), written out: the defaults must give its file but for quoting. */
function statementBeforeOptions(userId: string): string {
  const free = (column: string) => `CASE WHEN ${column} ~ '^[-=+@\\t\\r]' THEN '''' || ${column} ELSE ${column} END AS ${column}`;
  const instant = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ${column}`;
  return (
    `COPY (SELECT id AS id, uuid AS uuid, ${free('club_name')}, ${free('club_city')}, ${free('plan')}, status AS status, ` +
    `started_on AS started_on, ends_on AS ends_on, price AS price, currency AS currency, ` +
    `CASE WHEN auto_renew THEN 'true' ELSE 'false' END AS auto_renew, ${free('notes')}, ${instant('created_at')}, ${instant('updated_at')} ` +
    `FROM memberships WHERE user_id = '${userId}' ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`
  );
}

const options = (changes: Partial<ExportOptions>): ExportOptions => ({ ...DEFAULT_EXPORT_OPTIONS, ...changes });
const neutralisedBefore = (value: string | null) => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const csv = (text: string, delimiter = ',') =>
  parse(text, { delimiter, record_delimiter: '\n', relax_quotes: false, relax_column_count: false }) as string[][];

describe('export statements on PostgreSQL', () => {
  let database: ScratchDatabase;
  let client: Client;
  const user = randomUUID();
  let stored: Stored[];

  async function insert(userId: string, rows: readonly Row[]): Promise<Stored[]> {
    const inserted: Stored[] = [];
    for (const r of rows) {
      const { rows: result } = await client.query<{ id: string; uuid: string }>(
        `INSERT INTO memberships (user_id, club_name, club_city, plan, status, started_on, ends_on, price, currency, auto_renew, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id::text AS id, uuid::text AS uuid`,
        [
          userId,
          r.clubName,
          r.clubCity,
          r.plan,
          r.status,
          r.startedOn,
          r.endsOn,
          r.price,
          r.currency,
          r.autoRenew,
          r.notes,
          r.createdAt,
          r.updatedAt,
        ],
      );
      inserted.push({ ...r, ...result[0]! });
    }
    return inserted;
  }

  async function copyOut(sql: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of client.query(copyTo(sql))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** As the worker runs an export: one snapshot, the session settings, the count, then the COPY (or the rows). */
  async function runExport(
    userId: string,
    exportOptions: ExportOptions,
  ): Promise<{ count: number; file: string; rows: Record<string, unknown>[] }> {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      for (const statement of exportSessionSettings(exportOptions)) await client.query(statement);
      const { rows: counted } = await client.query<{ count: string }>(countSelect(userId, exportOptions));
      const file = exportOptions.format === 'xlsx' ? '' : await copyOut(exportCopyStatement(userId, exportOptions));
      const { rows } = await client.query(exportRowsQuery(userId, { ...exportOptions, format: 'xlsx' }));
      return { count: Number(counted[0]!.count), file, rows };
    } finally {
      await client.query('COMMIT');
    }
  }

  beforeAll(async () => {
    database = await createScratchDatabase();
    await database.migrate();
    client = new Client({ connectionString: database.url });
    await client.connect();
    stored = await insert(user, [
      ...TRICKY,
      ...NEW_CASES.map(([value]) => row({ clubName: value, clubCity: value, plan: value, notes: value })),
    ]);
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('gives the file of before options for the defaults, except that text columns are now always quoted', async () => {
    const tricky = randomUUID();
    await insert(tricky, TRICKY);
    const before = await copyOut(statementBeforeOptions(tricky));
    const now = (await runExport(tricky, DEFAULT_EXPORT_OPTIONS)).file;

    expect(csv(now)).toEqual(csv(before));
    // The one difference is FORCE_QUOTE: without it, the same SELECT gives the same bytes.
    const unforced = exportCopyStatement(tricky).replace(', FORCE_QUOTE (club_name, club_city, plan, notes)', '');
    expect(await copyOut(unforced)).toBe(before);
    expect(now).not.toBe(before);
  });

  it('quotes every text value, and writes the other columns as before', async () => {
    const single = randomUUID();
    const [m] = await insert(single, [row({ clubName: 'Riverside', clubCity: null, plan: '', notes: '007' })]);
    expect((await runExport(single, DEFAULT_EXPORT_OPTIONS)).file).toBe(
      'id,uuid,club_name,club_city,plan,status,started_on,ends_on,price,currency,auto_renew,notes,created_at,updated_at\n' +
        // NULL stays an empty unquoted field; the empty string is "".
        `${m!.id},${m!.uuid},"Riverside",,"",cancelled,2021-02-28,2024-02-29,1234.56,EUR,false,"007",2024-01-02T03:04:05.678Z,2024-05-06T07:08:09.012Z\n`,
    );
  });

  it('writes every stored value, neutralising formulas after whitespace, invisible characters and full-width look-alikes', async () => {
    const { count, file } = await runExport(user, DEFAULT_EXPORT_OPTIONS);
    const [header, ...records] = csv(file);
    expect(header).toEqual([
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
    ]);
    expect(count).toBe(stored.length);
    const expected = stored.map((m) => {
      const text = (value: string | null) => NEW_CASES.find(([input]) => input === value)?.[1] ?? neutralisedBefore(value);
      return [
        m.id,
        m.uuid,
        text(m.clubName),
        text(m.clubCity),
        text(m.plan),
        m.status,
        m.startedOn,
        m.endsOn ?? '',
        m.price,
        m.currency,
        String(m.autoRenew),
        text(m.notes),
        m.createdAt,
        m.updatedAt,
      ];
    });
    expect(records).toEqual(expected);
  });

  it('applies the same formula rule in PostgreSQL as in JavaScript', async () => {
    const values = [...TRICKY.flatMap((r) => [r.clubName, r.plan]), ...NEW_CASES.map(([value]) => value), '\u3000＝1', '\u200B', 'a-b', ''];
    const rule = randomUUID();
    await insert(
      rule,
      values.map((clubName) => row({ clubName })),
    );
    const { file } = await runExport(rule, options({ columns: ['club_name'] }));
    const records = csv(file)
      .slice(1)
      .map((r) => r[0]);
    expect(records).toEqual(values.map((value) => (FORMULA_PREFIX.test(value) ? `'${value}` : value)));
    expect(records.filter((value, i) => value !== values[i])).toHaveLength(15);
  });

  it('uses the dialect: a ; delimiter, asked columns in the asked order, text quoted so `;` and leading zeros stay in their cell', async () => {
    const columns: ExportColumnName[] = ['notes', 'id', 'price', 'club_city', 'auto_renew'];
    const semicolon = options({ columns, csv: { delimiter: ';', bom: true, lineEnding: 'crlf' } });
    const { file } = await runExport(user, semicolon);
    const lines = file.split('\n');
    expect(lines[0]).toBe('notes;id;price;club_city;auto_renew');
    const berlin = stored.find((m) => m.clubCity === 'Berlin;=1+1')!;
    expect(file).toContain(`\n"Berlin;=1+1";${berlin.id};1234.56;"Berlin;=1+1";false\n`);
    const zeros = stored.find((m) => m.notes === '007')!;
    expect(file).toContain(`\n"007";${zeros.id};1234.56;"007";false\n`);
    const [, ...records] = csv(file, ';');
    expect(records.map((r) => r[1])).toEqual(stored.map((m) => m.id));

    const tab = (await runExport(user, options({ columns: ['id', 'plan'], csv: { delimiter: '\t', bom: false, lineEnding: 'lf' } }))).file;
    expect(tab.split('\n')[0]).toBe('id\tplan');
    expect(csv(tab, '\t').slice(1)).toEqual(
      stored.map((m) => [m.id, NEW_CASES.find(([v]) => v === m.plan)?.[1] ?? neutralisedBefore(m.plan)]),
    );
  });

  it('writes JSONL: one compact object per line, raw typed values, text exactly as stored', async () => {
    const { count, file } = await runExport(user, options({ format: 'jsonl' }));
    const lines = file.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(count);
    expect(lines).toEqual(
      stored.map(
        (m) =>
          `{"id":${m.id},"uuid":"${m.uuid}","club_name":${JSON.stringify(m.clubName)},"club_city":${JSON.stringify(m.clubCity)},` +
          `"plan":${JSON.stringify(m.plan)},"status":"${m.status}","started_on":"${m.startedOn}","ends_on":${JSON.stringify(m.endsOn)},` +
          `"price":${m.price},"currency":"${m.currency}","auto_renew":${m.autoRenew},"notes":${JSON.stringify(m.notes)},` +
          `"created_at":"${m.createdAt}","updated_at":"${m.updatedAt}"}`,
      ),
    );
    // Control characters (JSON escapes them) never reach COPY's quote or delimiter byte.
    const control = randomUUID();
    await insert(control, [row({ notes: 'bell \u0007 quote \u0001 delimiter \u0002 "x" \\ end' })]);
    const [line] = (await runExport(control, options({ format: 'jsonl', columns: ['notes'] }))).file.split('\n');
    expect(JSON.parse(line!)).toEqual({ notes: 'bell \u0007 quote \u0001 delimiter \u0002 "x" \\ end' });
  });

  it('gives the XLSX writer typed values, text not neutralised', async () => {
    const { rows } = await runExport(user, options({ format: 'xlsx' }));
    expect(rows).toEqual(
      stored.map((m) => ({
        id: m.id,
        uuid: m.uuid,
        club_name: m.clubName,
        club_city: m.clubCity,
        plan: m.plan,
        status: m.status,
        started_on: m.startedOn,
        ends_on: m.endsOn,
        price: m.price,
        currency: m.currency,
        auto_renew: m.autoRenew,
        notes: m.notes,
        created_at: m.createdAt,
        updated_at: m.updatedAt,
      })),
    );
  });

  describe('time zones', () => {
    const zoned = randomUUID();
    // Europe/Berlin: summer time from 2026-03-29 01:00 UTC, back on 2026-10-25 01:00 UTC.
    const instants = [
      ['2026-03-29T00:59:59.999Z', '2026-03-29T01:59:59.999+01:00'],
      ['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000+02:00'],
      ['2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000+02:00'],
      ['2026-10-25T01:30:00.000Z', '2026-10-25T02:30:00.000+01:00'],
      ['2026-12-31T23:30:00.000Z', '2027-01-01T00:30:00.000+01:00'],
    ] as const;

    beforeAll(async () => {
      await insert(
        zoned,
        instants.map(([utc]) => row({ startedOn: '2026-03-29', endsOn: '2026-12-31', createdAt: utc, updatedAt: utc })),
      );
    });

    it('writes instants with the offset of Europe/Berlin across both changes, and leaves days alone', async () => {
      const berlin = options({ timeZone: 'Europe/Berlin', columns: ['started_on', 'ends_on', 'created_at', 'updated_at'] });
      const { file, rows } = await runExport(zoned, berlin);
      expect(csv(file).slice(1)).toEqual(instants.map(([, local]) => ['2026-03-29', '2026-12-31', local, local]));
      expect(rows).toEqual(
        instants.map(([, local]) => ({ started_on: '2026-03-29', ends_on: '2026-12-31', created_at: local, updated_at: local })),
      );
      const json = (await runExport(zoned, { ...berlin, format: 'jsonl' })).file
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(json).toEqual(
        instants.map(([, local]) => ({ started_on: '2026-03-29', ends_on: '2026-12-31', created_at: local, updated_at: local })),
      );
      // Each is the same instant as stored.
      for (const [utc, local] of instants) expect(new Date(local).toISOString()).toBe(utc);
    });

    it('never shifts a day, even 14 hours ahead or 11 behind', async () => {
      for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
        const { file } = await runExport(zoned, options({ timeZone, columns: ['started_on', 'ends_on'] }));
        expect(csv(file).slice(1)).toEqual(instants.map(() => ['2026-03-29', '2026-12-31']));
      }
    });

    it('sets the zone for the export’s transaction only', async () => {
      await runExport(zoned, options({ timeZone: 'Asia/Kolkata' }));
      const { rows } = await client.query<{ zone: string }>('SHOW TimeZone');
      expect(rows[0]!.zone).not.toBe('Asia/Kolkata');
    });

    it('fails before any byte when PostgreSQL does not know the zone', async () => {
      // Every zone of this Node.js is known to the test server, so the statement is written out for one it is not.
      const settings = exportSessionSettings(options({ timeZone: 'Europe/Berlin' }));
      expect(settings).toEqual([`SET LOCAL TIME ZONE ${escapeLiteral('Europe/Berlin')}`]);
      await client.query('BEGIN');
      await expect(client.query(settings[0]!.replace('Europe/Berlin', 'Mars/Olympus'))).rejects.toMatchObject({
        code: '22023',
        message: 'invalid value for parameter "TimeZone": "Mars/Olympus"',
      });
      await client.query('ROLLBACK');
    });
  });

  describe('filters', () => {
    const filtered = randomUUID();
    let rows: Stored[];
    const CLUBS = ["O'Brien's Gym", "back\\slash \\' club", "'); DROP TABLE memberships; --", 'Zürich 東京 🏋️‍♀️', 'Plain', 'plain', 'Plain '];

    beforeAll(async () => {
      rows = await insert(filtered, [
        row({ clubName: CLUBS[0], status: 'active', startedOn: '2024-03-01', endsOn: null }),
        row({ clubName: CLUBS[1], status: 'paused', startedOn: '2024-03-02', endsOn: '2024-03-31' }),
        row({ clubName: CLUBS[2], status: 'cancelled', startedOn: '2023-12-31', endsOn: '2024-03-01' }),
        row({ clubName: CLUBS[3], status: 'expired', startedOn: '2022-01-01', endsOn: '2024-02-29' }),
        row({ clubName: CLUBS[4], status: 'active', startedOn: '2024-01-01', endsOn: '2025-01-01' }),
        row({ clubName: CLUBS[5], status: 'expired', startedOn: '2020-06-15', endsOn: '2021-06-14' }),
        row({ clubName: CLUBS[6], status: 'paused', startedOn: '2024-03-01', endsOn: '2024-03-01' }),
      ]);
    });

    /** The ids each way gives (count, CSV, JSONL, XLSX rows), which must agree. */
    async function idsFor(filters: ExportFilters): Promise<string[]> {
      const exported = await runExport(filtered, options({ filters, columns: ['id'] }));
      const csvIds = csv(exported.file)
        .slice(1)
        .map((r) => r[0]!);
      const jsonIds = (await runExport(filtered, options({ filters, columns: ['id'], format: 'jsonl' }))).file
        .split('\n')
        .filter(Boolean)
        .map((line) => String((JSON.parse(line) as { id: number }).id));
      expect(exported.rows.map((r) => r.id)).toEqual(csvIds);
      expect(jsonIds).toEqual(csvIds);
      expect(exported.count).toBe(csvIds.length);
      return csvIds;
    }
    const ids = (...indexes: number[]) => indexes.map((i) => rows[i]!.id);

    it.each([
      ['status', { status: ['paused', 'expired'] }, [1, 3, 5, 6]],
      ['status, one', { status: ['cancelled'] }, [2]],
      ['started_on from', { startedOn: { from: '2024-03-01' } }, [0, 1, 6]],
      ['started_on to', { startedOn: { to: '2023-12-31' } }, [2, 3, 5]],
      ['started_on range', { startedOn: { from: '2024-01-01', to: '2024-03-01' } }, [0, 4, 6]],
      ['ends_on range (open ends in none)', { endsOn: { from: '2024-03-01', to: '2024-12-31' } }, [1, 2, 6]],
      ['ends_on from', { endsOn: { from: '2025-01-01' } }, [4]],
      ['active_on: started that day, ended that day, open-ended; not ended the day before', { activeOn: '2024-03-01' }, [0, 2, 4, 6]],
      ['active_on a leap day', { activeOn: '2024-02-29' }, [2, 3, 4]],
      [
        'combined',
        { status: ['active', 'paused'], startedOn: { from: '2024-01-01' }, endsOn: { to: '2024-12-31' }, activeOn: '2024-03-01' },
        [6],
      ],
      ['combined with club', { clubName: 'Plain', activeOn: '2024-06-01', status: ['active'] }, [4]],
      ['nothing matches', { status: ['cancelled'], activeOn: '2030-01-01' }, []],
    ] as const)('filters by %s', async (_name, filters, expected) => {
      expect(await idsFor(filters as ExportFilters)).toEqual(ids(...expected));
    });

    it('selects exactly the named club for hostile names: quotes, backslashes, SQL, unicode, case and spaces', async () => {
      for (const [index, clubName] of CLUBS.entries()) {
        expect(await idsFor({ clubName })).toEqual(ids(index));
        const { rows: exported } = await runExport(filtered, options({ filters: { clubName }, format: 'xlsx', columns: ['club_name'] }));
        expect(exported).toEqual([{ club_name: clubName }]);
      }
      // Also where backslashes are escapes in plain literals (standard_conforming_strings off).
      await client.query('SET standard_conforming_strings = off');
      try {
        for (const [index, clubName] of CLUBS.entries()) {
          const { rows: counted } = await client.query<{ count: string }>(countSelect(filtered, { filters: { clubName } }));
          const { rows: found } = await client.query(exportRowsQuery(filtered, options({ filters: { clubName }, columns: ['id'] })));
          expect([counted[0]!.count, found]).toEqual(['1', [{ id: rows[index]!.id }]]);
        }
      } finally {
        await client.query('SET standard_conforming_strings = on');
      }
      const { rows: table } = await client.query<{ count: string }>('SELECT count(*) AS count FROM memberships WHERE user_id = $1', [
        filtered,
      ]);
      expect(table[0]!.count).toBe(String(CLUBS.length));
    });

    it('finds the ids that start parallel ranges at row positions among the filtered rows, one per position in order', async () => {
      const starts = async (filters: ExportFilters, positions: number[]) =>
        (await client.query<{ id: string | null }>(rangeStartsSelect(filtered, { filters }, positions))).rows.map((r) => r.id);
      // status paused or expired: rows 1, 3, 5 and 6 of the seven, in id order.
      const some = { status: ['paused', 'expired'] } as const;
      expect(await starts(some, [2])).toEqual(ids(3));
      expect(await starts(some, [2, 4])).toEqual(ids(3, 6));
      expect(await starts(some, [1, 2, 3, 4])).toEqual(ids(1, 3, 5, 6));
      expect(await starts({}, [3, 7])).toEqual(ids(2, 6));
      // Past the rows: NULL, and every position after it too.
      expect(await starts(some, [4, 5, 6])).toEqual([...ids(6), null, null]);
      expect(() => rangeStartsSelect(filtered, { filters: {} }, [2, 2])).toThrow('ascending positive integers');
      expect(() => rangeStartsSelect(filtered, { filters: {} }, [])).toThrow('ascending positive integers');
    });

    it('gives the filters to psql’s \\copy as the same SELECT and options (the benchmark’s comparison)', () => {
      const asked = options({ filters: { status: ['active'] }, csv: { delimiter: ';', bom: false, lineEnding: 'lf' } });
      expect(exportCopyStatement(filtered, asked)).toBe(
        `COPY (${exportSelect(filtered, asked)}) TO STDOUT WITH ${exportCopyOptions(asked)}`,
      );
    });
  });
});
