import { membershipCount, requestedOn } from './email-body';
import { failureNoticeSubject, renderFailureNotice } from './failure-notice';
import { exportFileKey } from './file-store';
import { exportEmailSubject, renderExportEmail, type ExportEmail } from './mailer';

const file = { key: 'exports/u/j.csv', rows: 1234, bytes: 2048, sha256: 'ab'.repeat(32), contentType: 'text/csv; charset=utf-8' };
const requestedAt = '2025-11-25T09:30:00.000Z';

const attachmentEmail: ExportEmail = {
  method: 'attachment',
  to: 'member@example.com',
  jobId: 'job-1',
  requestedAt,
  file,
  fileName: 'memberships-2025-11-25-job-1.csv',
  content: Buffer.from('id\n'),
};
const downloadUrl = 'https://bucket.s3.amazonaws.com/exports/u/j.csv?X-Amz-Signature=abc&X-Amz-Expires=86400';
const linkEmail: ExportEmail = {
  method: 'link',
  to: 'member@example.com',
  jobId: 'job-1',
  requestedAt,
  file,
  fileName: 'memberships-2025-11-25-job-1.csv',
  downloadUrl,
  linkExpiresAt: new Date('2025-11-26T10:00:00.000Z'),
};

/**
 * What a reader of the HTML part sees, line by line: block elements end a
 * line, tags go, character references are decoded. Written independently of
 * email-body.ts, so the comparison with the text part checks the rendering.
 */
function htmlText(html: string): string[] {
  const body = /<body[^>]*>([\s\S]*)<\/body>/.exec(html)?.[1] ?? html;
  return body
    .replace(/<\/(p|li|ul|h\d|div)>|<br\s*\/?>|<ul>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, '&')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const textLines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

describe('export email', () => {
  it('describes an attached file with its facts', () => {
    const { text, html } = renderExportEmail(attachmentEmail);
    expect(text).toContain('1,234 memberships, attached to this email as memberships-2025-11-25-job-1.csv');
    expect(text).toContain(`SHA-256: ${file.sha256}`);
    expect(html).toContain('<strong>memberships-2025-11-25-job-1.csv</strong>');
  });

  it('gives a large file as a link with its expiry, escaped in HTML', () => {
    const { text, html } = renderExportEmail(linkEmail);
    expect(text).toContain(downloadUrl);
    expect(text).toContain('until 2025-11-26T10:00:00Z');
    expect(html).toContain(`href="${downloadUrl.replace(/&/g, '&#38;')}"`);
  });

  it.each([
    ['attachment', attachmentEmail],
    ['link', linkEmail],
  ])('says the same in its HTML part as in its text part (%s)', (_, email) => {
    const { text, html } = renderExportEmail(email);
    const lines = textLines(text);
    expect(htmlText(html)).toEqual(lines);
    // The facts are there, in both.
    for (const fact of ['File: memberships-2025-11-25-job-1.csv', 'Rows: 1234', 'Export job: job-1', `SHA-256: ${file.sha256}`]) {
      expect(lines).toContain(fact);
    }
  });

  it('has the request date and the row count in its subject', () => {
    expect(exportEmailSubject('2026-12-01T23:59:00.000Z', 3013)).toBe('Your memberships export of 1 December 2026: 3,013 memberships');
    expect(exportEmailSubject('2026-01-09T00:00:00.000Z', 1)).toBe('Your memberships export of 9 January 2026: 1 membership');
    expect(exportEmailSubject('2026-01-09T00:00:00.000Z', 0)).toBe('Your memberships export of 9 January 2026: 0 memberships');
    expect(exportEmailSubject('2026-03-31T12:00:00.000Z', 1_000_000)).toBe(
      'Your memberships export of 31 March 2026: 1,000,000 memberships',
    );
  });

  it('dates the request in UTC, whatever the hour', () => {
    // 23:30 UTC on 30 November is 1 December in Paris; the subject says the UTC day.
    expect(requestedOn('2026-11-30T23:30:00.000Z')).toBe('30 November 2026');
    expect(requestedOn(new Date('2026-12-01T00:00:00.000Z'))).toBe('1 December 2026');
    expect(membershipCount(12_345)).toBe('12,345 memberships');
  });
});

describe('failure notice', () => {
  const base = { jobId: 'job-7', requestedAt: '2026-12-01T08:00:00.000Z', scheduled: false } as const;

  it('has the request date in its subject', () => {
    const notice = renderFailureNotice({ ...base, errorCode: 'database_unavailable', end: 'attempts_exhausted' });
    expect(notice.subject).toBe('Your memberships export of 1 December 2026 did not complete');
    expect(failureNoticeSubject('2026-12-01T08:00:00.000Z')).toBe(notice.subject);
  });

  it('after its retries: what happened, the job id, and to try again later', () => {
    const { text } = renderFailureNotice({ ...base, errorCode: 'database_unavailable', end: 'attempts_exhausted' });
    expect(text).toContain('your memberships export of 1 December 2026 did not complete: the membership database could not be reached.');
    expect(text).toContain('Please try again later');
    expect(text).toContain('Export job: job-7');
    expect(text).toContain('Reason code: database_unavailable');
    expect(text).not.toContain('monthly');
  });

  it('a permanent failure says what to do instead of trying again', () => {
    const { text } = renderFailureNotice({ ...base, errorCode: 'invalid_data', end: 'permanent' });
    expect(text).toContain('did not complete: some of your membership data could not be written to the file.');
    expect(text).toContain('Trying again will not help until the data is corrected: please contact support');
    expect(text).not.toContain('try again later');
  });

  it('a permanent failure of an unrecognised code still says what to do, in plain words', () => {
    const { text } = renderFailureNotice({ ...base, errorCode: 'some_new_code', end: 'permanent' });
    expect(text).toContain('did not complete: something went wrong on our side.');
    expect(text).toContain('Trying again is unlikely to help: please contact support and quote the export job below.');
  });

  it('a monthly export: next month’s still runs as planned', () => {
    const { text } = renderFailureNotice({ ...base, errorCode: 'storage_unavailable', end: 'attempts_exhausted', scheduled: true });
    expect(text).toContain('This was your monthly export: next month’s export will still run as planned.');
  });

  it.each([
    ['exhausted, on demand', { errorCode: 'email_unavailable', end: 'attempts_exhausted', scheduled: false }],
    ['permanent, monthly', { errorCode: 'email_rejected', end: 'permanent', scheduled: true }],
  ] as const)('says the same in its HTML part as in its text part (%s)', (_, input) => {
    const { text, html } = renderFailureNotice({ ...base, ...input });
    expect(htmlText(html)).toEqual(textLines(text));
    expect(textLines(text)).toContain('Export job: job-7');
  });
});

// The name the user sees and its Content-Disposition are the contract's (core's jobs/export-file.unit.test.ts).
describe('export file keys', () => {
  it('keys files by user and job', () => {
    expect(exportFileKey('u-1', 'j-1')).toBe('exports/u-1/j-1.csv');
  });
});
