import { parse } from 'csv-parse/sync';

/**
 * Reads an export file back the way a spreadsheet would, with a parser that
 * owes nothing to production (csv-parse; the worker never parses CSV, PostgreSQL's
 * COPY writes it), so a test checks the file rather than the code that wrote it.
 * Strict RFC 4180 as the export writes it: quoted fields may hold commas,
 * quotes ("") and line breaks; records end in LF, the last one too; no BOM;
 * every record has the header's number of fields.
 */
export function parseCsv(file: string | Buffer): string[][] {
  const text = typeof file === 'string' ? file : file.toString('utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last record has no line ending');
  return parse(text, { record_delimiter: '\n', bom: false, relax_quotes: false, relax_column_count: false }) as string[][];
}

/** The records as objects keyed by the header row. */
export function csvObjects(file: string | Buffer): Record<string, string>[] {
  const [header, ...rows] = parseCsv(file);
  if (!header) throw new Error('the file has no header row');
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index]!])));
}
