import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  readMemberships,
  readSpreadsheet,
  startTestPlatform,
  type SeededMembership,
  type SpreadsheetCell,
  type TestPlatform,
} from '@memberships/local-platform';
import { ALL_COLUMNS, calcText, csvField, insertHostileRows, isText, xlsxCell, type Column } from './support/expected-export';
import { login, waitForFinalJob } from './support/http';

// The files as a spreadsheet program nobody here wrote reads them: LibreOffice Calc headless
// opens the XLSX export and the `excel` CSV for de-DE and converts them back (readSpreadsheet:
// formulas evaluated, and once more with formulas shown, so any formula cell is found). Every
// cell must hold the database's value, none may be a formula, accents must survive.
describe('export files read back by LibreOffice Calc', () => {
  // Each reading starts soffice twice with a fresh profile: seconds alone, more beside other suites.
  jest.setTimeout(180_000);

  let platform: TestPlatform;
  let token: string;
  let rows: SeededMembership[];
  let directory: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ memberships: 25 });
    await insertHostileRows(platform.database.url, platform.user.id);
    rows = await readMemberships(platform.database.url, platform.user.id);
    token = await login(platform.apiUrl, platform.user.email, platform.user.password);
    directory = mkdtempSync(path.join(os.tmpdir(), 'spreadsheet-e2e-'));
  });

  afterAll(async () => {
    await platform?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  /** Requests an export with `body`, downloads its file and saves it under its own name. */
  async function exportFile(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${platform.apiUrl}/v1/exports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    expect(await waitForFinalJob(platform.apiUrl, location, token)).toMatchObject({ state: 'succeeded' });
    const redirect = await fetch(`${platform.apiUrl}${location}/download`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    const download = await fetch(redirect.headers.get('location')!);
    expect(download.status).toBe(200);
    const name = /filename="([^"]+)"/.exec(download.headers.get('content-disposition') ?? '')![1]!;
    const file = path.join(directory, name);
    writeFileSync(file, Buffer.from(await download.arrayBuffer()));
    return file;
  }

  const byColumn = (cells: readonly SpreadsheetCell[]) => Object.fromEntries(ALL_COLUMNS.map((column, index) => [column, cells[index]]));

  describe('the XLSX file', () => {
    let cells: Record<string, SpreadsheetCell | undefined>[];
    let header: readonly SpreadsheetCell[];

    beforeAll(async () => {
      const reading = await readSpreadsheet(await exportFile({ format: 'xlsx', time_zone: 'Europe/Berlin' }), { name: 'export-xlsx' });
      expect(reading.formulas).toEqual([]);
      header = reading.rows[0] ?? [];
      cells = reading.rows.slice(1).map(byColumn);
    });

    it('holds every stored value as a typed cell: text as text (leading zeros, accents), numbers, days, Berlin wall clock, booleans', () => {
      expect(header.map((cell) => cell.value)).toEqual(ALL_COLUMNS);
      expect(cells).toHaveLength(rows.length);
      const seen = rows.flatMap((m, index) =>
        ALL_COLUMNS.map((column) => {
          const cell = cells[index]![column];
          return { row: m.id, column, value: cell?.value ?? '', kind: cell?.kind ?? 'empty' };
        }),
      );
      const expected = rows.flatMap((m) => ALL_COLUMNS.map((column) => ({ row: m.id, column, ...xlsxCell(m, column, 'Europe/Berlin') })));
      // Only the differences, each with its row and column, when there are any.
      expect(seen.filter((cell, index) => JSON.stringify(cell) !== JSON.stringify(expected[index]))).toEqual(
        expected.filter((cell, index) => JSON.stringify(cell) !== JSON.stringify(seen[index])),
      );
    });

    it('runs nothing and keeps the hostile text as typed, without an apostrophe', () => {
      const issue = cells.find((cell) => cell.club_name?.value === ' =1+1')!;
      expect(issue.club_city).toEqual({ value: '007', kind: 'text' });
      expect(issue.plan).toEqual({ value: '\uFF1D1+1', kind: 'text' });
      const berlin = cells.find((cell) => cell.club_name?.value === 'Berlin;=1+1')!;
      expect(berlin.club_city).toEqual({ value: 'Zürich', kind: 'text' });
      expect(berlin.plan).toEqual({ value: '007', kind: 'text' });
      expect(berlin.price).toEqual({ value: '4.99', kind: 'value' });
      // 02:30 twice in Berlin: a spreadsheet has no zones, the wall clock is what it can show.
      expect([berlin.created_at?.value, berlin.updated_at?.value]).toEqual(['2021-10-31 02:30:00', '2021-10-31 02:30:00']);
    });
  });

  describe('the excel CSV for de-DE, opened with Calc’s Text Import as a German user would (`;`, UTF-8, German)', () => {
    let file: string;

    beforeAll(async () => {
      file = await exportFile({ preset: 'excel', locale: 'de-DE' });
    });

    /** What Calc must show of a CSV record: the file's text (free text neutralised), ids, prices and days as values. */
    function expectedCells(m: SeededMembership): { row: string; column: Column; value: string; kind: string }[] {
      return ALL_COLUMNS.map((column) => {
        const field = csvField(m, column);
        const isValue = column === 'id' || column === 'price' || column === 'started_on' || column === 'ends_on';
        const kind = field === '' ? 'empty' : isText(column) || !isValue ? 'text' : 'value';
        return { row: m.id, column, value: column === 'price' ? String(Number(field)) : calcText(field, 'csv'), kind };
      });
    }

    /** The cells that differ from what they should be, each with its row and column (none, when all is well). */
    function differences(records: readonly (readonly SpreadsheetCell[])[], skip: readonly Column[]) {
      const expected = rows.flatMap(expectedCells).filter((cell) => !skip.includes(cell.column));
      const seen = rows
        .flatMap((m, index) =>
          ALL_COLUMNS.map((column, at) => {
            const cell = records[index]?.[at] ?? { value: '', kind: 'empty' };
            return { row: m.id, column, value: cell.value, kind: cell.kind };
          }),
        )
        .filter((cell) => !skip.includes(cell.column));
      const differ = (a: object, b: object | undefined) => JSON.stringify(a) !== JSON.stringify(b);
      return {
        seen: seen.filter((cell, index) => differ(cell, expected[index])),
        expected: expected.filter((cell, index) => differ(cell, seen[index])),
      };
    }

    it('shows every field as the file holds it, runs no formula and keeps accents, with "quoted field as text" on (so 007 stays 007)', async () => {
      const reading = await readSpreadsheet(file, {
        name: 'excel-de-quoted-as-text',
        csv: { delimiter: ';', locale: 'de-DE', quotedFieldAsText: true },
      });
      expect(reading.formulas).toEqual([]);
      const [header, ...records] = reading.rows;
      // The BOM is read as the UTF-8 mark it is, not as part of the first header.
      expect(header!.map((cell) => cell.value)).toEqual(ALL_COLUMNS);
      expect(records).toHaveLength(rows.length);
      // Prices have a test of their own (below).
      const { seen, expected } = differences(records, ['price']);
      expect(seen).toEqual(expected);
      const berlin = records.find((cells) => cells[2]!.value === 'Berlin;=1+1')!;
      expect(berlin.slice(2, 5)).toEqual([
        { value: 'Berlin;=1+1', kind: 'text' },
        { value: 'Zürich', kind: 'text' },
        { value: '007', kind: 'text' },
      ]);
    });

    it('runs no formula under Calc’s default import either (which runs even a quoted =1+1), where 007 becomes the number 7', async () => {
      const reading = await readSpreadsheet(file, { name: 'excel-de-default', csv: { delimiter: ';', locale: 'de-DE' } });
      expect(reading.formulas).toEqual([]);
      const berlin = reading.rows.find((cells) => cells[2]!.value === 'Berlin;=1+1')!;
      expect(berlin[3]).toEqual({ value: 'Zürich', kind: 'text' });
      // A CSV carries no types: a quoted 007 is a number to a spreadsheet's default import (Excel's too). The XLSX keeps it.
      expect(berlin[4]).toEqual({ value: '7', kind: 'value' });
      const issue = reading.rows.find((cells) => cells[2]!.value === "' =1+1")!;
      expect(issue.slice(2, 5).map((cell) => cell.kind)).toEqual(['text', 'value', 'text']);
    });

    it('gives prices that a German spreadsheet reads as numbers', async () => {
      const reading = await readSpreadsheet(file, {
        name: 'excel-de-prices',
        csv: { delimiter: ';', locale: 'de-DE', quotedFieldAsText: true },
      });
      const prices = reading.rows.slice(1).map((cells) => cells[ALL_COLUMNS.indexOf('price')]!);
      expect(prices.map((cell) => ({ value: Number(cell.value.replace(',', '.')), kind: cell.kind }))).toEqual(
        rows.map((m) => ({ value: Number(m.price), kind: 'value' })),
      );
    });
  });
});
