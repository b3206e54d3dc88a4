import {
  type exportOptionsResource,
  parseExportOptions,
  type ExportOptionsBody,
  type OptionsProblem,
  type OptionsResult,
} from './export-options';

/**
 * Reads export options from JSON nobody has checked yet — a request body of
 * POST /v1/exports, the `export` of a schedule, the `options` of a v2
 * message — in the API's spelling. Checks the shape (unknown fields, wrong
 * types) and then the values (parseExportOptions), and reports every problem
 * of both at once: a field of the wrong type is left out of the value checks,
 * so it is named once. The API's JSON schema documents the same shape, but
 * stops at its first error; this is what decides.
 */

/** The options as a job shows them and a v2 message carries them (exportOptionsResource). */
export type ExportOptionsResource = ReturnType<typeof exportOptionsResource>;

type Kind = 'string' | 'boolean' | 'strings' | 'range' | 'filters';

const FIELDS: Readonly<Record<keyof ExportOptionsBody, Kind>> = {
  columns: 'strings',
  filters: 'filters',
  format: 'string',
  delimiter: 'string',
  bom: 'boolean',
  line_ending: 'string',
  decimal_separator: 'string',
  preset: 'string',
  locale: 'string',
  time_zone: 'string',
  compression: 'string',
};

const FILTER_FIELDS: Readonly<Record<keyof NonNullable<ExportOptionsBody['filters']>, Kind>> = {
  status: 'strings',
  club_name: 'string',
  started_on: 'range',
  ends_on: 'range',
  active_on: 'string',
};

const RANGE_FIELDS: Readonly<Record<'from' | 'to', Kind>> = { from: 'string', to: 'string' };

/** Longest list a `columns` or `filters.status` may be: every column once, with room to report duplicates. */
const MAX_LIST = 64;

/**
 * `value` (undefined or null: the defaults) as complete options, or every
 * problem with its dotted field (`filters.started_on.from`), each prefixed
 * with `prefix` (`export.` for a schedule's options).
 */
export function readExportOptions(value: unknown, prefix = ''): OptionsResult {
  const problems: OptionsProblem[] = [];
  const body = value === undefined || value === null ? {} : readObject(value, FIELDS, '', problems);
  const result = body === undefined ? undefined : parseExportOptions(body as ExportOptionsBody);
  if (result && !result.ok) problems.push(...result.problems);
  if (problems.length > 0 || !result?.ok) {
    const field = (name: string) => (name === '' ? prefix.replace(/\.$/, '') : `${prefix}${name}`);
    return { ok: false, problems: problems.map((problem) => ({ field: field(problem.field), message: problem.message })) };
  }
  return result;
}

/** The fields of `value` whose type is right, and a problem for each other one. */
function readObject(
  value: unknown,
  fields: Readonly<Record<string, Kind>>,
  path: string,
  problems: OptionsProblem[],
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) {
    problems.push({ field: path, message: 'must be a JSON object' });
    return undefined;
  }
  const kept: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    const at = path ? `${path}.${name}` : name;
    const kind = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (kind === undefined) {
      problems.push({ field: at, message: 'is not an allowed field' });
      continue;
    }
    const read = readField(field, kind, at, problems);
    if (read !== undefined) kept[name] = read;
  }
  return kept;
}

function readField(value: unknown, kind: Kind, at: string, problems: OptionsProblem[]): unknown {
  switch (kind) {
    case 'string':
      if (typeof value === 'string') return value;
      problems.push({ field: at, message: 'must be a string' });
      return undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      problems.push({ field: at, message: 'must be true or false' });
      return undefined;
    case 'strings': {
      if (!Array.isArray(value)) {
        problems.push({ field: at, message: 'must be an array of strings' });
        return undefined;
      }
      if (value.length > MAX_LIST) {
        problems.push({ field: at, message: `must have at most ${MAX_LIST} items` });
        return undefined;
      }
      const wrong = value.flatMap((item, index) => (typeof item === 'string' ? [] : [index]));
      for (const index of wrong) problems.push({ field: `${at}.${index}`, message: 'must be a string' });
      return wrong.length === 0 ? value : undefined;
    }
    case 'range': {
      // A range with a bad end is left out whole, so that it is not also reported as empty.
      const before = problems.length;
      const range = readObject(value, RANGE_FIELDS, at, problems);
      return problems.length === before ? range : undefined;
    }
    case 'filters':
      return readObject(value, FILTER_FIELDS, at, problems);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
