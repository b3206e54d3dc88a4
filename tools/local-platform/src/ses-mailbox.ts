import { LocalPlatformError } from './errors';
import { waitFor } from './testing/wait';

/**
 * Reading what was "sent" through the SES stand-in (aws-ses-v2-local behind
 * ses-front.ts, which keeps the headers of raw emails, so a test sees
 * List-Unsubscribe as a mailbox would). Its mailbox is shared by every test
 * of a run, so tests pick their emails by recipient (each test user has a
 * unique address): `waitForEmails(ses, (e) => isAddressedTo(e, user.email))`.
 */

/** One stored email as aws-ses-v2-local reports it (`GET /store`). */
export interface SesEmail {
  readonly messageId: string;
  readonly from: string;
  readonly replyTo: readonly string[];
  /** For raw (MIME) emails these come from the message's own headers, e.g. `"Name" <a@b.c>` or `a@b.c`. */
  readonly destination: { readonly to: readonly string[]; readonly cc: readonly string[]; readonly bcc: readonly string[] };
  readonly subject: string;
  readonly body: { readonly text?: string; readonly html?: string };
  readonly attachments: readonly SesAttachment[];
  /**
   * Simple and Template emails: the `Headers` of the request. Raw emails: every header line of the
   * message, in order, with its name as written and its value unfolded (encoded words not decoded).
   */
  readonly headers?: readonly { readonly name: string; readonly value: string }[];
  /** Epoch seconds when it was received. */
  readonly at: number;
}

export interface SesAttachment {
  /** Base64 of the attachment's bytes; see attachmentContent(). */
  readonly content: string;
  readonly contentType: string;
  readonly filename?: string;
  readonly size: number;
}

/** Every email in the mailbox, oldest first; `sinceEpochSeconds` keeps only those received at or after it. */
export async function listEmails(sesEndpoint: string, { sinceEpochSeconds }: { sinceEpochSeconds?: number } = {}): Promise<SesEmail[]> {
  const url = new URL('/store', sesEndpoint);
  if (sinceEpochSeconds !== undefined) url.searchParams.set('since', String(Math.floor(sinceEpochSeconds)));
  const response = await fetch(url);
  if (!response.ok)
    throw new LocalPlatformError('ses_mailbox_unavailable', `GET ${url.toString()} answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { emails?: SesEmail[] };
  return body.emails ?? [];
}

export interface WaitForEmailsOptions {
  /** How many matching emails to wait for. Default 1. */
  readonly count?: number;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Polling interval. Default 100 ms. */
  readonly intervalMs?: number;
}

/**
 * Polls the mailbox until at least `count` emails match, then returns all
 * matching ones (so a test can also assert that no extra email arrived).
 */
export async function waitForEmails(
  sesEndpoint: string,
  predicate: (email: SesEmail) => boolean,
  { count = 1, timeoutMs = 30_000, intervalMs = 100 }: WaitForEmailsOptions = {},
): Promise<SesEmail[]> {
  let matched = 0;
  return waitFor(
    `${count} matching email(s) in the SES mailbox`,
    async () => {
      const matching = (await listEmails(sesEndpoint)).filter(predicate);
      matched = matching.length;
      return matching.length >= count ? matching : undefined;
    },
    { timeoutMs, intervalMs, seen: () => `${matched} matched` },
  );
}

/** Empties the mailbox (for every test of the run: prefer filtering by recipient). */
export async function clearEmails(sesEndpoint: string): Promise<void> {
  const response = await fetch(new URL('/clear-store', sesEndpoint), { method: 'POST' });
  if (!response.ok) throw new LocalPlatformError('ses_mailbox_unavailable', `POST /clear-store answered ${response.status}`);
}

/** Whether `address` is among the To recipients (compared case-insensitively, with or without a display name). */
export function isAddressedTo(email: SesEmail, address: string): boolean {
  const wanted = address.trim().toLowerCase();
  return email.destination.to.some((recipient) =>
    recipient
      .split(',')
      .map((part) => (/<([^>]+)>/.exec(part)?.[1] ?? part).trim().toLowerCase())
      .includes(wanted),
  );
}

/** The attachment's bytes. */
export function attachmentContent(attachment: SesAttachment): Buffer {
  return Buffer.from(attachment.content, 'base64');
}
