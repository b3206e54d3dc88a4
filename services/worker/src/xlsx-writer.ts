import { Transform, type TransformCallback } from 'node:stream';
import { EXPORT_COLUMNS, type ColumnType, type ExportColumnName } from '@memberships/core/contract';
import { ZipWriter } from './zip-writer';

/**
 * Writes the export as an XLSX workbook, streamed: rows come in (batches of
 * arrays, in column order, as exportRowsQuery selects them) and the ZIP's
 * bytes go out, so memory stays flat however many rows there are.
 *
 * Hand-written (SpreadsheetML is a few fixed XML parts around the rows) rather
 * than exceljs's stream.xlsx.WorkbookWriter, which measured 14,800 rows/s and
 * a 747 MB peak RSS at 1,000,000 rows here (it has no backpressure).
 *
 * Cells are typed: text as inline strings (nothing in them runs, `007` keeps
 * its zeros), integers and prices as numbers written from PostgreSQL's exact
 * text, booleans, dates as date serials of the calendar day (never shifted),
 * timestamps as date-time serials of the wall-clock time in the export's
 * zone (a spreadsheet has no zones: the query already rendered them in it).
 * The header row is bold, frozen and autofiltered; past 1,048,576 rows
 * (Excel's limit, header included) the rows go on in a further sheet with
 * its own header: `memberships`, `memberships 2`, ...
 */

/** Excel's row limit per sheet, header included. */
export const XLSX_MAX_ROWS_PER_SHEET = 1_048_576;
export const XLSX_SHEET_NAME = 'memberships';

/** Sheet XML gathered before it goes to zlib. */
const XML_BUFFER_BYTES = 512 * 1024;
/** zlib level of the entries: 3 measured twice as fast as 6 on sheet XML for a file about 10% bigger. */
const DEFAULT_LEVEL = 3;
const STYLE_HEADER = 1;
const STYLE_DATE = 2;
const STYLE_TIMESTAMP = 3;
/** Column widths in characters, by what the column holds. */
const WIDTHS: Readonly<Record<ColumnType, number>> = {
  integer: 10,
  uuid: 38,
  text: 24,
  code: 12,
  date: 12,
  decimal: 10,
  boolean: 10,
  timestamp: 20,
};
/** Days from Excel's day 0 (1899-12-30, counting its phantom 1900-02-29) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25_569;
const DAY_MS = 86_400_000;
const NUMBER = /^-?\d+(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** The wall clock part of an ISO 8601 timestamp (the offset after it is the zone's, already applied). */
const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}/;
/** Characters XML 1.0 cannot hold; Excel spells them _xHHHH_. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to escape
const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;
/** Text that already looks like an _xHHHH_ escape: its underscore is escaped so it reads back as written. */
const ESCAPE_LOOKALIKE = /_(x[0-9A-Fa-f]{4}_)/g;

export interface XlsxWriterOptions {
  readonly columns: readonly ExportColumnName[];
  /** Rows per sheet, header included (a test sets a small one to see sheets continue). */
  readonly maxRowsPerSheet?: number;
  /** zlib level of the ZIP entries. Default 3. */
  readonly level?: number;
  /** Called after every batch with the rows written so far. */
  readonly onRows?: (rows: number) => void;
}

export class XlsxWriter extends Transform {
  private readonly zip: ZipWriter;
  private readonly types: readonly ColumnType[];
  private readonly letters: readonly string[];
  private readonly headerXml: string;
  private readonly maxDataRows: number;
  private sheets = 0;
  /** Row number of the last row written in the current sheet (1 = its header). */
  private sheetRow = 0;
  private written = 0;
  /** Sheet XML not yet handed to zlib (reused: zlib has read it once its write resolved). */
  private readonly buffer = Buffer.allocUnsafe(XML_BUFFER_BYTES);
  private used = 0;

  constructor(private readonly options: XlsxWriterOptions) {
    super({ writableObjectMode: true, writableHighWaterMark: 2, readableHighWaterMark: 256 * 1024 });
    this.zip = new ZipWriter((chunk) => this.push(chunk), options.level ?? DEFAULT_LEVEL);
    const byName = new Map(EXPORT_COLUMNS.map((column) => [column.name as ExportColumnName, column.type as ColumnType]));
    this.types = options.columns.map((name) => {
      const type = byName.get(name);
      if (!type) throw new Error(`not an export column: ${name}`);
      return type;
    });
    this.letters = options.columns.map((_, index) => columnLetter(index));
    this.headerXml = `<row r="1">${options.columns
      .map((name, index) => `<c r="${this.letters[index]}1" s="${STYLE_HEADER}" t="inlineStr"><is><t>${escapeXml(name)}</t></is></c>`)
      .join('')}</row>`;
    const maxRows = options.maxRowsPerSheet ?? XLSX_MAX_ROWS_PER_SHEET;
    if (!Number.isInteger(maxRows) || maxRows < 2 || maxRows > XLSX_MAX_ROWS_PER_SHEET) throw new RangeError(`maxRowsPerSheet ${maxRows}`);
    this.maxDataRows = maxRows - 1;
  }

  /** Data rows written so far (headers not counted). */
  get rows(): number {
    return this.written;
  }

  override _transform(batch: readonly (readonly unknown[])[], _encoding: BufferEncoding, callback: TransformCallback): void {
    this.writeBatch(batch).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.finish().then(() => callback(), callback);
  }

  private async writeBatch(batch: readonly (readonly unknown[])[]): Promise<void> {
    if (this.sheets === 0) await this.startSheet();
    for (const row of batch) {
      if (this.sheetRow - 1 >= this.maxDataRows) {
        await this.endSheet();
        await this.startSheet();
      }
      this.sheetRow += 1;
      const xml = this.rowXml(row, this.sheetRow);
      // Each row's XML goes into the buffer at once: no string outlives its row, so the young
      // generation stays small (measured: 40 MB less peak RSS than gathering rows into one string).
      if (this.used + xml.length * 3 > this.buffer.length) await this.flushXml();
      if (xml.length * 3 > this.buffer.length) await this.zip.write(Buffer.from(xml, 'utf8'));
      else this.used += this.buffer.write(xml, this.used, 'utf8');
      this.written += 1;
    }
    this.options.onRows?.(this.written);
  }

  /** Hands the buffered XML to zlib; the buffer is reused once zlib has taken it. */
  private async flushXml(): Promise<void> {
    if (this.used === 0) return;
    const chunk = this.buffer.subarray(0, this.used);
    this.used = 0;
    await this.zip.write(chunk);
  }

  private rowXml(row: readonly unknown[], r: number): string {
    let xml = `<row r="${r}">`;
    for (let index = 0; index < this.types.length; index += 1) {
      const value = row[index];
      // NULL: no cell at all (an empty cell in every spreadsheet).
      if (value === null || value === undefined) continue;
      xml += `<c r="${this.letters[index]}${r}"${cellXml(this.types[index]!, value, this.letters[index]!, r)}`;
    }
    return `${xml}</row>`;
  }

  private async startSheet(): Promise<void> {
    this.sheets += 1;
    this.sheetRow = 1;
    this.zip.startEntry(`xl/worksheets/sheet${this.sheets}.xml`);
    const cols = this.types.map((type, index) => `<col min="${index + 1}" max="${index + 1}" width="${WIDTHS[type]}" customWidth="1"/>`);
    await this.zip.write(
      Buffer.from(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
          '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
          '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' +
          '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
          `<sheetFormatPr defaultRowHeight="15"/><cols>${cols.join('')}</cols><sheetData>${this.headerXml}`,
        'utf8',
      ),
    );
  }

  private async endSheet(): Promise<void> {
    await this.flushXml();
    // autoFilter follows sheetData in the schema's order, so the last row is known by then.
    await this.zip.write(Buffer.from(`</sheetData><autoFilter ref="${this.filterRange(this.sheetRow)}"/></worksheet>`, 'utf8'));
    await this.zip.endEntry();
  }

  private filterRange(lastRow: number): string {
    return `A1:${this.letters.at(-1)}${lastRow}`;
  }

  private async finish(): Promise<void> {
    if (this.sheets === 0) await this.startSheet();
    const lastSheetRows = this.sheetRow;
    await this.endSheet();
    const names = Array.from({ length: this.sheets }, (_, i) => (i === 0 ? XLSX_SHEET_NAME : `${XLSX_SHEET_NAME} ${i + 1}`));
    const sheetRange = (i: number) => this.filterRange(i === this.sheets - 1 ? lastSheetRows : this.maxDataRows + 1);
    const absolute = (i: number) => sheetRange(i).replace(/([A-Z]+)(\d+)/g, '$$$1$$$2');
    await this.zip.addEntry(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
        '<Default Extension="xml" ContentType="application/xml"/>' +
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
        names
          .map(
            (_, i) =>
              `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
          )
          .join('') +
        '</Types>',
    );
    await this.zip.addEntry(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>' +
        '</Relationships>',
    );
    await this.zip.addEntry(
      'xl/workbook.xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">' +
        `<sheets>${names.map((name, i) => `<sheet name="${name}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets>` +
        // Excel keeps each sheet's autofilter range in this hidden name too, and reads the filter from it.
        `<definedNames>${names
          .map(
            (name, i) => `<definedName name="_xlnm._FilterDatabase" localSheetId="${i}" hidden="1">'${name}'!${absolute(i)}</definedName>`,
          )
          .join('')}</definedNames>` +
        '</workbook>',
    );
    await this.zip.addEntry(
      'xl/_rels/workbook.xml.rels',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
        names
          .map(
            (_, i) =>
              `<Relationship Id="rId${i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
          )
          .join('') +
        `<Relationship Id="rId${this.sheets + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
        '</Relationships>',
    );
    await this.zip.addEntry('xl/styles.xml', STYLES);
    this.zip.finish();
  }
}

/** Styles by index: 0 plain, 1 bold (header), 2 date, 3 date and time. */
const STYLES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' +
  '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

/** A cell after its reference: type, style and value. `column` and `row` only name a bad value. */
function cellXml(type: ColumnType, value: unknown, column: string, row: number): string {
  switch (type) {
    case 'integer':
    case 'decimal': {
      // PostgreSQL's own text of the number (int8 and numeric come as strings): written as is, exactly.
      const text = typeof value === 'string' ? value : String(value);
      if (!NUMBER.test(text)) throw new TypeError(`${column}${row}: ${type} value is not a number: ${text}`);
      return `><v>${text}</v></c>`;
    }
    case 'boolean':
      return ` t="b"><v>${value === true || value === 't' || value === 'true' ? 1 : 0}</v></c>`;
    case 'date':
      return ` s="${STYLE_DATE}"><v>${dateSerial(value, `${column}${row}`)}</v></c>`;
    case 'timestamp':
      return ` s="${STYLE_TIMESTAMP}"><v>${timestampSerial(value, `${column}${row}`)}</v></c>`;
    default: {
      // text, code, uuid: a string cell is never evaluated, so no formula neutralisation is needed here.
      const raw = typeof value === 'string' ? value : String(value);
      // xml:space="preserve" only where it matters (a reader may trim leading or trailing whitespace).
      const preserve = raw.length > 0 && (isSpace(raw.charCodeAt(0)) || isSpace(raw.charCodeAt(raw.length - 1)));
      return ` t="inlineStr"><is>${preserve ? '<t xml:space="preserve">' : '<t>'}${escapeXml(raw)}</t></is></c>`;
    }
  }
}

/** Whitespace a reader may trim at the ends of a string: space, tab, LF, CR, NBSP. */
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0xa0;
}

/** The Excel serial of a calendar day, from its YYYY-MM-DD text (no time zone is involved). */
export function dateSerial(value: unknown, ref = 'date'): number {
  if (typeof value !== 'string' || value.length !== 10 || !DATE.test(value))
    throw new TypeError(`${ref}: not a YYYY-MM-DD date: ${String(value)}`);
  return Date.UTC(digits(value, 0, 4), digits(value, 5, 7) - 1, digits(value, 8, 10)) / DAY_MS + EXCEL_EPOCH_DAYS;
}

/** The Excel serial of a timestamp's wall-clock time as written (ISO 8601 in the export's zone; its offset is dropped). */
export function timestampSerial(value: unknown, ref = 'timestamp'): number {
  if (typeof value !== 'string' || !WALL_CLOCK.test(value)) throw new TypeError(`${ref}: not an ISO 8601 timestamp: ${String(value)}`);
  // Fixed positions once the shape is checked: cheaper than the regular expression's groups.
  let millis = 0;
  if (value.charCodeAt(19) === 0x2e) {
    // Up to three digits of the fraction: .5 is 500 ms, .123456 is 123 ms.
    for (let i = 20, scale = 100; i < 23; i += 1, scale /= 10) {
      const digit = value.charCodeAt(i) - 48;
      if (!(digit >= 0 && digit <= 9)) break;
      millis += digit * scale;
    }
  }
  const wall = Date.UTC(
    digits(value, 0, 4),
    digits(value, 5, 7) - 1,
    digits(value, 8, 10),
    digits(value, 11, 13),
    digits(value, 14, 16),
    digits(value, 17, 19),
    millis,
  );
  return wall / DAY_MS + EXCEL_EPOCH_DAYS;
}

/** The decimal number written in `text` from `start` to `end` (digits only: the caller checked the shape). */
function digits(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i += 1) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

export function escapeXml(text: string): string {
  // Most text needs nothing: one pass over its characters, and the text goes out as it is.
  if (!needsEscape(text)) return text;
  return (
    text
      .replace(ESCAPE_LOOKALIKE, '_x005F_$1')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      // An XML parser turns a raw CR into LF; as a reference it stays the CR the note holds.
      .replace(/\r/g, '&#13;')
      .replace(XML_INVALID, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`)
  );
}

/**
 * Whether escapeXml would change `text`: &, <, >, control characters (CR
 * among them), U+FFFE/U+FFFF, or `_` (a possible _xHHHH_ look-alike). A
 * character loop: measured several times faster here than a regular
 * expression's test on the export's short strings.
 */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x3f ? code < 0x20 || code === 0x26 || code === 0x3c || code === 0x3e : code === 0x5f || code >= 0xfffe) return true;
  }
  return false;
}

/** A, B, ..., Z, AA, ... */
function columnLetter(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}
