import { CliError, EXIT } from './errors.js';
import { exportRequestFrom } from './export-request.js';
import { clubName, columnList, csvDelimiter, exportFormat, InvalidValueError, isoDate, locale, statusList } from './option-values.js';

/**
 * The export flags, from their text as typed to the body the API receives:
 * each value check (a rejected one becomes exit 2 naming the flag) and the
 * mapping to the API's snake_case fields.
 */
describe('export flag values', () => {
  it('takes columns as a comma list, in order, across repeated flags, and refuses unknown or repeated ones', () => {
    expect(columnList('id,club_name, status')).toEqual(['id', 'club_name', 'status']);
    expect(columnList('price', columnList('id,club_name'))).toEqual(['id', 'club_name', 'price']);
    expect(() => columnList('id,name')).toThrow(
      new InvalidValueError(
        'Unknown column "name"; choose from id, uuid, club_name, club_city, plan, status, started_on, ends_on, price, currency, auto_renew, notes, created_at, updated_at (comma-separated).',
      ),
    );
    expect(() => columnList('id,,plan')).toThrow(/Unknown column an empty item/);
    expect(() => columnList('id', ['id'])).toThrow('id given more than once.');
  });

  it('takes statuses as a comma list or repeated', () => {
    expect(statusList('active', statusList('paused'))).toEqual(['paused', 'active']);
    expect(statusList('active,cancelled')).toEqual(['active', 'cancelled']);
    expect(() => statusList('active,canceled')).toThrow(/Unknown status "canceled"; choose from active, paused, cancelled, expired/);
  });

  it('takes real calendar days only', () => {
    expect(isoDate(' 2026-02-28 ')).toBe('2026-02-28');
    for (const bad of ['2026-02-30', '2026-2-1', '01.02.2026', 'tomorrow']) expect(() => isoDate(bad)).toThrow(InvalidValueError);
  });

  it('names delimiters by name or character, formats in any case, locales in canonical form', () => {
    expect(['comma', ',', 'semicolon', ';', 'tab', 'TAB', '\t'].map(csvDelimiter)).toEqual([',', ',', ';', ';', '\t', '\t', '\t']);
    expect(() => csvDelimiter('|')).toThrow('Expected comma, semicolon or tab (or , ;).');
    expect(['csv', 'XLSX', 'jsonl'].map(exportFormat)).toEqual(['csv', 'xlsx', 'jsonl']);
    expect(() => exportFormat('json')).toThrow('Expected one of csv, xlsx, jsonl.');
    expect(locale('de-de')).toBe('de-DE');
    expect(() => locale('german')).toThrow(InvalidValueError);
    expect(() => clubName('  ')).toThrow('Give the club name.');
  });
});

describe('exportRequestFrom', () => {
  it('sends nothing without flags: the defaults', () => {
    expect(exportRequestFrom({})).toBeUndefined();
  });

  it("maps every flag to the API's field", () => {
    expect(
      exportRequestFrom({
        columns: ['id', 'club_name'],
        status: ['active', 'paused'],
        club: 'Zürich Ruderclub',
        startedFrom: '2025-01-01',
        startedTo: '2025-12-31',
        endsTo: '2027-01-01',
        activeOn: '2026-06-30',
        format: 'csv',
        delimiter: '\t',
        bom: true,
        crlf: true,
        exportTimeZone: 'Europe/Berlin',
        gzip: true,
      }),
    ).toEqual({
      columns: ['id', 'club_name'],
      filters: {
        status: ['active', 'paused'],
        club_name: 'Zürich Ruderclub',
        started_on: { from: '2025-01-01', to: '2025-12-31' },
        ends_on: { to: '2027-01-01' },
        active_on: '2026-06-30',
      },
      format: 'csv',
      delimiter: '\t',
      bom: true,
      line_ending: 'crlf',
      time_zone: 'Europe/Berlin',
      compression: 'gzip',
    });
    expect(exportRequestFrom({ excel: true, locale: 'de-DE' })).toEqual({ preset: 'excel', locale: 'de-DE' });
    expect(exportRequestFrom({ format: 'jsonl', columns: ['id'], status: ['active'] })).toEqual({
      format: 'jsonl',
      columns: ['id'],
      filters: { status: ['active'] },
    });
  });

  it('refuses flags that cannot go together with exit 2, naming them', () => {
    const usage = (flags: Parameters<typeof exportRequestFrom>[0]) => {
      try {
        exportRequestFrom(flags);
      } catch (error) {
        return error instanceof CliError ? { code: error.exitCode, message: error.message, hint: error.suggestion } : error;
      }
      return 'accepted';
    };
    expect(usage({ format: 'xlsx', bom: true, excel: true })).toEqual({
      code: EXIT.usage,
      message: '--bom, --excel are for CSV files, not --format xlsx.',
      hint: 'Drop them, or use --format csv.',
    });
    expect(usage({ format: 'jsonl', delimiter: ';' })).toMatchObject({
      code: EXIT.usage,
      message: '--delimiter is for CSV files, not --format jsonl.',
    });
    expect(usage({ locale: 'de-DE' })).toEqual({
      code: EXIT.usage,
      message: '--locale picks the delimiter of the --excel preset.',
      hint: 'Add --excel: --excel --locale de-DE',
    });
    expect(usage({ startedFrom: '2026-02-01', startedTo: '2026-01-31' })).toMatchObject({
      code: EXIT.usage,
      message: '--started-from 2026-02-01 is after --started-to 2026-01-31.',
    });
    expect(usage({ endsFrom: '2026-01-01', endsTo: '2026-01-01' })).toBe('accepted');
  });
});
