import type { Variable, Variables } from '@memberships/core/config';

/**
 * Test support: checks the variable tables of a README against the
 * description the code reads (readConfig), so documentation cannot drift:
 * every variable is in a table, with the default the description gives it,
 * and no table names a variable the code does not read.
 *
 * A table is any Markdown table whose header has a `variable` and a
 * `default` column. A variable cell may name several variables, each in
 * backticks; `_SUFFIX` continues the first one's stem (`AWS_ENDPOINT_URL_SQS`
 * / `_S3`). They all share the row's default, which is compared by its start,
 * backticks or not: the cell may go on with prose (`` `300` (5 minutes) ``).
 */
export interface VariableRow {
  readonly names: readonly string[];
  /** The default cell as written. */
  readonly default: string;
}

/** The variable rows of the tables in the section under `heading` (a heading line's start), up to the next heading. */
export function variableRows(markdown: string, heading: string): VariableRow[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#+ /.test(line) && line.replace(/^#+ /, '').startsWith(heading));
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const end = lines.findIndex((line, index) => index > start && /^#+ /.test(line));
  const rows: VariableRow[] = [];
  let columns: { name: number; default: number } | undefined;
  for (const line of lines.slice(start + 1, end < 0 ? undefined : end)) {
    if (!line.startsWith('|')) {
      columns = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (columns === undefined) {
      const [name, fallback] = [cells.indexOf('variable'), cells.indexOf('default')];
      columns = name >= 0 && fallback >= 0 ? { name, default: fallback } : { name: -1, default: -1 };
      continue;
    }
    if (columns.name < 0 || /^-+$/.test(cells[0] ?? '')) continue;
    rows.push({ names: variableNames(cells[columns.name] ?? ''), default: cells[columns.default] ?? '' });
  }
  return rows;
}

/** How a README states the default of a variable: `required`, `unset`, `` `value` ``, `none` (an empty list), or its defaultDoc. */
export function documentedDefault(variable: Variable<unknown>): string {
  if (variable.defaultDoc !== undefined) return variable.defaultDoc;
  const value = variable.default;
  if (Array.isArray(value)) return value.length === 0 ? 'none' : `\`${value.join(',')}\``;
  if (value !== undefined && typeof value !== 'function') return `\`${String(value)}\``;
  return variable.optional ? 'unset' : 'required';
}

/** Every disagreement between a description and the rows documenting it; [] when they agree. */
export function tableDrift(variables: Variables, rows: readonly VariableRow[]): string[] {
  const documented = new Map<string, string>();
  const drift: string[] = [];
  for (const row of rows) {
    for (const name of row.names) {
      if (documented.has(name)) drift.push(`${name} is in the README twice`);
      documented.set(name, row.default);
    }
  }
  for (const [name, variable] of Object.entries(variables)) {
    const cell = documented.get(name);
    const expected = documentedDefault(variable);
    if (cell === undefined) drift.push(`${name} is missing from the README (default ${expected})`);
    else if (!startsWithDefault(cell, expected)) drift.push(`${name}: the README says the default is "${cell}", the code "${expected}"`);
  }
  for (const name of documented.keys()) {
    if (!(name in variables)) drift.push(`${name} is in the README but not read`);
  }
  return drift;
}

/** `cell` begins with the default, backticks or not, and goes on with something else than more of a value (`600` is not `60`). */
function startsWithDefault(cell: string, expected: string): boolean {
  const [text, value] = [cell.replaceAll('`', ''), expected.replaceAll('`', '')];
  return text.startsWith(value) && !/^[\w.-]/.test(text.slice(value.length));
}

function splitRow(line: string): string[] {
  // Pipes inside backticks are text (`a|b`), not cell borders.
  const cells: string[] = [];
  let cell = '';
  let code = false;
  for (const char of line.trim().slice(1, -1)) {
    if (char === '`') code = !code;
    if (char === '|' && !code) {
      cells.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  cells.push(cell.trim());
  return cells;
}

function variableNames(cell: string): string[] {
  const names: string[] = [];
  for (const [, token] of cell.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)) {
    const first = names[0];
    names.push(token!.startsWith('_') && first ? `${first.slice(0, first.lastIndexOf('_'))}${token}` : token!);
  }
  return names;
}
