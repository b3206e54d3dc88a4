import { MessageRejected, TooManyRequestsException, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Logger } from 'pino';
import { membershipCount, requestedOn } from './email-body';
import { failureNoticeSubject, renderFailureNotice } from './failure-notice';
import { exportFileKey } from './file-store';
import {
  ExportMailer,
  exportEmailSubject,
  renderExportEmail,
  SEND_RATE_RETRY,
  sendRateRetryDelayMs,
  type ExportEmail,
  type MonthlyExport,
} from './mailer';

const file = { key: 'exports/u/j.csv', rows: 1234, bytes: 2048, sha256: 'ab'.repeat(32), contentType: 'text/csv; charset=utf-8' };
const requestedAt = '2025-11-25T09:30:00.000Z';
// As long as a real token (about 250 characters): a header that folds or breaks it would show here.
const token = (seed: number) => Buffer.from(Array.from({ length: 187 }, (_, i) => (i * 37 + seed) % 256)).toString('base64url');
const common = {
  to: 'member@example.com',
  jobId: 'job-1',
  requestedAt,
  file,
  fileName: 'memberships-2025-11-25-job-1.csv',
} as const;

const attachmentEmail: ExportEmail = { ...common, method: 'attachment', content: Buffer.from('id\n') };
const downloadUrl = `https://api.memberships.example/v1/exports/job-1/file?token=${token(11)}`;
const linkEmail: ExportEmail = { ...common, method: 'link', downloadUrl, linkExpiresAt: new Date('2025-12-02T10:00:00.000Z') };
const appEmail: ExportEmail = { ...common, method: 'app', fileExpiresAt: new Date('2025-12-02T10:00:00.000Z') };
const monthly: MonthlyExport = {
  scheduleId: 'sched-1',
  pauseUrl: `https://api.memberships.example/v1/export-schedules/sched-1/pause-link?token=${token(5)}`,
};
const withMonthly = (email: ExportEmail): ExportEmail => ({ ...email, monthly });

/** Every variant the worker sends: three delivery methods, each on demand and monthly. */
const VARIANTS: ReadonlyArray<readonly [string, ExportEmail]> = [
  ['attachment', attachmentEmail],
  ['link', linkEmail],
  ['app', appEmail],
  ['monthly attachment', withMonthly(attachmentEmail)],
  ['monthly link', withMonthly(linkEmail)],
  ['monthly app', withMonthly(appEmail)],
];

/** The addresses a reader of the text part is given. */
const urlsIn = (text: string) => [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map(([url]) => url);

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
    expect(urlsIn(text)).toEqual([]);
  });

  it('gives a large file as a link with its expiry, escaped in HTML', () => {
    const { text, html } = renderExportEmail(linkEmail);
    expect(urlsIn(text)).toEqual([downloadUrl]);
    expect(text).toContain('until 2025-12-02T10:00:00Z');
    expect(html).toContain(`href="${downloadUrl.replace(/&/g, '&#38;')}"`);
  });

  it('with emailed links turned off, gives no address at all and names the command that downloads the file', () => {
    const { text, html } = renderExportEmail(appEmail);
    expect(text).toContain('download links in emails are turned off for your account');
    expect(textLines(text)).toContain('memberships exports download job-1');
    expect(text).toContain('The file is kept until 2025-12-02T10:00:00Z (UTC).');
    expect(urlsIn(text)).toEqual([]);
    expect(html).not.toMatch(/https?:|href=/);
  });

  it.each([
    ['attachment', attachmentEmail],
    ['link', linkEmail],
    ['app', appEmail],
  ])('a monthly one (%s) says it is monthly and how to pause it, by link or command', (_, email) => {
    const plain = renderExportEmail(email);
    const { text, html } = renderExportEmail(withMonthly(email));
    expect(plain.text).not.toContain('monthly');
    expect(text).toContain('your monthly memberships export is ready: 1,234 memberships');
    expect(text).toContain('This is your monthly export: it is made and emailed to you every month by your subscription sched-1.');
    expect(textLines(text)).toContain(monthly.pauseUrl);
    expect(textLines(text)).toContain('or run: memberships schedule pause sched-1');
    // The pause link is the only address it adds.
    expect(urlsIn(text)).toEqual([...urlsIn(plain.text), monthly.pauseUrl]);
    expect(html).toContain(`href="${monthly.pauseUrl}"`);
  });

  it('declares its charset and a phone’s viewport in the HTML part’s head', () => {
    const { html } = renderExportEmail(linkEmail);
    const head = /<head>([\s\S]*)<\/head>\s*<body/.exec(html)?.[1];
    expect(head).toContain('<meta charset="utf-8">');
    expect(head).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.startsWith('<!doctype html><html><head>')).toBe(true);
  });

  it.each(VARIANTS)('says the same in its HTML part as in its text part (%s)', (_, email) => {
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

  it('says monthly in the subject of a subscription’s export', () => {
    expect(exportEmailSubject('2026-12-01T05:00:00.000Z', 3013, true)).toBe(
      'Your monthly memberships export of 1 December 2026: 3,013 memberships',
    );
  });

  it('dates the request in UTC, whatever the hour', () => {
    // 23:30 UTC on 30 November is 1 December in Paris; the subject says the UTC day.
    expect(requestedOn('2026-11-30T23:30:00.000Z')).toBe('30 November 2026');
    expect(requestedOn(new Date('2026-12-01T00:00:00.000Z'))).toBe('1 December 2026');
    expect(membershipCount(12_345)).toBe('12,345 memberships');
  });
});

/**
 * The mailer against a stand-in SES client that keeps what it was asked to
 * send: the raw MIME message, parsed back as a mail client would parse it.
 */
describe('export email as sent', () => {
  const FROM = 'exports@memberships.test';

  async function sent(email: ExportEmail): Promise<{ input: SendEmailCommandInput; mail: ParsedMail; raw: string }> {
    const inputs: SendEmailCommandInput[] = [];
    const ses = {
      send: async (command: { input: SendEmailCommandInput }) => {
        inputs.push(command.input);
        return { MessageId: 'ses-1', $metadata: {} };
      },
    } as unknown as SESv2Client;
    const result = await new ExportMailer(ses, { from: FROM, configurationSet: 'exports' }).send(email);
    expect(result).toEqual({ messageId: 'ses-1' });
    expect(inputs).toHaveLength(1);
    const data = inputs[0]!.Content?.Raw?.Data;
    expect(data).toBeDefined();
    const raw = Buffer.from(data!).toString('utf8');
    return { input: inputs[0]!, mail: await simpleParser(Buffer.from(data!)), raw };
  }

  /** A header's raw value, unfolded (RFC 5322 folding is CRLF + whitespace), or undefined. */
  function header(mail: ParsedMail, name: string): string | undefined {
    const lines = mail.headerLines.filter((line) => line.key === name.toLowerCase());
    expect(lines.length).toBeLessThanOrEqual(1);
    const line = lines[0]?.line;
    return line
      ?.slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
  }

  it.each(VARIANTS)('goes to the account’s address only, from the SES identity, tagged export-ready (%s)', async (_, email) => {
    const { input, mail } = await sent(email);
    expect(input.FromEmailAddress).toBe(FROM);
    expect(input.Destination).toEqual({ ToAddresses: ['member@example.com'] });
    expect(input.ConfigurationSetName).toBe('exports');
    expect(input.EmailTags).toEqual([{ Name: 'kind', Value: 'export-ready' }]);
    expect(input.Content?.Simple).toBeUndefined();
    expect(mail.from?.value).toEqual([{ address: FROM, name: '' }]);
    expect(Array.isArray(mail.to) ? mail.to : [mail.to]).toEqual([
      expect.objectContaining({ value: [{ address: 'member@example.com', name: '' }] }),
    ]);
    expect(mail.cc).toBeUndefined();
    expect(mail.bcc).toBeUndefined();
  });

  it.each(VARIANTS)('carries the text and HTML parts as rendered, with the subject (%s)', async (_, email) => {
    const { mail } = await sent(email);
    const rendered = renderExportEmail(email);
    expect(mail.subject).toBe(exportEmailSubject(requestedAt, file.rows, email.monthly !== undefined));
    expect(mail.text?.trim()).toBe(rendered.text);
    expect(mail.html).toBe(rendered.html);
    expect(htmlText(mail.html as string)).toEqual(textLines(mail.text!));
  });

  it('says monthly in the subject of a subscription’s email', async () => {
    const { mail } = await sent(withMonthly(linkEmail));
    expect(mail.subject).toBe('Your monthly memberships export of 25 November 2025: 1,234 memberships');
  });

  it.each(VARIANTS)(
    'has the one-click unsubscribe headers exactly when monthly, naming the pause link of its text (%s)',
    async (_, email) => {
      const { mail } = await sent(email);
      const unsubscribe = header(mail, 'List-Unsubscribe');
      const unsubscribePost = header(mail, 'List-Unsubscribe-Post');
      if (!email.monthly) {
        expect(unsubscribe).toBeUndefined();
        expect(unsubscribePost).toBeUndefined();
        expect(urlsIn(mail.text!)).not.toContainEqual(expect.stringContaining('/pause-link'));
        return;
      }
      expect(unsubscribePost).toBe('List-Unsubscribe=One-Click');
      // RFC 8058: one HTTPS URI in angle brackets; the one the text part gives for pausing.
      const uri = /^<(https:\/\/[^>\s]+)>$/.exec(unsubscribe ?? '')?.[1];
      expect(uri).toBe(monthly.pauseUrl);
      expect(urlsIn(mail.text!).filter((url) => url.includes('/pause-link'))).toEqual([uri]);
    },
  );

  it.each(VARIANTS)('attaches the file only when it is small enough (%s)', async (_, email) => {
    const { mail } = await sent(email);
    if (email.method !== 'attachment') {
      expect(mail.attachments).toEqual([]);
      return;
    }
    expect(mail.attachments).toHaveLength(1);
    const [attachment] = mail.attachments;
    expect(attachment!.filename).toBe('memberships-2025-11-25-job-1.csv');
    expect(attachment!.contentType).toBe('text/csv');
    expect(attachment!.contentDisposition).toBe('attachment');
    expect(attachment!.content.equals(email.content)).toBe(true);
  });

  it('attaches a gzipped file as what it is: its own name and content type', async () => {
    const gzipFile = { ...file, key: 'exports/u/j.xlsx.gz', contentType: 'application/gzip' };
    const content = Buffer.from([0x1f, 0x8b, 0x08, 0x00]);
    const email: ExportEmail = {
      ...common,
      file: gzipFile,
      fileName: 'memberships-2025-11-25-job-1.xlsx.gz',
      method: 'attachment',
      content,
    };
    const [attachment] = (await sent(email)).mail.attachments;
    expect(attachment!.filename).toBe('memberships-2025-11-25-job-1.xlsx.gz');
    expect(attachment!.contentType).toBe('application/gzip');
    expect(attachment!.content.equals(content)).toBe(true);
  });

  it('with emailed links turned off, has no address anywhere in the message', async () => {
    const { mail, raw } = await sent(appEmail);
    expect(raw).not.toMatch(/https?:|X-Amz-/i);
    expect(mail.text).toContain('memberships exports download job-1');
  });

  it('links to the API, not to S3', async () => {
    const { mail, raw } = await sent(linkEmail);
    expect(urlsIn(mail.text!)).toEqual([downloadUrl]);
    expect(raw).not.toMatch(/X-Amz-|amazonaws\.com/i);
  });
});

/**
 * The mailer against a stand-in SES client that answers each SendEmail call
 * with the next of `answers` (an error is thrown), then accepts: the real
 * SDK's exceptions, as it raises them for SES's answers.
 */
describe('a send refused over the maximum send rate', () => {
  const FROM = 'exports@memberships.test';
  const overRate = () => new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } });

  function mailerAnswering(answers: readonly Error[], random = () => 0.5) {
    const calls: SendEmailCommandInput[] = [];
    const waits: number[] = [];
    const warnings: Record<string, unknown>[] = [];
    const ses = {
      send: async (command: { input: SendEmailCommandInput }) => {
        calls.push(command.input);
        const answer = answers[calls.length - 1];
        if (answer) throw answer;
        return { MessageId: `ses-${calls.length}`, $metadata: { httpStatusCode: 200 } };
      },
    } as unknown as SESv2Client;
    const mailer = new ExportMailer(ses, {
      from: FROM,
      log: { warn: (fields: Record<string, unknown>) => warnings.push(fields) } as unknown as Pick<Logger, 'warn'>,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random,
    });
    return { mailer, calls, waits, warnings };
  }

  it('is sent again after jittered, doubling waits, within the same call of send()', async () => {
    const { mailer, calls, waits, warnings } = mailerAnswering([overRate(), overRate()]);

    await expect(mailer.send(attachmentEmail)).resolves.toEqual({ messageId: 'ses-3' });

    expect(calls).toHaveLength(3);
    // The same email every time.
    expect(calls[2]).toEqual(calls[0]);
    // Halfway between half and all of 0.6 s, then of 1.2 s.
    expect(waits).toEqual([450, 900]);
    expect(warnings.map(({ jobId, call, retryInMs }) => ({ jobId, call, retryInMs }))).toEqual([
      { jobId: 'job-1', call: 1, retryInMs: 450 },
      { jobId: 'job-1', call: 2, retryInMs: 900 },
    ]);
  });

  it('fails as before once its tries are spent, having waited 4.5 to 9 s in all', async () => {
    for (const [random, total] of [
      [() => 0, 4500],
      [() => 0.999_999, 9000],
    ] as const) {
      const { mailer, calls, waits } = mailerAnswering(Array.from({ length: 10 }, overRate), random);

      await expect(mailer.send(linkEmail)).rejects.toBeInstanceOf(TooManyRequestsException);

      expect(calls).toHaveLength(SEND_RATE_RETRY.tries);
      expect(waits).toHaveLength(SEND_RATE_RETRY.tries - 1);
      expect(waits.reduce((sum, ms) => sum + ms, 0)).toBe(total);
    }
  });

  it('draws each wait between half and all of a doubling ceiling', () => {
    expect([2, 3, 4, 5].map((call) => sendRateRetryDelayMs(call, SEND_RATE_RETRY, () => 0))).toEqual([300, 600, 1200, 2400]);
    expect([2, 3, 4, 5].map((call) => sendRateRetryDelayMs(call, SEND_RATE_RETRY, () => 0.999_999))).toEqual([600, 1200, 2400, 4800]);
  });

  it.each([
    ['a lost answer (the email may be on its way)', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a timeout waiting for the answer', Object.assign(new Error('Connection timed out after 6000 ms'), { name: 'TimeoutError' })],
    [
      'the daily quota, which no wait of seconds ends',
      new TooManyRequestsException({ message: 'Daily message quota exceeded.', $metadata: { httpStatusCode: 429 } }),
    ],
    ['a rejected email', new MessageRejected({ message: 'Email address is not verified.', $metadata: { httpStatusCode: 400 } })],
  ])('is never sent again after %s', async (_, error) => {
    const { mailer, calls, waits, warnings } = mailerAnswering([error]);

    await expect(mailer.send(appEmail)).rejects.toBe(error);

    expect(calls).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('is sent again for the failure notice too', async () => {
    const { mailer, calls, warnings } = mailerAnswering([overRate()]);

    await expect(
      mailer.sendNotice({ to: 'member@example.com', subject: 's', text: 't', html: '<p>t</p>', kind: 'export-failed' }),
    ).resolves.toEqual({
      messageId: 'ses-2',
    });

    expect(calls).toHaveLength(2);
    expect(warnings).toEqual([expect.objectContaining({ kind: 'export-failed', call: 1 })]);
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

  it('ends the key in the extension of the job’s format and compression', () => {
    expect(exportFileKey('u-1', 'j-1', { format: 'xlsx', compression: 'none' })).toBe('exports/u-1/j-1.xlsx');
    expect(exportFileKey('u-1', 'j-1', { format: 'jsonl', compression: 'gzip' })).toBe('exports/u-1/j-1.jsonl.gz');
    expect(exportFileKey('u-1', 'j-1', { format: 'csv', compression: 'gzip' })).toBe('exports/u-1/j-1.csv.gz');
  });
});
