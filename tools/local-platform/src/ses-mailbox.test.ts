import { randomUUID } from 'node:crypto';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { localClientConfig } from './aws-clients';
import { startSesLocal } from './emulators/ses-local';
import type { RunningEmulator } from './emulators/emulator';
import { WaitTimeoutError } from './errors';
import { attachmentContent, clearEmails, isAddressedTo, listEmails, waitForEmails } from './ses-mailbox';

const CSV = 'id,club_name,notes\r\n1,"Smith, Jones","said ""hi""\nnext line"\r\n2,東京,💪 ü\r\n';

/** A MIME message as a mailer would build it: text body plus a base64 CSV attachment. */
function rawEmail(to: string, subject: string): Buffer {
  const boundary = `b-${randomUUID()}`;
  const base64 = Buffer.from(CSV, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Memberships <exports@memberships.local>',
      `To: Member <${to}>`,
      `Subject: =?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`,
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
          },
        },
      }),
    );
    const [email] = await waitForEmails(ses.endpoint, (candidate) => isAddressedTo(candidate, to.toUpperCase()));
    expect(email).toMatchObject({
      subject: 'Download link',
      body: { text: 'https://example.test/file', html: expect.stringContaining('href') },
      attachments: [],
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
