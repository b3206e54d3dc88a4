import { DEFAULT_EXPORT_OPTIONS, parseExportOptions, type ExportOptionsBody } from '../exports/export-options';
import { exportOptionsFingerprint, IDEMPOTENCY_KEY_PATTERN, isIdempotencyKey } from './idempotency-key';

describe('idempotency keys', () => {
  it.each([
    ['a', true],
    ['retry-2025-11-25T09:15:00.000Z', true],
    ['A.b_c:d-e', true],
    ['k'.repeat(200), true],
    ['', false],
    ['k'.repeat(201), false],
    ['with space', false],
    ['slash/key', false],
    ['ümlaut', false],
    ['line\nbreak', false],
  ])('%j is a key: %s', (key, valid) => {
    expect(isIdempotencyKey(key)).toBe(valid);
    expect(new RegExp(IDEMPOTENCY_KEY_PATTERN).test(key)).toBe(valid);
  });

  it('is a string', () => {
    expect(isIdempotencyKey(42)).toBe(false);
    expect(isIdempotencyKey(undefined)).toBe(false);
  });
});

describe('exportOptionsFingerprint', () => {
  const fingerprint = (body: ExportOptionsBody) => {
    const parsed = parseExportOptions(body);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return exportOptionsFingerprint(parsed.options);
  };

  it('is the same for bodies that ask for the same file', () => {
    expect(fingerprint({})).toBe(exportOptionsFingerprint(DEFAULT_EXPORT_OPTIONS));
    expect(fingerprint({ format: 'csv', delimiter: ',', time_zone: 'utc' })).toBe(fingerprint({}));
    expect(fingerprint({ filters: { status: ['paused', 'active'] } })).toBe(fingerprint({ filters: { status: ['active', 'paused'] } }));
    expect(fingerprint({ preset: 'excel', locale: 'de' })).toBe(
      fingerprint({ delimiter: ';', bom: true, line_ending: 'crlf', decimal_separator: ',' }),
    );
    // Key order is no difference: the same options built another way.
    const { columns, ...rest } = DEFAULT_EXPORT_OPTIONS;
    expect(exportOptionsFingerprint({ ...rest, columns })).toBe(exportOptionsFingerprint(DEFAULT_EXPORT_OPTIONS));
  });

  it('differs for any other file', () => {
    const others = [
      fingerprint({}),
      fingerprint({ columns: ['uuid', 'id'] }),
      fingerprint({ columns: ['id', 'uuid'] }),
      fingerprint({ filters: { status: ['active'] } }),
      fingerprint({ filters: { club_name: 'Berlin' } }),
      fingerprint({ format: 'xlsx' }),
      fingerprint({ bom: true }),
      fingerprint({ time_zone: 'Europe/Berlin' }),
      fingerprint({ compression: 'gzip' }),
    ];
    expect(new Set(others).size).toBe(others.length);
    expect(others[0]).toMatch(/^[0-9a-f]{64}$/);
  });
});
