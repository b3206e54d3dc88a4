import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvImportFilter, readSpreadsheet, sofficePath } from './spreadsheet';

// The reader the export's spreadsheet tests rely on, on files whose cells are known: it must see a
// formula where Calc makes one (or the e2e "no cell is a formula" could never fail), and tell
// text from values under the import options a person picks.
describe('readSpreadsheet (LibreOffice Calc headless)', () => {
  // Each reading starts soffice twice with a fresh profile: seconds alone, more beside other suites.
  jest.setTimeout(180_000);

  let directory: string;

  beforeAll(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'spreadsheet-test-'));
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  function file(name: string, content: string): string {
    const written = path.join(directory, name);
    writeFileSync(written, content);
    return written;
  }

  it('finds the formulas Calc makes of a CSV, and leaves neutralised text as text', async () => {
    const csv = file('formulas.csv', 'a,b,c,d\n=1+1,"=2+2","\'=3+3",Zürich\n');
    const reading = await readSpreadsheet(csv, { name: 'control-formulas', csv: { delimiter: ',' } });

    expect(reading.rows[1]).toEqual([
      { value: '2', kind: 'value', formula: '=1+1' },
      // Quoted or not: Calc's CSV import runs a leading = as a formula, the reason the export neutralises text.
      { value: '4', kind: 'value', formula: '=2+2' },
      { value: "'=3+3", kind: 'text' },
      { value: 'Zürich', kind: 'text' },
    ]);
    expect(reading.formulas).toEqual([
      { row: 1, column: 0, formula: '=1+1' },
      { row: 1, column: 1, formula: '=2+2' },
    ]);
  });

  it('reads numbers under the chosen language, and quoted fields as text only when asked', async () => {
    const csv = file('german.csv', '\uFEFFpreis;punkt;null\r\n1,5;1.5;"007"\r\n');
    const german = await readSpreadsheet(csv, { name: 'control-german', csv: { delimiter: ';', locale: 'de-DE' } });
    // The BOM is no cell's text; 1,5 is a number in German, 1.5 is not; "007" becomes the number 7.
    expect(german.rows[0]!.map((cell) => cell.value)).toEqual(['preis', 'punkt', 'null']);
    expect(german.rows[1]).toEqual([
      { value: '1.5', kind: 'value' },
      { value: '1.5', kind: 'text' },
      { value: '7', kind: 'value' },
    ]);
    const asText = await readSpreadsheet(csv, {
      name: 'control-quoted-as-text',
      csv: { delimiter: ';', locale: 'de-DE', quotedFieldAsText: true },
    });
    expect(asText.rows[1]![2]).toEqual({ value: '007', kind: 'text' });
  });

  it('says what is wrong: no soffice, unknown locale, a file it cannot open', async () => {
    expect(() => sofficePath({ SOFFICE_PATH: '/nonexistent/soffice' })).toThrow(/No LibreOffice at \/nonexistent\/soffice: install/);
    expect(() => csvImportFilter({ delimiter: ';', locale: 'xx-XX' })).toThrow(/No LibreOffice language id for xx-XX/);
    expect(csvImportFilter({ delimiter: '\t', locale: 'de-DE', quotedFieldAsText: true })).toBe('CSV:9,34,76,1,,1031,true,false');
    await expect(readSpreadsheet(file('broken.xlsx', 'not a zip'), { name: 'control-broken' })).rejects.toThrow(/LibreOffice/);
  });
});
