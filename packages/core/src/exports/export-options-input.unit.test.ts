import { DEFAULT_EXPORT_OPTIONS } from './export-options';
import { readExportOptions } from './export-options-input';

describe('readExportOptions', () => {
  it.each([undefined, null, {}])('gives the defaults for %j', (value) => {
    expect(readExportOptions(value)).toEqual({ ok: true, options: DEFAULT_EXPORT_OPTIONS });
  });

  it('reads a complete body in the API spelling', () => {
    const result = readExportOptions({
      columns: ['notes', 'id'],
      filters: { status: ['active'], ends_on: { to: '2026-12-31' } },
      format: 'jsonl',
      time_zone: 'Asia/Tokyo',
      compression: 'gzip',
    });
    expect(result).toEqual({
      ok: true,
      options: {
        columns: ['notes', 'id'],
        filters: { status: ['active'], endsOn: { to: '2026-12-31' } },
        format: 'jsonl',
        csv: DEFAULT_EXPORT_OPTIONS.csv,
        timeZone: 'Asia/Tokyo',
        compression: 'gzip',
      },
    });
  });

  it('lists every bad field at once: shape and values, each named once', () => {
    const result = readExportOptions({
      columns: ['id', 7, 'secret'],
      filters: { status: 'active', club_name: '', started_on: { from: 20260101 }, ends_on: { from: '2026-02-30' }, owner: 'x' },
      format: 'pdf',
      bom: 'true',
      time_zone: 'Mars/Olympus',
      extra: true,
    });
    expect(result.ok).toBe(false);
    const fields = !result.ok ? result.problems.map((problem) => problem.field).sort() : [];
    expect(fields).toEqual(
      [
        'columns.1',
        'filters.status',
        'filters.started_on.from',
        'filters.owner',
        'bom',
        'extra',
        'filters.club_name',
        'filters.ends_on.from',
        'format',
        'time_zone',
      ].sort(),
    );
    // The column list with a non-string is left out of the value checks: 'secret' is not reported on top.
    expect(!result.ok && result.problems.find((problem) => problem.field === 'bom')?.message).toBe('must be true or false');
  });

  it('reports a body that is not an object as the body as a whole', () => {
    expect(readExportOptions(['csv'])).toEqual({ ok: false, problems: [{ field: '', message: 'must be a JSON object' }] });
    expect(readExportOptions('csv', 'export.')).toEqual({ ok: false, problems: [{ field: 'export', message: 'must be a JSON object' }] });
  });

  it('prefixes the fields (a schedule reports them under export.)', () => {
    const result = readExportOptions({ format: 'xlsx', delimiter: ';' }, 'export.');
    expect(result).toEqual({ ok: false, problems: [{ field: 'export.delimiter', message: 'applies to format csv only, not xlsx' }] });
  });

  it('bounds the lists', () => {
    const result = readExportOptions({ columns: Array.from({ length: 65 }, () => 'id') });
    expect(result).toEqual({ ok: false, problems: [{ field: 'columns', message: 'must have at most 64 items' }] });
  });
});
