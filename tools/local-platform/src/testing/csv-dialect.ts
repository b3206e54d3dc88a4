import { parse } from 'csv-parse/sync';

/**
 * Reads back an export in a CSV dialect other than the default (`;` or tab, a UTF-8 BOM, CRLF
 * record ends), strictly, with csv-parse (production never parses CSV): the BOM is there exactly
 * when the dialect has one, every record ends with the dialect's line ending, the last one too
 * (a line break inside a quoted value stays as stored), and every record has the header's
 * number of fields. parseCsv is the same for the default dialect.
 */
export interface CsvDialectShape {
  readonly delimiter: ',' | ';' | '\t';
  readonly bom: boolean;
  readonly lineEnding: 'lf' | 'crlf';
}

const BOM = '\uFEFF';

export function parseCsvDialect(file: string | Buffer, dialect: CsvDialectShape): string[][] {
  const text = typeof file === 'string' ? file : file.toString('utf8');
  if (text.startsWith(BOM) !== dialect.bom) throw new Error(dialect.bom ? 'the file has no UTF-8 BOM' : 'the file starts with a BOM');
  const body = dialect.bom ? text.slice(BOM.length) : text;
  const ending = dialect.lineEnding === 'crlf' ? '\r\n' : '\n';
  if (body !== '' && !body.endsWith(ending)) throw new Error(`the last record does not end with ${JSON.stringify(ending)}`);
  return parse(body, {
    delimiter: dialect.delimiter,
    record_delimiter: ending,
    bom: false,
    relax_quotes: false,
    relax_column_count: false,
  }) as string[][];
}
