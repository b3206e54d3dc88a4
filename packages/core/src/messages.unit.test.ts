import { encodeMessage, exportRequestedMessage, parseMessage, type ExportRequestedV1, type ExportScheduledV1 } from './messages';

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

  it('rejects a version it does not understand and says which it does', () => {
    const result = parseMessage(JSON.stringify({ ...valid, version: 2 }));
    expect(result).toMatchObject({ ok: false, code: 'unsupported_version', jobId: valid.jobId });
    expect(!result.ok && result.reason).toContain('understands 1');
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
  it('builds the v1 message of an on-demand job that parseMessage accepts', () => {
    const job = { id: valid.jobId, userId: valid.userId, createdAt: valid.requestedAt };
    const message = exportRequestedMessage(job);
    expect(message).toEqual(valid);
    expect(parseMessage(encodeMessage(message))).toEqual({ ok: true, message: valid });
  });
});
