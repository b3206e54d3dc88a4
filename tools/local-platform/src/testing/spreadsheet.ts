import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { LocalPlatformError } from '../errors';
import { artefactsDirectory } from './browser';

/**
 * A spreadsheet program nobody here wrote, for tests: LibreOffice Calc headless (Debian's
 * `libreoffice-calc-nogui`, as `.ci/run` installs it) opens an export file (XLSX, or CSV with the
 * import options a person picks in Calc's Text Import dialog) and converts it to CSV twice:
 *
 * - the values: formulas EVALUATED, numbers and dates unquoted, every text cell quoted (export
 *   tokens 7 "quote all text cells" and 8 "numbers as numbers" on, 9 "as shown" and 10
 *   "formulas" off), so a cell's quoting says whether Calc holds text or a value;
 * - the formulas: the same with token 10 on, so a formula cell shows `=...` instead of its result.
 *
 * A cell is a formula exactly when the two disagree: a text or a number reads the same both
 * times, while a formula shows its source once and its result once. (A text cell that reads
 * `=1+1` is text in both, which is the point of the export's neutralisation.) This needs no XML
 * parser and reads what Calc itself writes; reading `table:formula` out of an ODS's content.xml
 * would need one, and would see the same thing. One exception, Calc's own: it has no boolean
 * cell type and holds an XLSX boolean as the formula `=TRUE()` or `=FALSE()`; such a cell is
 * reported as kind `boolean`, not as a formula.
 *
 * Each conversion gets a fresh profile (`-env:UserInstallation`), so concurrent test processes
 * never share one (a shared profile makes the second soffice hand its work to the first, or
 * fail). The input and both conversions stay under the artefacts directory (outside the
 * repository; see artefactsDirectory) for a person to open after a failure.
 *
 * Variables, both optional: SOFFICE_PATH (default /usr/bin/soffice) and ARTEFACTS_DIR.
 */

export const DEFAULT_SOFFICE_PATH = '/usr/bin/soffice';

const run = promisify(execFile);

/** One conversion's limit: a cold start of soffice with a new profile takes 2-5 s here. */
const DEFAULT_TIMEOUT_MS = 90_000;

/** LibreOffice's language ids (MS LCIDs) for the locales the tests read files under. */
const LANGUAGE_IDS: Readonly<Record<string, number>> = {
  'en-US': 1033,
  'en-GB': 2057,
  'de-DE': 1031,
  'de-CH': 2055,
  'fr-FR': 1036,
};

/** LibreOffice's code of the UTF-8 character set in filter options. */
const UTF8 = 76;

/** What a person chooses in Calc's Text Import dialog to open a CSV file. */
export interface CsvImportOptions {
  readonly delimiter: ',' | ';' | '\t';
  /** The dialog's Language, which decides what reads as a number or a date (de-DE: `1,5`, not `1.5`). Default en-US. */
  readonly locale?: string;
  /** "Format quoted field as text": quoted fields stay text (`"007"` keeps its zeros). Calc's default is off. */
  readonly quotedFieldAsText?: boolean;
}

export interface ReadSpreadsheetOptions {
  /** A plain name for the artefacts (letters, digits, . _ -): `<artefacts>/spreadsheets/<name>/`. */
  readonly name: string;
  /** How to open a CSV file; not for XLSX. The file is read as UTF-8 in any case. */
  readonly csv?: CsvImportOptions;
  /** Per conversion. Default 90 s. */
  readonly timeoutMs?: number;
  /** Where SOFFICE_PATH and ARTEFACTS_DIR are read. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** `text`: Calc holds a string; `value`: a number, date or time; `boolean`: Calc's TRUE()/FALSE(); `empty`: nothing. */
export type CellKind = 'text' | 'value' | 'boolean' | 'empty';

export interface SpreadsheetCell {
  /** What the cell holds, formulas evaluated: a text as is, a number as Calc writes it unformatted (`0.1`), a date in its cell format. */
  readonly value: string;
  readonly kind: CellKind;
  /** The formula's source (`=1+1`) when the cell is a formula; undefined otherwise. */
  readonly formula?: string | undefined;
}

export interface SpreadsheetReading {
  /** The first sheet's rows, a cell per column. */
  readonly rows: readonly (readonly SpreadsheetCell[])[];
  /** Every formula cell, with its place (row and column from 0). */
  readonly formulas: readonly { readonly row: number; readonly column: number; readonly formula: string }[];
  /** Where the input and the two conversions were kept. */
  readonly directory: string;
}

/** The soffice to run: SOFFICE_PATH or Debian's. */
export function sofficePath(env: NodeJS.ProcessEnv = process.env): string {
  const executable = env.SOFFICE_PATH || DEFAULT_SOFFICE_PATH;
  if (!existsSync(executable)) {
    throw new LocalPlatformError(
      'libreoffice_missing',
      `No LibreOffice at ${executable}: install Debian's Calc (\`apt-get install libreoffice-calc-nogui\`, as .ci/run does) or set SOFFICE_PATH.`,
    );
  }
  return executable;
}

/** The CSV import filter options of `csv` (tokens: separator, quote, charset, first line, column formats, language, quoted as text, special numbers). */
export function csvImportFilter(csv: CsvImportOptions): string {
  const locale = csv.locale ?? 'en-US';
  const language = LANGUAGE_IDS[locale];
  if (language === undefined) {
    throw new LocalPlatformError(
      'unknown_locale',
      `No LibreOffice language id for ${locale}; known: ${Object.keys(LANGUAGE_IDS).join(', ')}.`,
    );
  }
  return `CSV:${csv.delimiter.charCodeAt(0)},34,${UTF8},1,,${language},${csv.quotedFieldAsText ? 'true' : 'false'},false`;
}

/** The CSV export filter (see the file's comment): comma, double quote, UTF-8, quote text, numbers as such, raw values, formulas or not. */
function csvExportFilter(formulas: boolean): string {
  return `csv:Text - txt - csv (StarCalc):44,34,${UTF8},1,,1033,true,true,false,${formulas ? 'true' : 'false'}`;
}

/** Opens `file` (.xlsx or .csv) in LibreOffice Calc and reads its first sheet back (see the file's comment). */
export async function readSpreadsheet(file: string, options: ReadSpreadsheetOptions): Promise<SpreadsheetReading> {
  const { name, env = process.env, timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new LocalPlatformError('bad_artefact_name', `An artefact's name is a plain file name (letters, digits, . _ -), not ${name}.`);
  }
  const extension = path.extname(file).toLowerCase();
  if (extension !== '.xlsx' && extension !== '.csv') {
    throw new LocalPlatformError('unsupported_spreadsheet', `readSpreadsheet opens .xlsx and .csv files, not ${file}.`);
  }
  if ((extension === '.csv') !== (options.csv !== undefined)) {
    throw new LocalPlatformError('csv_import_options', 'A .csv file needs its import options (csv), an .xlsx file none.');
  }
  const soffice = sofficePath(env);
  const directory = path.join(artefactsDirectory(env), 'spreadsheets', name);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const input = path.join(directory, `input${extension}`);
  copyFileSync(file, input);

  const profile = mkdtempSync(path.join(os.tmpdir(), 'memberships-libreoffice-'));
  try {
    const convert = async (kind: 'values' | 'formulas'): Promise<string> => {
      const outdir = path.join(directory, kind);
      const args = [
        `-env:UserInstallation=${pathToFileURL(profile).href}`,
        '--headless',
        '--norestore',
        ...(options.csv ? [`--infilter=${csvImportFilter(options.csv)}`] : []),
        '--convert-to',
        csvExportFilter(kind === 'formulas'),
        '--outdir',
        outdir,
        input,
      ];
      let output: { stdout: string; stderr: string };
      try {
        output = await run(soffice, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 });
      } catch (error) {
        const failure = error as Error & { killed?: boolean; stderr?: string };
        throw new LocalPlatformError(
          'libreoffice_failed',
          failure.killed
            ? `LibreOffice did not convert ${input} within ${timeoutMs / 1000} s.`
            : `LibreOffice could not convert ${input}: ${failure.message}${failure.stderr ? `\n${failure.stderr}` : ''}`,
          { cause: error },
        );
      }
      // soffice exits 0 when it cannot load the file ("Error: source file could not be loaded"): the output file says.
      const converted = path.join(outdir, 'input.csv');
      if (!existsSync(converted)) {
        throw new LocalPlatformError(
          'libreoffice_failed',
          `LibreOffice wrote no CSV for ${input}:\n${output.stdout}${output.stderr}`.trimEnd(),
        );
      }
      return readFileSync(converted, 'utf8');
    };
    // One after the other: the profile is this reading's, and soffice takes one conversion per process.
    const values = quotedCells(await convert('values'));
    const formulas = quotedCells(await convert('formulas'));
    return { ...combine(values, formulas), directory };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

interface QuotedCell {
  readonly text: string;
  readonly quoted: boolean;
}

/** Calc's CSV, each field with whether it was quoted (a text cell, given the export options above). */
function quotedCells(csv: string): QuotedCell[][] {
  return parse(csv, {
    bom: true,
    relax_column_count: true,
    cast: (text, context) => ({ text, quoted: context.quoting }),
  }) as unknown as QuotedCell[][];
}

function combine(values: QuotedCell[][], formulas: QuotedCell[][]): Omit<SpreadsheetReading, 'directory'> {
  if (values.length !== formulas.length) {
    throw new LocalPlatformError(
      'libreoffice_disagrees',
      `Calc wrote ${values.length} rows with values but ${formulas.length} with formulas.`,
    );
  }
  const found: { row: number; column: number; formula: string }[] = [];
  const rows = values.map((cells, row) =>
    cells.map((cell, column): SpreadsheetCell => {
      const source = formulas[row]?.[column];
      const isFormula = source !== undefined && source.text !== cell.text;
      const calcBoolean = isFormula && /^=(TRUE|FALSE)\(\)$/.test(source.text) && `=${cell.text}()` === source.text;
      if (calcBoolean) return { value: cell.text, kind: 'boolean' };
      if (isFormula) found.push({ row, column, formula: source.text });
      const kind: CellKind = cell.quoted ? 'text' : cell.text === '' ? 'empty' : 'value';
      return { value: cell.text, kind, formula: isFormula ? source.text : undefined };
    }),
  );
  return { rows, formulas: found };
}
