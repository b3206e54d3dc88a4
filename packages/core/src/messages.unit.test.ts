import { DEFAULT_EXPORT_OPTIONS, exportOptionsResource, parseExportOptions, type ExportOptions } from './exports/export-options';
import {
  encodeMessage,
  exportRequestedMessage,
  parseMessage,
  type ExportRequestedV1,
  type ExportRequestedV2,
  type ExportScheduledV1,
} from './messages';

const valid: ExportRequestedV1 = {
  type: 'export.requested',
  version: 1,
  jobId: '6f1c1f7e-2d7f-4c55-9d0e-0e4b8f3f1a11',
  userId: '0b7a3a52-8f0e-4a0b-a2c5-5f4f1b6f9d20',
  trigger: 'api',
  requestedAt: '2026-11-25T10:00:00.000Z',
};

describe('parseMessage', () => {
  it('accepts what encodeMessage produces', () => {
    expect(parseMessage(encodeMessage(valid))).toEqual({ ok: true, message: valid });
  });

  it('rejects a body that is not JSON', () => {
    expect(parseMessage('{not json')).toMatchObject({ ok: false, code: 'malformed_json' });
    expect(parseMessage(undefined)).toMatchObject({ ok: false, code: 'malformed_json' });
  });

  it('rejects JSON that is not an object', () => {
    expect(parseMessage('[1,2]')).toMatchObject({ ok: false, code: 'malformed_message' });
  });

  it('rejects an unknown type but keeps the job id so the job can be failed', () => {
    const result = parseMessage(JSON.stringify({ ...valid, type: 'export.deleted' }));
    expect(result).toMatchObject({ ok: false, code: 'unknown_type', jobId: valid.jobId, userId: valid.userId });
  });

  it.each([3, 0, '2', null])('rejects version %j, which it does not understand, and says which it does', (version) => {
    const result = parseMessage(JSON.stringify({ ...valid, version }));
    expect(result).toMatchObject({ ok: false, code: 'unsupported_version', jobId: valid.jobId });
    expect(!result.ok && result.reason).toContain('understands 1 and 2');
  });

  it.each([
    ['jobId', { jobId: 'has spaces and /slashes' }],
    ['userId', { userId: 'not-a-uuid' }],
    ['trigger', { trigger: 'cron' }],
    ['requestedAt', { requestedAt: 'yesterday' }],
  ])('rejects a malformed %s', (field, patch) => {
    const result = parseMessage(JSON.stringify({ ...valid, ...patch }));
    expect(result).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(!result.ok && result.reason).toContain(field);
  });
});

/** Options unlike the defaults in every part, as the API would have validated them. */
function someOptions(): ExportOptions {
  const parsed = parseExportOptions({
    columns: ['club_name', 'id', 'price'],
    filters: { status: ['active', 'paused'], club_name: "O'Neill's", started_on: { from: '2026-01-01' }, active_on: '2026-06-30' },
    preset: 'excel',
    locale: 'de-DE',
    time_zone: 'Europe/Berlin',
    compression: 'gzip',
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.options;
}

describe('parseMessage for export.requested version 2', () => {
  const v2: ExportRequestedV2 = { ...valid, version: 2, options: exportOptionsResource(someOptions()) };

  it('accepts what encodeMessage produces, options and all', () => {
    expect(parseMessage(encodeMessage(v2))).toEqual({ ok: true, message: v2 });
  });

  it('normalises the options it reads: a preset becomes the dialect it stands for, a zone its canonical spelling', () => {
    const result = parseMessage(JSON.stringify({ ...v2, options: { preset: 'excel', locale: 'de-DE', time_zone: 'europe/berlin' } }));
    expect(result).toMatchObject({
      ok: true,
      message: { version: 2, options: { format: 'csv', delimiter: ';', bom: true, line_ending: 'crlf', time_zone: 'Europe/Berlin' } },
    });
  });

  it.each([
    ['options are missing', { options: undefined }, 'options are missing'],
    ['options are not an object', { options: 'xlsx' }, 'options must be a JSON object'],
    ['an unknown column', { options: { columns: ['id', 'password'] } }, 'options.columns.1'],
    ['a field of the wrong type', { options: { bom: 'yes' } }, 'options.bom must be true or false'],
    ['an unknown field', { options: { sheet: 'x' } }, 'options.sheet is not an allowed field'],
    ['a bad date', { options: { filters: { active_on: '2026-02-30' } } }, 'options.filters.active_on'],
  ])('rejects %s as invalid_field, keeping the job id so the job can be failed', (_case, patch, reason) => {
    const result = parseMessage(JSON.stringify({ ...v2, ...patch }));
    expect(result).toMatchObject({ ok: false, code: 'invalid_field', jobId: v2.jobId, userId: v2.userId });
    expect(!result.ok && result.reason).toContain(reason);
  });

  it('rejects what it rejects in version 1 too', () => {
    const result = parseMessage(JSON.stringify({ ...v2, trigger: 'cron' }));
    expect(result).toMatchObject({ ok: false, code: 'invalid_field' });
  });

  it('still reads version 1 (sent before the deploy), which has no options: the defaults', () => {
    const result = parseMessage(JSON.stringify({ ...valid, options: { format: 'xlsx' } }));
    // Version 1 knows no options: anything there is not read, so the job's record alone decides.
    expect(result).toEqual({ ok: true, message: valid });
  });
});

describe('parseMessage for export.scheduled', () => {
  const scheduled: ExportScheduledV1 = {
    type: 'export.scheduled',
    version: 1,
    scheduleId: '3f2b8c1e-7a4d-4e2f-9b6a-1c0d5e8f7a21',
    userId: valid.userId,
    scheduledTime: '2026-12-01T05:00:00Z',
    executionId: '2c5e6f1a-0b9d-4e3c-8a7f-6d5c4b3a2918',
  };

  it('accepts what encodeMessage produces, and tells the two types apart by `type`', () => {
    const result = parseMessage(encodeMessage(scheduled));
    expect(result).toEqual({ ok: true, message: scheduled });
    if (result.ok && result.message.type === 'export.scheduled') expect(result.message.scheduleId).toBe(scheduled.scheduleId);
    else throw new Error('expected an export.scheduled message');
  });

  it('accepts a message without executionId', () => {
    const { executionId: _omitted, ...withoutExecution } = scheduled;
    expect(parseMessage(JSON.stringify(withoutExecution))).toEqual({ ok: true, message: withoutExecution });
  });

  it('rejects a version it does not understand, naming the type', () => {
    const result = parseMessage(JSON.stringify({ ...scheduled, version: 2 }));
    expect(result).toMatchObject({ ok: false, code: 'unsupported_version', scheduleId: scheduled.scheduleId, userId: scheduled.userId });
    expect(!result.ok && result.reason).toContain('export.scheduled');
  });

  it.each([
    ['scheduleId', { scheduleId: 'not-a-uuid' }],
    ['scheduleId', { scheduleId: undefined }],
    ['userId', { userId: 42 }],
    ['scheduledTime', { scheduledTime: '<aws.scheduler.scheduled-time>' }],
    ['scheduledTime', { scheduledTime: '2026-12-01' }],
    ['scheduledTime', { scheduledTime: '2026-12-01T05:00:00' }],
    ['executionId', { executionId: '' }],
    ['executionId', { executionId: 7 }],
  ])('rejects a malformed %s (%j)', (field, patch) => {
    const result = parseMessage(JSON.stringify({ ...scheduled, ...patch }));
    expect(result).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(!result.ok && result.reason).toContain(field);
    // A scheduled message names no job, so nothing is failed on its account.
    expect(!result.ok && result.jobId).toBeUndefined();
  });
});

describe('exportRequestedMessage', () => {
  it('builds the version 2 message of an on-demand job, with its options, that parseMessage accepts', () => {
    const options = someOptions();
    const message = exportRequestedMessage({ id: valid.jobId, userId: valid.userId, createdAt: valid.requestedAt, options });
    expect(message).toEqual({ ...valid, version: 2, options: exportOptionsResource(options) });
    expect(message.options).toMatchObject({ columns: ['club_name', 'id', 'price'], delimiter: ';', compression: 'gzip' });
    expect(parseMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it('gives a job without options (created before they existed) the defaults', () => {
    const message = exportRequestedMessage({ id: valid.jobId, userId: valid.userId, createdAt: valid.requestedAt });
    expect(message.options).toEqual(exportOptionsResource(DEFAULT_EXPORT_OPTIONS));
  });
});
