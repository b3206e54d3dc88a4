/**
 * Every format and option of the export file, from a real PostgreSQL through
 * the worker's pipeline (exportMemberships into a file sink), read back with
 * readers that owe nothing to the writers (csv-parse, zlib, JSON.parse, the
 * test XLSX reader) and compared with the rows as PostgreSQL holds them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_EXPORT_OPTIONS, EXPORT_COLUMN_NAMES, type ExportOptions } from '@memberships/core/contract';
import { createTestDatabase, parseCsv, seedMemberships, type TestDatabase } from '@memberships/local-platform';
import { parse } from 'csv-parse/sync';
import { Pool } from 'pg';
import { fileSink } from './bench/file-sink';
import { exportMemberships, type ExportFileResult } from './csv-export';
import { readXlsx, serialDay, serialWallClock, type XlsxCell } from './testing/xlsx-reader';
import { sha256 } from './testing/worker-environment';

jest.setTimeout(120_000);

/** A membership as PostgreSQL holds it, read with plain SQL (not production's statements). */
interface StoredRow {
  id: string;
  uuid: string;
  club_name: string;
  club_city: string | null;
  plan: string;
  status: string;
  started_on: string;
  ends_on: string | null;
  price: string;
  currency: string;
  auto_renew: boolean;
  notes: string | null;
  created_at: Date;
  updated_at: Date;
}

const options = (overrides: Partial<ExportOptions>): ExportOptions => ({ ...DEFAULT_EXPORT_OPTIONS, ...overrides });

/** LF → CRLF outside quotes, character by character: the reference for the worker's CRLF transform. */
function crlfReference(text: string): string {
  let quoted = false;
  let out = '';
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    out += c === '\n' && !quoted ? '\r\n' : c;
  }
  return out;
}

/** The wall-clock time of an instant in a zone, YYYY-MM-DDTHH:MM:SS.mmm (Intl, not PostgreSQL). */
function wallClock(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const ms = String(instant.getUTCMilliseconds()).padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${ms}`;
}

describe('export formats', () => {
  let database: TestDatabase;
  let pool: Pool;
  let dir: string;
  const userId = randomUUID();
  let stored: StoredRow[];

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedMemberships(database.url, userId, 2500, { tricky: true });
    await seedMemberships(database.url, randomUUID(), 500, { seed: 7 });
    pool = new Pool({ connectionString: database.url, max: 1 });
    stored = (
      await pool.query<StoredRow>(
        `SELECT id::text, uuid::text, club_name, club_city, plan, status::text, started_on::text, ends_on::text, price::text,
                currency, auto_renew, notes, created_at, updated_at
           FROM memberships WHERE user_id = $1 ORDER BY memberships.id`,
        [userId],
      )
    ).rows;
    dir = await mkdtemp(path.join(tmpdir(), 'export-formats-test-'));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function exportFile(
    exportOptions: ExportOptions,
    extra: { keep?: number; xlsxMaxRowsPerSheet?: number; user?: string } = {},
  ): Promise<{ result: ExportFileResult; file: Buffer }> {
    const out = path.join(dir, `${randomUUID()}.out`);
    const result = await exportMemberships({
      pool,
      userId: extra.user ?? userId,
      export: exportOptions,
      sink: fileSink(out),
      keepInMemoryUpToBytes: extra.keep ?? 0,
      xlsxMaxRowsPerSheet: extra.xlsxMaxRowsPerSheet,
    });
    const file = await readFile(out);
    expect(result.bytes).toBe(file.length);
    expect(result.sha256).toBe(sha256(file));
    return { result, file };
  }

  it('writes the Excel dialect: BOM first, the delimiter asked, CRLF record ends and line breaks inside fields as stored', async () => {
    const plain = await exportFile(options({ csv: { delimiter: ';', bom: false, lineEnding: 'lf' } }));
    const excel = await exportFile(options({ csv: { delimiter: ';', bom: true, lineEnding: 'crlf' } }));
    const standard = await exportFile(DEFAULT_EXPORT_OPTIONS);

    expect(excel.file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(excel.file.subarray(3).toString('utf8')).toBe(crlfReference(plain.file.toString('utf8')));
    expect(excel.result.rows).toBe(stored.length);
    // The same records as the standard file, field for field, only the dialect differs.
    const records = parse(excel.file, { bom: true, delimiter: ';', record_delimiter: '\r\n', relax_quotes: false }) as string[][];
    expect(records).toEqual(parseCsv(standard.file));
    // A note's own CRLF is still in it, inside its quotes.
    expect(records.some((record) => record.includes('ends with CRLF\r\n'))).toBe(true);
  });

  it('writes tab-separated CSV with the same records', async () => {
    const tab = await exportFile(options({ csv: { delimiter: '\t', bom: false, lineEnding: 'lf' } }));
    const standard = await exportFile(DEFAULT_EXPORT_OPTIONS);
    expect(tab.result.rows).toBe(stored.length);
    expect(parse(tab.file, { delimiter: '\t', record_delimiter: '\n' })).toEqual(parseCsv(standard.file));
  });

  it('gzips the file: size, SHA-256 and the attachment are the compressed file’s, and it unpacks to the uncompressed export', async () => {
    const csv = options({ csv: { delimiter: ';', bom: true, lineEnding: 'crlf' } });
    const plain = await exportFile(csv);
    const gzipped = await exportFile({ ...csv, compression: 'gzip' }, { keep: 64 * 1024 * 1024 });
    expect(gzipped.file.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(gzipped.file).equals(plain.file)).toBe(true);
    expect(gzipped.result.content?.equals(gzipped.file)).toBe(true);
    expect(gzipped.result.bytes).toBeLessThan(plain.result.bytes / 2);
    expect(gzipped.result.rows).toBe(stored.length);
  });

  it('writes JSON Lines: one object per row, typed values, text exactly as stored, no header', async () => {
    const { result, file } = await exportFile(options({ format: 'jsonl' }));
    const text = file.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(result.rows).toBe(stored.length);
    expect(lines).toHaveLength(stored.length);
    lines.forEach((line, index) => {
      const row = stored[index]!;
      expect(JSON.parse(line)).toEqual({
        id: Number(row.id),
        uuid: row.uuid,
        club_name: row.club_name,
        club_city: row.club_city,
        plan: row.plan,
        status: row.status,
        started_on: row.started_on,
        ends_on: row.ends_on,
        price: Number(row.price),
        currency: row.currency,
        auto_renew: row.auto_renew,
        notes: row.notes,
        created_at: row.created_at.toISOString(),
        updated_at: row.updated_at.toISOString(),
      });
      // The price's exact digits, as a JSON number.
      expect(line).toContain(`"price":${row.price}`);
    });
  });

  it('writes JSON Lines gzipped, with a column subset in its order, filters and timestamps in the zone', async () => {
    const active = stored.filter((row) => row.status === 'active');
    const { result, file } = await exportFile(
      options({
        format: 'jsonl',
        compression: 'gzip',
        columns: ['notes', 'id', 'created_at'],
        filters: { status: ['active'] },
        timeZone: 'Europe/Berlin',
      }),
    );
    const lines = gunzipSync(file).toString('utf8').trimEnd().split('\n');
    expect(active.length).toBeGreaterThan(0);
    expect(result.rows).toBe(active.length);
    expect(lines).toHaveLength(active.length);
    lines.forEach((line, index) => {
      const row = active[index]!;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['notes', 'id', 'created_at']);
      expect(parsed.notes).toBe(row.notes);
      expect(parsed.id).toBe(Number(row.id));
      const createdAt = parsed.created_at as string;
      expect(createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0[12]:00$/);
      expect(new Date(createdAt).getTime()).toBe(row.created_at.getTime());
      expect(createdAt.slice(0, 23)).toBe(wallClock(row.created_at, 'Europe/Berlin'));
    });
  });

  it('writes XLSX with typed cells, a bold frozen autofiltered header, and timestamps as wall-clock times in the zone', async () => {
    const { result, file } = await exportFile(options({ format: 'xlsx', timeZone: 'Europe/Berlin' }));
    expect(result.rows).toBe(stored.length);
    const { sheets, parts } = readXlsx(file);
    expect(sheets.map((sheet) => sheet.name)).toEqual(['memberships']);
    const [sheet] = sheets;
    const [header, ...rows] = sheet!.rows;
    expect(header!.map((cell) => cell?.value)).toEqual([...EXPORT_COLUMN_NAMES]);
    // The header's style uses the bold font; the pane is frozen below it; the filter spans every row.
    const styles = parts.get('xl/styles.xml')!.toString('utf8');
    const xfs = [...styles.matchAll(/<xf [^>]*>/g)].slice(1).map((m) => m[0]); // after cellStyleXfs' one
    const fonts = [...styles.matchAll(/<font>(.*?)<\/font>/g)].map((m) => m[1]!);
    const headerFont = Number(/fontId="(\d+)"/.exec(xfs[header![0]!.style]!)![1]);
    expect(fonts[headerFont]).toContain('<b/>');
    expect(sheet!.xml).toMatch(/<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"\/>/);
    expect(sheet!.xml).toContain(`<autoFilter ref="A1:N${stored.length + 1}"/>`);

    expect(rows).toHaveLength(stored.length);
    const cell = (cells: (XlsxCell | undefined)[], name: string) => cells[EXPORT_COLUMN_NAMES.indexOf(name as never)];
    rows.forEach((cells, index) => {
      const row = stored[index]!;
      expect(cell(cells, 'id')).toMatchObject({ type: 'n', value: row.id });
      expect(cell(cells, 'price')).toMatchObject({ type: 'n', value: row.price });
      expect(cell(cells, 'auto_renew')).toMatchObject({ type: 'b', value: row.auto_renew ? '1' : '0' });
      // Text as string cells exactly as stored: formulas stay text, no apostrophe, CR and LF kept.
      for (const name of ['uuid', 'club_name', 'plan', 'status', 'currency'] as const) {
        expect(cell(cells, name)).toMatchObject({ type: 'inlineStr', value: row[name] });
      }
      for (const name of ['club_city', 'notes'] as const) {
        if (row[name] === null) expect(cell(cells, name)).toBeUndefined();
        else expect(cell(cells, name)).toMatchObject({ type: 'inlineStr', value: row[name] });
      }
      expect(serialDay(Number(cell(cells, 'started_on')!.value))).toBe(row.started_on);
      if (row.ends_on === null) expect(cell(cells, 'ends_on')).toBeUndefined();
      else expect(serialDay(Number(cell(cells, 'ends_on')!.value))).toBe(row.ends_on);
      expect(serialWallClock(Number(cell(cells, 'created_at')!.value))).toBe(wallClock(row.created_at, 'Europe/Berlin'));
      expect(serialWallClock(Number(cell(cells, 'updated_at')!.value))).toBe(wallClock(row.updated_at, 'Europe/Berlin'));
    });
    // The tricky rows are among them: a formula-looking name is a plain string.
    expect(rows.some((cells) => cell(cells, 'club_name')?.value.startsWith('=HYPERLINK('))).toBe(true);
    expect(rows.some((cells) => cell(cells, 'notes')?.value === 'ends with CRLF\r\n')).toBe(true);
  });

  it('goes on in further sheets past the rows a sheet holds, each with its header, rows in order', async () => {
    const { result, file } = await exportFile(options({ format: 'xlsx', columns: ['id', 'club_name'] }), { xlsxMaxRowsPerSheet: 1000 });
    expect(result.rows).toBe(stored.length);
    const { sheets } = readXlsx(file);
    const perSheet = 999;
    expect(sheets.map((sheet) => sheet.name)).toEqual(
      Array.from({ length: Math.ceil(stored.length / perSheet) }, (_, i) => (i === 0 ? 'memberships' : `memberships ${i + 1}`)),
    );
    const ids: string[] = [];
    for (const [index, sheet] of sheets.entries()) {
      const [header, ...rows] = sheet.rows;
      expect(header!.map((cell) => cell?.value)).toEqual(['id', 'club_name']);
      expect(rows.length).toBe(Math.min(perSheet, stored.length - index * perSheet));
      expect(sheet.xml).toContain(`<autoFilter ref="A1:B${rows.length + 1}"/>`);
      ids.push(...rows.map((cells) => cells[0]!.value));
    }
    expect(ids).toEqual(stored.map((row) => row.id));
  });

  it('writes a workbook with only the header for a user without memberships, and gzips XLSX when asked', async () => {
    const empty = await exportFile(options({ format: 'xlsx' }), { user: randomUUID() });
    expect(empty.result.rows).toBe(0);
    expect(readXlsx(empty.file).sheets.map((sheet) => sheet.rows.length)).toEqual([1]);

    const gzipped = await exportFile(options({ format: 'xlsx', compression: 'gzip', filters: { clubName: 'No notes, no end' } }));
    const { sheets } = readXlsx(gunzipSync(gzipped.file));
    const expected = stored.filter((row) => row.club_name === 'No notes, no end');
    expect(expected.length).toBeGreaterThan(0);
    expect(sheets[0]!.rows.slice(1).map((cells) => cells[0]!.value)).toEqual(expected.map((row) => row.id));
  });
});
