import { fileExpiresAt, isFinal, readState, type ExportJob } from './job';

// `expired` is read, not stored: a succeeded job's file retention is counted from when it finished.
describe('job lifecycle', () => {
  const finishedAt = '2026-12-01T10:00:00.000Z';
  const succeeded: ExportJob = {
    id: 'job-1',
    userId: 'user-1',
    state: 'succeeded',
    trigger: 'api',
    createdAt: finishedAt,
    updatedAt: finishedAt,
    finishedAt,
    attempts: 1,
    progress: { rowsExported: 1, rowsTotal: 1 },
    file: { key: 'k', rows: 1, bytes: 10, sha256: 'x', contentType: 'text/csv' },
    expiresAt: 0,
  };

  it('puts the file expiry retention days after the job finished; no file, no expiry', () => {
    expect(fileExpiresAt(succeeded, 7)?.toISOString()).toBe('2026-12-08T10:00:00.000Z');
    expect(fileExpiresAt({ ...succeeded, state: 'failed', file: undefined }, 7)).toBeUndefined();
  });

  it.each([
    ['2026-12-08T09:59:59.999Z', 'succeeded'],
    ['2026-12-08T10:00:00.000Z', 'expired'],
    ['2027-01-01T00:00:00.000Z', 'expired'],
  ])('a succeeded job read at %s is %s', (now, state) => {
    expect(readState(succeeded, new Date(now), 7)).toBe(state);
  });

  it('never reads another state as expired', () => {
    const late = new Date('2030-01-01T00:00:00.000Z');
    for (const state of ['queued', 'running', 'failed', 'canceled'] as const) {
      expect(readState({ ...succeeded, state }, late, 7)).toBe(state);
    }
  });

  it('counts canceled and expired as final', () => {
    expect(['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'].filter((s) => isFinal(s as never))).toEqual([
      'succeeded',
      'failed',
      'canceled',
      'expired',
    ]);
  });
});
