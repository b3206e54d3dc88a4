import { DEFAULT_EXPORT_OPTIONS, EXPORT_COLUMNS, type ExportOptions } from './exports/export-options';
import {
  countSelect,
  escapeLiteral,
  exportCopyStatement,
  exportRowsQuery,
  exportSelect,
  exportSessionSettings,
  FORMULA_PREFIX,
} from './memberships/export-query';

const options = (changes: Partial<ExportOptions>): ExportOptions => ({ ...DEFAULT_EXPORT_OPTIONS, ...changes });

describe('export query', () => {
  const userId = '0B7A3A52-8F0E-4A0B-A2C5-5F4F1B6F9D20';

  it('selects every export column of one user in id order', () => {
    const sql = exportSelect(userId);
    for (const column of EXPORT_COLUMNS) expect(sql).toContain(` AS ${column.name}`);
    expect(sql).toMatch(/WHERE user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20' ORDER BY id$/);
  });

  it('refuses anything but a UUID, since COPY cannot take bind parameters', () => {
    expect(() => exportSelect("x' OR '1'='1")).toThrow(/non-UUID/);
    expect(() => exportCopyStatement('')).toThrow();
    expect(() => countSelect('x')).toThrow(/non-UUID/);
    expect(() => exportRowsQuery('x', DEFAULT_EXPORT_OPTIONS)).toThrow(/non-UUID/);
  });

  it('asks PostgreSQL for CSV with a header row, the text columns always quoted', () => {
    expect(exportCopyStatement(userId)).toMatch(
      /^COPY \(SELECT .*\) TO STDOUT WITH \(FORMAT csv, HEADER true, FORCE_QUOTE \(club_name, club_city, plan, notes\), ENCODING 'UTF8'\)$/s,
    );
  });

  it('gives the statements of before options for the defaults: UTC instants as ...Z, no session settings', () => {
    expect(exportSelect(userId)).toContain(`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at`);
    expect(exportSessionSettings(DEFAULT_EXPORT_OPTIONS)).toEqual([]);
    expect(countSelect(userId)).toBe(
      "SELECT count(*)::bigint AS count FROM memberships WHERE user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20'",
    );
  });

  it('selects only the asked columns, in the asked order, and quotes only the text ones', () => {
    const sql = exportCopyStatement(userId, options({ columns: ['price', 'notes', 'id'] }));
    expect(sql).toMatch(/^COPY \(SELECT price AS price, CASE WHEN notes ~ .* AS notes, id AS id FROM memberships /);
    expect(sql).toContain('FORCE_QUOTE (notes)');
    expect(exportCopyStatement(userId, options({ columns: ['id', 'price'] }))).not.toContain('FORCE_QUOTE');
  });

  it('refuses columns that are not in the whitelist, repeated ones, and none', () => {
    expect(() => exportSelect(userId, options({ columns: ['id; DROP TABLE memberships' as 'id'] }))).toThrow(/not a column/);
    expect(() => exportSelect(userId, options({ columns: ['id', 'id'] }))).toThrow(/twice/);
    expect(() => exportRowsQuery(userId, options({ columns: [] }))).toThrow(/at least one/);
  });

  it('writes each filter as a validated literal', () => {
    const filtered = options({
      filters: {
        status: ['active', 'paused'],
        clubName: "O'Brien's Gym",
        startedOn: { from: '2020-01-01', to: '2020-12-31' },
        endsOn: { to: '2025-06-30' },
        activeOn: '2024-02-29',
      },
    });
    const where =
      "WHERE user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20' AND status IN ('active', 'paused') AND club_name = 'O''Brien''s Gym'" +
      " AND started_on >= DATE '2020-01-01' AND started_on <= DATE '2020-12-31' AND ends_on <= DATE '2025-06-30'" +
      " AND started_on <= DATE '2024-02-29' AND (ends_on IS NULL OR ends_on >= DATE '2024-02-29')";
    expect(countSelect(userId, filtered)).toBe(`SELECT count(*)::bigint AS count FROM memberships ${where}`);
    expect(exportSelect(userId, filtered)).toContain(` ${where} ORDER BY id`);
    expect(exportRowsQuery(userId, filtered)).toContain(` ${where} ORDER BY id`);
  });

  it('refuses filter values that are not what the options allow', () => {
    const bad = (filters: object) => () => countSelect(userId, { filters } as ExportOptions);
    expect(bad({ status: ["active') OR ('1'='1"] })).toThrow(/status/);
    expect(bad({ status: [] })).toThrow(/status/);
    expect(bad({ startedOn: { from: "2020-01-01' OR '1'='1" } })).toThrow(/started_on.from/);
    expect(bad({ endsOn: { to: '2026-02-30' } })).toThrow(/ends_on.to/);
    expect(bad({ endsOn: {} })).toThrow(/ends_on/);
    expect(bad({ activeOn: 'today' })).toThrow(/active_on/);
    expect(bad({ clubName: '' })).toThrow(/club_name/);
    expect(bad({ clubName: 'x'.repeat(201) })).toThrow(/club_name/);
    expect(bad({ clubName: 'nul\0byte' })).toThrow(/NUL/);
    expect(bad({ clubName: 'lone \uD800 surrogate' })).toThrow(/surrogates/);
  });

  it('escapes literals as node-postgres does, whatever standard_conforming_strings says', () => {
    expect(escapeLiteral('plain')).toBe("'plain'");
    expect(escapeLiteral("it's")).toBe("'it''s'");
    expect(escapeLiteral('back\\slash')).toBe("E'back\\\\slash'");
    expect(escapeLiteral("'); DROP TABLE memberships; --")).toBe("'''); DROP TABLE memberships; --'");
    expect(escapeLiteral("\\'")).toBe("E'\\\\'''");
    expect(escapeLiteral('Zürich 東京 🏋️')).toBe("'Zürich 東京 🏋️'");
  });

  it('shows instants in the chosen zone with its offset, set for the transaction only', () => {
    const berlin = options({ timeZone: 'Europe/Berlin' });
    expect(exportSessionSettings(berlin)).toEqual(["SET LOCAL TIME ZONE 'Europe/Berlin'"]);
    expect(exportSelect(userId, berlin)).toContain(`to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.MSTZH:TZM') AS updated_at`);
    // Dates are calendar days: no zone touches them.
    expect(exportSelect(userId, berlin)).toContain('started_on AS started_on');
    expect(() => exportSessionSettings({ timeZone: "Europe/Berlin'; DROP TABLE memberships; --" })).toThrow(/time_zone/);
    expect(() => exportSelect(userId, options({ timeZone: 'Mars/Olympus' }))).toThrow(/time_zone/);
  });

  it('uses the dialect’s delimiter', () => {
    const semicolon = exportCopyStatement(userId, options({ csv: { delimiter: ';', bom: true, lineEnding: 'crlf' } }));
    expect(semicolon).toMatch(/WITH \(FORMAT csv, HEADER true, DELIMITER ';', FORCE_QUOTE \(.*\), ENCODING 'UTF8'\)$/);
    expect(exportCopyStatement(userId, options({ csv: { delimiter: '\t', bom: false, lineEnding: 'lf' } }))).toContain("DELIMITER E'\\t'");
    expect(() => exportCopyStatement(userId, options({ csv: { delimiter: '|' as ',', bom: false, lineEnding: 'lf' } }))).toThrow(
      /delimiter/,
    );
  });

  it('writes prices with the decimal comma when the dialect asks for it, and only prices', () => {
    const comma = exportSelect(userId, options({ csv: { delimiter: ';', bom: true, lineEnding: 'crlf', decimalSeparator: ',' } }));
    expect(comma).toContain("replace(price::text, '.', ',') AS price");
    expect(comma).toContain('started_on AS started_on');
    expect(exportSelect(userId, options({}))).toContain('price AS price');
  });

  it('writes JSONL as one compact JSON object per line through COPY, raw values, no header', () => {
    const sql = exportCopyStatement(userId, options({ format: 'jsonl', columns: ['id', 'notes', 'created_at'] }));
    expect(sql).toBe(
      `COPY (SELECT row_to_json(r)::text AS line FROM memberships CROSS JOIN LATERAL (SELECT id AS id, notes AS notes,` +
        ` to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at) AS r` +
        ` WHERE memberships.user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20' ORDER BY memberships.id)` +
        ` TO STDOUT WITH (FORMAT csv, HEADER false, QUOTE E'\\x01', DELIMITER E'\\x02', ENCODING 'UTF8')`,
    );
  });

  it('gives XLSX typed values, text not neutralised (string cells never run)', () => {
    const sql = exportRowsQuery(userId, options({ format: 'xlsx', columns: ['notes', 'started_on', 'price', 'auto_renew', 'created_at'] }));
    expect(sql).toBe(
      `SELECT notes AS notes, to_char(started_on, 'YYYY-MM-DD') AS started_on, price::text AS price, auto_renew AS auto_renew,` +
        ` to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at` +
        ` FROM memberships WHERE user_id = '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20' ORDER BY id`,
    );
    expect(() => exportCopyStatement(userId, options({ format: 'xlsx' }))).toThrow(/not written by COPY/);
  });
});

describe('formula neutralisation rule', () => {
  it.each([
    ['=1+1'],
    ['+49 30 1234'],
    ['-Premium'],
    ['@SUM(A1:A9)'],
    ['\tTabbed'],
    ['\rCarriage'],
    [' =1+1'],
    ['   +cmd'],
    ['\n=1'],
    ['\u00A0=1'],
    ['\u200B=1'],
    ['\u200C\u200D@x'],
    ['\u2060-1'],
    ['\uFEFF=1'],
    ['\u3000=1'],
    ['＝1+1'],
    ['＋1'],
    ['－1'],
    ['＠SUM(A1)'],
    [' \u200B ＝1'],
  ])('neutralises %j', (value) => {
    expect(FORMULA_PREFIX.test(value)).toBe(true);
  });

  it.each([
    ['Berlin;=1+1'],
    ['Anne-Marie Yoga = calm'],
    ['007'],
    ["'=already safe"],
    ['   '],
    [''],
    ['東京フィットネス'],
    ['a=b'],
    ['\u200B'],
  ])('leaves %j alone', (value) => {
    expect(FORMULA_PREFIX.test(value)).toBe(false);
  });

  it('is the rule in the SQL', () => {
    expect(exportSelect('0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20')).toContain(
      `CASE WHEN notes ~ E'${FORMULA_PREFIX.source.replaceAll('\\', '\\\\')}' THEN '''' || notes ELSE notes END AS notes`,
    );
  });
});
