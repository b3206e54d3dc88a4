/**
 * The SES stand-in's maximum send rate, seen through the real SDK: over the
 * rate SendEmail fails with the exception AWS raises and the email is not
 * stored; under it every email passes; without a rate nothing is refused.
 */
import { randomUUID } from 'node:crypto';
import { SESv2Client, SendEmailCommand, TooManyRequestsException } from '@aws-sdk/client-sesv2';
import { localClientConfig } from '../aws-clients';
import { isAddressedTo, listEmails } from '../ses-mailbox';
import type { RunningEmulator } from './emulator';
import { startSesLocal } from './ses-local';

const FROM = 'exports@memberships.local';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in with `maxSendRate`, and a client that tries each send once (the SDK's own retry would hide the refusal). */
async function startWithRate(maxSendRate: number): Promise<{ ses: RunningEmulator; client: SESv2Client; lines: string[] }> {
  const lines: string[] = [];
  const ses = await startSesLocal({ maxSendRate, onLine: (line) => lines.push(line) });
  const client = new SESv2Client({
    ...localClientConfig({ region: 'us-east-1', endpoints: { ses: ses.endpoint } }, 'ses'),
    maxAttempts: 1,
  });
  return { ses, client, lines };
}

function send(client: SESv2Client, to: readonly string[]) {
  return client.send(
    new SendEmailCommand({
      FromEmailAddress: FROM,
      Destination: { ToAddresses: [...to] },
      Content: { Simple: { Subject: { Data: 'Your export' }, Body: { Text: { Data: `for ${to.join(', ')}` } } } },
    }),
  );
}

const addresses = (count: number, tag: string) => Array.from({ length: count }, () => `${tag}-${randomUUID()}@example.test`);

describe('SES stand-in with a maximum send rate', () => {
  const running: { ses: RunningEmulator; client: SESv2Client }[] = [];
  afterEach(async () => {
    for (const { client } of running) client.destroy();
    await Promise.all(running.splice(0).map(({ ses }) => ses.stop()));
  });

  it('refuses the sends of a burst over the rate with TooManyRequestsException, and does not store them', async () => {
    const started = await startWithRate(2);
    running.push(started);
    const recipients = addresses(8, 'burst');

    const results = await Promise.allSettled(recipients.map((to) => send(started.client, [to])));

    const accepted = recipients.filter((_, index) => results[index]!.status === 'fulfilled');
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    // Two fit in the bucket; the burst takes milliseconds, a slow machine may let one more refill.
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(accepted.length).toBeLessThanOrEqual(3);
    expect(refused).toHaveLength(recipients.length - accepted.length);
    for (const error of refused) {
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error).toMatchObject({ message: 'Maximum sending rate exceeded.', $metadata: { httpStatusCode: 429 } });
    }
    const stored = await listEmails(started.ses.endpoint);
    for (const to of recipients) {
      expect({ to, stored: stored.filter((email) => isAddressedTo(email, to)).length }).toEqual({
        to,
        stored: accepted.includes(to) ? 1 : 0,
      });
    }
    expect(started.lines.filter((line) => line.startsWith('throttled v2:SendEmail (1 recipient) over 2/s'))).toHaveLength(refused.length);
  });

  it('lets every email through when sent under the rate', async () => {
    const started = await startWithRate(5);
    running.push(started);
    const recipients = addresses(10, 'steady');

    // 4 per second for 2.5 s: a burst never empties the bucket.
    for (const to of recipients) {
      await send(started.client, [to]);
      await sleep(250);
    }

    const stored = await listEmails(started.ses.endpoint);
    for (const to of recipients) expect(stored.filter((email) => isAddressedTo(email, to))).toHaveLength(1);
    expect(started.lines.filter((line) => line.startsWith('throttled'))).toEqual([]);
  });

  it('counts each recipient as one email, as SES does', async () => {
    const started = await startWithRate(3);
    running.push(started);
    const [first, second, third, late] = addresses(4, 'multi') as [string, string, string, string];

    await send(started.client, [first, second, third]);
    await expect(send(started.client, [late])).rejects.toBeInstanceOf(TooManyRequestsException);

    const stored = await listEmails(started.ses.endpoint);
    expect(stored.filter((email) => isAddressedTo(email, late))).toEqual([]);
    expect(stored.filter((email) => isAddressedTo(email, first))).toHaveLength(1);
  });

  it('answers an SES v1 send over the rate as the v1 API does: 400, Throttling', async () => {
    const started = await startWithRate(1);
    running.push(started);
    const sendRaw = (to: string) =>
      fetch(new URL('/', started.ses.endpoint), {
        method: 'POST',
        // aws-ses-v2-local wants an AWS authorization header of any content (the v1 SDK is not installed to sign one).
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          authorization: 'AWS4-HMAC-SHA256 Credential=LOCAL/20260101/us-east-1/ses/aws4_request',
        },
        body: new URLSearchParams({
          Action: 'SendRawEmail',
          Source: FROM,
          'Destinations.member.1': to,
          'RawMessage.Data': Buffer.from(`From: ${FROM}\r\nTo: ${to}\r\nSubject: v1\r\n\r\nHello\r\n`).toString('base64'),
        }),
      });
    const [first, second] = addresses(2, 'v1') as [string, string];

    const accepted = await sendRaw(first);
    const refused = await sendRaw(second);

    expect(accepted.status).toBe(200);
    expect(refused.status).toBe(400);
    const body = await refused.text();
    expect(body).toContain('<Code>Throttling</Code>');
    expect(body).toContain('<Type>Sender</Type>');
    expect(body).toContain('<Message>Maximum sending rate exceeded.</Message>');
    const stored = await listEmails(started.ses.endpoint);
    expect(stored.filter((email) => isAddressedTo(email, second))).toEqual([]);
  });

  it('without a rate (0), refuses nothing', async () => {
    const started = await startWithRate(0);
    running.push(started);
    const recipients = addresses(12, 'unlimited');

    const results = await Promise.allSettled(recipients.map((to) => send(started.client, [to])));

    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const stored = await listEmails(started.ses.endpoint);
    for (const to of recipients) expect(stored.filter((email) => isAddressedTo(email, to))).toHaveLength(1);
  });
});
