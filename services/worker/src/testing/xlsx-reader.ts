import { inflateRawSync } from 'node:zlib';

/**
 * Reads an XLSX file back for tests, owing nothing to the worker's writer:
 * the ZIP's central directory and zlib's inflate give the parts, a few
 * regular expressions over SpreadsheetML give each sheet's cells with their
 * type and style. Enough to check what a spreadsheet would show; not a
 * general reader (no shared strings: the export writes inline strings).
 */

export interface XlsxCell {
  /** `n` number, `b` boolean, `inlineStr`, `s` shared, `str` formula text. */
  readonly type: string;
  readonly style: number;
  /** The text as a reader decodes it (entities and _xHHHH_ escapes undone). */
  readonly value: string;
}

export interface XlsxSheet {
  readonly name: string;
  readonly xml: string;
  /** Rows in order; cells by column index (undefined where a cell is absent, i.e. NULL). */
  readonly rows: (XlsxCell | undefined)[][];
}

export function unzip(file: Buffer): Map<string, Buffer> {
  const end = file.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error('not a ZIP file: no end of central directory');
  const count = file.readUInt16LE(end + 10);
  let position = file.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i += 1) {
    if (file.readUInt32LE(position) !== 0x02014b50) throw new Error(`bad central directory entry ${i}`);
    const method = file.readUInt16LE(position + 10);
    const compressed = file.readUInt32LE(position + 20);
    const size = file.readUInt32LE(position + 24);
    const nameLength = file.readUInt16LE(position + 28);
    const extraLength = file.readUInt16LE(position + 30);
    const commentLength = file.readUInt16LE(position + 32);
    const local = file.readUInt32LE(position + 42);
    const name = file.subarray(position + 46, position + 46 + nameLength).toString('utf8');
    const dataStart = local + 30 + file.readUInt16LE(local + 26) + file.readUInt16LE(local + 28);
    const data = file.subarray(dataStart, dataStart + compressed);
    const content = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    if (content.length !== size) throw new Error(`${name}: ${content.length} bytes, the directory says ${size}`);
    entries.set(name, content);
    position += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&')
    .replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function columnIndex(ref: string): number {
  const letters = /^[A-Z]+/.exec(ref)?.[0] ?? '';
  return [...letters].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0) - 1;
}

export function readXlsx(file: Buffer): { sheets: XlsxSheet[]; parts: Map<string, Buffer> } {
  const parts = unzip(file);
  const workbook = parts.get('xl/workbook.xml')?.toString('utf8');
  const rels = parts.get('xl/_rels/workbook.xml.rels')?.toString('utf8');
  if (!workbook || !rels) throw new Error('no workbook');
  const targets = new Map([...rels.matchAll(/<Relationship Id="([^"]+)"[^>]*Target="([^"]+)"/g)].map((m) => [m[1]!, m[2]!]));
  const sheets = [...workbook.matchAll(/<sheet name="([^"]+)"[^>]*r:id="([^"]+)"/g)].map((m) => {
    const xml = parts.get(`xl/${targets.get(m[2]!)}`)?.toString('utf8');
    if (xml === undefined) throw new Error(`sheet ${m[1]} has no part`);
    const rows = [...xml.matchAll(/<row [^>]*>(.*?)<\/row>/gs)].map((row) => {
      const cells: (XlsxCell | undefined)[] = [];
      for (const cell of row[1]!.matchAll(/<c r="([A-Z]+\d+)"([^>]*)>(.*?)<\/c>/gs)) {
        const attributes = cell[2]!;
        const type = /t="([^"]+)"/.exec(attributes)?.[1] ?? 'n';
        const style = Number(/s="(\d+)"/.exec(attributes)?.[1] ?? 0);
        const raw = type === 'inlineStr' ? (/<t[^>]*>(.*?)<\/t>/s.exec(cell[3]!)?.[1] ?? '') : (/<v>(.*?)<\/v>/s.exec(cell[3]!)?.[1] ?? '');
        cells[columnIndex(cell[1]!)] = { type, style, value: decode(raw) };
      }
      return cells;
    });
    return { name: decode(m[1]!), xml, rows };
  });
  return { sheets, parts };
}

/** The calendar day of an Excel serial, YYYY-MM-DD. */
export function serialDay(serial: number): string {
  return new Date(Math.round((serial - 25_569) * 86_400_000)).toISOString().slice(0, 10);
}

/** The wall-clock time of an Excel serial, YYYY-MM-DDTHH:MM:SS.mmm. */
export function serialWallClock(serial: number): string {
  return new Date(Math.round((serial - 25_569) * 86_400_000)).toISOString().slice(0, 23);
}
