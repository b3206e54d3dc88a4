import { randomBytes, randomUUID } from 'node:crypto';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { localClientConfig } from './aws-clients';
import { startSesLocal } from './emulators/ses-local';
import type { RunningEmulator } from './emulators/emulator';
import { WaitTimeoutError } from './errors';
import { attachmentContent, clearEmails, isAddressedTo, listEmails, waitForEmails } from './ses-mailbox';

const CSV = 'id,club_name,notes\r\n1,"Smith, Jones","said ""hi""\nnext line"\r\n2,東京,💪 ü\r\n';

/** A MIME message as a mailer would build it: text body plus a base64 CSV attachment, `extraHeaders` after Subject. */
function rawEmail(to: string, subject: string, extraHeaders: readonly string[] = []): Buffer {
  const boundary = `b-${randomUUID()}`;
  const base64 = Buffer.from(CSV, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Memberships <exports@memberships.local>',
      `To: Member <${to}>`,
      `Subject: =?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`,
      ...extraHeaders,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Your export is attached.',
      `--${boundary}`,
      'Content-Type: text/csv; charset=utf-8; name="memberships-2026-01-01.csv"',
      'Content-Disposition: attachment; filename="memberships-2026-01-01.csv"',
      'Content-Transfer-Encoding: base64',
      '',
      base64,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

describe('SES mailbox', () => {
  // A mailbox of its own, so clearing it cannot disturb other suites' emails.
  let ses: RunningEmulator;
  let client: SESv2Client;

  beforeAll(async () => {
    ses = await startSesLocal();
    client = new SESv2Client(localClientConfig({ region: 'us-east-1', endpoints: { ses: ses.endpoint } }, 'ses'));
  });

  afterAll(async () => {
    client.destroy();
    await ses.stop();
  });

  it('reads back a raw MIME email with its attachment, sent with the SES v2 SDK', async () => {
    const to = `member-${randomUUID()}@example.test`;
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'exports@memberships.local',
        Destination: { ToAddresses: [to] },
        Content: { Raw: { Data: rawEmail(to, 'Your memberships export of 1 December 2026: 3,013 memberships ✓') } },
      }),
    );

    const [email, ...others] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to));
    expect(others).toEqual([]);
    expect(email).toMatchObject({
      messageId: sent.MessageId,
      subject: 'Your memberships export of 1 December 2026: 3,013 memberships ✓',
      from: expect.stringContaining('exports@memberships.local'),
    });
    expect(email!.body.text?.trim()).toBe('Your export is attached.');
    expect(email!.attachments).toHaveLength(1);
    const [attachment] = email!.attachments;
    expect(attachment).toMatchObject({ filename: 'memberships-2026-01-01.csv', contentType: 'text/csv' });
    expect(attachmentContent(attachment!).toString('utf8')).toBe(CSV);
  });

  it('reads back the headers of a raw email as written, folded ones unfolded', async () => {
    const to = `headers-${randomUUID()}@example.test`;
    const unsubscribe = `<https://api.example.test/v1/links/unsubscribe?token=${'t'.repeat(120)}>`;
    const sent = await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'exports@memberships.local',
        Destination: { ToAddresses: [to] },
        Content: {
          Raw: {
            Data: rawEmail(to, 'Monthly export', [
              // Folded as a mailer folds a long line (RFC 5322 §2.2.3).
              `List-Unsubscribe: <mailto:unsubscribe@memberships.local?subject=stop>,\r\n ${unsubscribe}`,
              'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
              'X-Export-Job: job-1',
              'x-export-job: job-2',
            ]),
          },
        },
      }),
    );

    const [email] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to));
    expect(email!.messageId).toBe(sent.MessageId);
    expect(email!.headers).toEqual([
      { name: 'From', value: 'Memberships <exports@memberships.local>' },
      { name: 'To', value: `Member <${to}>` },
      { name: 'Subject', value: `=?UTF-8?B?${Buffer.from('Monthly export', 'utf8').toString('base64')}?=` },
      { name: 'List-Unsubscribe', value: `<mailto:unsubscribe@memberships.local?subject=stop>, ${unsubscribe}` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      { name: 'X-Export-Job', value: 'job-1' },
      { name: 'x-export-job', value: 'job-2' },
      { name: 'MIME-Version', value: '1.0' },
      { name: 'Content-Type', value: expect.stringMatching(/^multipart\/mixed; boundary="b-/) },
    ]);
    // The rest of the stored email is upstream's, untouched.
    expect(attachmentContent(email!.attachments[0]!).toString('utf8')).toBe(CSV);
    // `since` is upstream's filter, passed through.
    const since = await listEmails(ses.endpoint, { sinceEpochSeconds: email!.at });
    expect(since.find((candidate) => candidate.messageId === sent.MessageId)?.headers).toEqual(email!.headers);
  });

  it('passes a raw email with a 12 MB attachment through and keeps its headers', async () => {
    const to = `large-${randomUUID()}@example.test`;
    const attachment = randomBytes(12 * 1024 * 1024);
    const boundary = `b-${randomUUID()}`;
    const message = Buffer.concat([
      Buffer.from(
        [
          'From: exports@memberships.local',
          `To: ${to}`,
          'Subject: Large export',
          'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          `--${boundary}`,
          'Content-Type: application/octet-stream; name="export.bin"',
          'Content-Transfer-Encoding: base64',
          '',
          '',
        ].join('\r\n'),
      ),
      Buffer.from(attachment.toString('base64').replace(/.{76}/g, '$&\r\n')),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'exports@memberships.local',
        Destination: { ToAddresses: [to] },
        Content: { Raw: { Data: message } },
      }),
    );
    const [email] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to));
    expect(email!.headers).toContainEqual({ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' });
    expect(attachmentContent(email!.attachments[0]!).equals(attachment)).toBe(true);
  });

  it('reads back the headers of a raw email sent with SES v1 SendRawEmail', async () => {
    const to = `v1-${randomUUID()}@example.test`;
    // No SES v1 SDK client is installed (the services use v2): its form-encoded request by hand.
    // aws-ses-v2-local only looks for an AWS Authorization header, it checks no signature.
    const response = await fetch(new URL('/', ses.endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=LOCALOPERATOR/20260101/us-east-1/ses/aws4_request',
      },
      body: new URLSearchParams({
        Action: 'SendRawEmail',
        Version: '2010-12-01',
        'RawMessage.Data': rawEmail(to, 'Via v1', ['List-Unsubscribe: <https://example.test/u>']).toString('base64'),
      }),
    });
    expect(response.status).toBe(200);
    const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(await response.text())?.[1];
    const [email] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to));
    expect(email!.messageId).toBe(messageId);
    expect(email!.headers).toContainEqual({ name: 'List-Unsubscribe', value: '<https://example.test/u>' });
  });

  it('serves the mailbox web UI', async () => {
    const response = await fetch(new URL('/', ses.endpoint));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<html/i);
  });

  it('reads back a simple email', async () => {
    const to = `simple-${randomUUID()}@example.test`;
    await client.send(
      new SendEmailCommand({
        FromEmailAddress: 'exports@memberships.local',
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: {
            Subject: { Data: 'Download link' },
            Body: { Text: { Data: 'https://example.test/file' }, Html: { Data: '<a href="https://example.test/file">file</a>' } },
            Headers: [{ Name: 'List-Unsubscribe', Value: '<https://example.test/unsubscribe>' }],
          },
        },
      }),
    );
    const [email] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to.toUpperCase()));
    expect(email).toMatchObject({
      subject: 'Download link',
      body: { text: 'https://example.test/file', html: expect.stringContaining('href') },
      attachments: [],
      headers: [{ name: 'List-Unsubscribe', value: '<https://example.test/unsubscribe>' }],
    });
  });

  it('fails with a clear error when the expected emails do not arrive', async () => {
    const attempt = waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, 'nobody@example.test'), { timeoutMs: 300 });
    await expect(attempt).rejects.toThrow(WaitTimeoutError);
    await expect(attempt).rejects.toThrow(/1 matching email\(s\).*0 matched/);
  });

  it('clears the mailbox', async () => {
    expect((await listEmails(ses.endpoint)).length).toBeGreaterThan(0);
    await clearEmails(ses.endpoint);
    await expect(listEmails(ses.endpoint)).resolves.toEqual([]);
  });
});
