import type { ExportJob } from '@memberships/sdk';
import { formatBytes, formatProgress, formatTime, jobTable } from './format.js';
import { styleFor } from './output.js';

const plain = styleFor({ isTTY: false }, false);

function job(overrides: Partial<ExportJob>): ExportJob {
  return {
    id: 'job-1',
    state: 'succeeded',
    trigger: 'api',
    created_at: '2025-11-25T11:41:07.123Z',
    updated_at: '2025-11-25T11:41:09.000Z',
    attempts: 1,
    progress: { rows_exported: 0, rows_total: null },
    links: { self: '/v1/exports/job-1' },
    ...overrides,
  } as ExportJob;
}

describe('formatting', () => {
  it('shows progress as rows done / total with a percentage', () => {
    expect(formatProgress({ rows_exported: 1234, rows_total: 10000 })).toBe('1,234 / 10,000 rows (12%)');
    expect(formatProgress({ rows_exported: 0, rows_total: 0 })).toBe('0 / 0 rows (100%)');
    expect(formatProgress({ rows_exported: 17, rows_total: null })).toBe('17 rows');
  });

  it('shows sizes in binary units and times in UTC', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatTime('2025-11-25T11:41:07.123Z')).toBe('2025-11-25 11:41 UTC');
    expect(formatTime(undefined)).toBe('-');
  });

  it('lines the job table up in columns', () => {
    const lines = jobTable(
      [
        job({ id: 'a-long-job-id', file: { rows: 1500, bytes: 1, sha256: 'x', content_type: 'text/csv' } }),
        job({ id: 'short', state: 'running', progress: { rows_exported: 20, rows_total: 100 } }),
      ],
      plain,
    );
    expect(lines).toEqual([
      'ID             STATE      CREATED                ROWS  TRIGGER',
      'a-long-job-id  succeeded  2025-11-25 11:41 UTC  1,500  api',
      'short          running    2025-11-25 11:41 UTC     20  api',
    ]);
  });
});
