import { exportFileKey } from './file-store';
import { renderExportEmail } from './mailer';

const file = { key: 'exports/u/j.csv', rows: 1234, bytes: 2048, sha256: 'ab'.repeat(32), contentType: 'text/csv; charset=utf-8' };

describe('export email', () => {
  it('describes an attached file with its facts', () => {
    const { text, html } = renderExportEmail({
      method: 'attachment',
      to: 'member@example.com',
      jobId: 'job-1',
      file,
      fileName: 'memberships-2025-11-25-job-1.csv',
      content: Buffer.from('id\n'),
    });
    expect(text).toContain('1,234 memberships, attached to this email as memberships-2025-11-25-job-1.csv');
    expect(text).toContain(`SHA-256: ${file.sha256}`);
    expect(html).toContain('<strong>memberships-2025-11-25-job-1.csv</strong>');
  });

  it('gives a large file as a link with its expiry, escaped in HTML', () => {
    const downloadUrl = 'https://bucket.s3.amazonaws.com/exports/u/j.csv?X-Amz-Signature=abc&X-Amz-Expires=86400';
    const { text, html } = renderExportEmail({
      method: 'link',
      to: 'member@example.com',
      jobId: 'job-1',
      file,
      fileName: 'memberships-2025-11-25-job-1.csv',
      downloadUrl,
      linkExpiresAt: new Date('2025-11-26T10:00:00.000Z'),
    });
    expect(text).toContain(downloadUrl);
    expect(text).toContain('until 2025-11-26T10:00:00Z');
    expect(html).toContain(`href="${downloadUrl.replace(/&/g, '&#38;')}"`);
  });
});

// The name the user sees and its Content-Disposition are the contract's (core's jobs/export-file.unit.test.ts).
describe('export file keys', () => {
  it('keys files by user and job', () => {
    expect(exportFileKey('u-1', 'j-1')).toBe('exports/u-1/j-1.csv');
  });
});
