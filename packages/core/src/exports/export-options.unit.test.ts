import {
  DEFAULT_EXPORT_OPTIONS,
  EXPORT_COLUMN_NAMES,
  excelDelimiter,
  exportContentType,
  exportFileExtension,
  exportOptionsResource,
  isDefaultExportOptions,
  isIsoDate,
  parseExportOptions,
} from './export-options';

describe('export options', () => {
  it('gives the file of before options existed when nothing is asked for', () => {
    const result = parseExportOptions({});
    expect(result).toEqual({ ok: true, options: DEFAULT_EXPORT_OPTIONS });
    expect(isDefaultExportOptions(DEFAULT_EXPORT_OPTIONS)).toBe(true);
    expect(DEFAULT_EXPORT_OPTIONS.columns).toEqual(EXPORT_COLUMN_NAMES);
    expect(exportFileExtension(DEFAULT_EXPORT_OPTIONS)).toBe('.csv');
    expect(exportContentType(DEFAULT_EXPORT_OPTIONS)).toBe('text/csv; charset=utf-8');
  });

  it('takes every option, in the API spelling', () => {
    const result = parseExportOptions({
      columns: ['club_name', 'id', 'created_at'],
      filters: {
        status: ['active', 'paused', 'active'],
        club_name: 'Zürich Rowing',
        started_on: { from: '2024-01-01', to: '2024-12-31' },
        ends_on: { to: '2030-01-01' },
        active_on: '2026-12-01',
      },
      format: 'csv',
      delimiter: '\t',
      bom: true,
      line_ending: 'crlf',
      time_zone: 'europe/berlin',
      compression: 'gzip',
    });
    expect(result).toEqual({
      ok: true,
      options: {
        columns: ['club_name', 'id', 'created_at'],
        filters: {
          status: ['active', 'paused'],
          clubName: 'Zürich Rowing',
          startedOn: { from: '2024-01-01', to: '2024-12-31' },
          endsOn: { to: '2030-01-01' },
          activeOn: '2026-12-01',
        },
        format: 'csv',
        csv: { delimiter: '\t', bom: true, lineEnding: 'crlf' },
        timeZone: 'Europe/Berlin',
        compression: 'gzip',
      },
    });
    if (!result.ok) throw new Error('unreachable');
    expect(exportFileExtension(result.options)).toBe('.csv.gz');
    expect(exportContentType(result.options)).toBe('application/gzip');
    expect(exportOptionsResource(result.options)).toEqual({
      columns: ['club_name', 'id', 'created_at'],
      filters: {
        status: ['active', 'paused'],
        club_name: 'Zürich Rowing',
        started_on: { from: '2024-01-01', to: '2024-12-31' },
        ends_on: { to: '2030-01-01' },
        active_on: '2026-12-01',
      },
      format: 'csv',
      delimiter: '\t',
      bom: true,
      line_ending: 'crlf',
      decimal_separator: '.',
      time_zone: 'Europe/Berlin',
      compression: 'gzip',
    });
  });

  it('makes the excel preset a BOM, CRLF and the delimiter of the locale, explicit fields winning', () => {
    const german = parseExportOptions({ preset: 'excel', locale: 'de-DE' });
    // And the decimal comma, so a German spreadsheet reads `12,50` as a number.
    expect(german.ok && german.options.csv).toEqual({ delimiter: ';', bom: true, lineEnding: 'crlf', decimalSeparator: ',' });
    const english = parseExportOptions({ preset: 'excel' });
    expect(english.ok && english.options.csv).toEqual({ delimiter: ',', bom: true, lineEnding: 'crlf' });
    const tabbed = parseExportOptions({ preset: 'excel', locale: 'fr', delimiter: '\t' });
    expect(tabbed.ok && tabbed.options.csv).toMatchObject({ delimiter: '\t', decimalSeparator: ',' });
    const point = parseExportOptions({ preset: 'excel', locale: 'de', decimal_separator: '.' });
    expect(point.ok && point.options.csv.decimalSeparator).toBeUndefined();
    const clash = parseExportOptions({ preset: 'excel', locale: 'de', delimiter: ',' });
    expect(clash.ok ? [] : clash.problems.map((problem) => problem.field)).toEqual(['decimal_separator']);
    expect(excelDelimiter('en-US')).toBe(',');
    expect(excelDelimiter('nl-NL')).toBe(';');
  });

  it('reports every bad field at once, by its dotted path', () => {
    const result = parseExportOptions({
      columns: ['id', 'password_hash', 'id'],
      filters: {
        status: ['active', 'deleted'],
        club_name: 'a\u0000b',
        started_on: { from: '2026-02-30' },
        ends_on: { from: '2026-05-01', to: '2026-04-01' },
        active_on: 'yesterday',
      },
      format: 'pdf',
      line_ending: 'cr',
      time_zone: 'Mars/Olympus',
      compression: 'zip',
      locale: 'de',
    });
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error('unreachable');
    expect(result.problems.map((problem) => problem.field)).toEqual([
      'columns.1',
      'columns.2',
      'filters.status.1',
      'filters.club_name',
      'filters.started_on.from',
      'filters.ends_on',
      'filters.active_on',
      'format',
      'compression',
      'locale',
      'line_ending',
      'time_zone',
    ]);
    for (const problem of result.problems) expect(problem.message).toMatch(/\w/);
  });

  it('refuses CSV dialect fields for other formats, and an empty column list', () => {
    const result = parseExportOptions({ format: 'xlsx', delimiter: ';', bom: true, columns: [] });
    expect(result.ok ? [] : result.problems.map((problem) => problem.field)).toEqual(['columns', 'delimiter', 'bom']);
    const xlsx = parseExportOptions({ format: 'xlsx' });
    expect(xlsx.ok && exportFileExtension(xlsx.options)).toBe('.xlsx');
    expect(xlsx.ok && exportOptionsResource(xlsx.options)).not.toHaveProperty('delimiter');
  });

  it('knows a real calendar day', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2026-13-01')).toBe(false);
    expect(isIsoDate('0000-01-01')).toBe(false);
    expect(isIsoDate('2026-1-1')).toBe(false);
    expect(isIsoDate(20260101)).toBe(false);
  });
});
