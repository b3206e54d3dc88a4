import { SendEmailCommand, type SendEmailCommandInput, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ExportFileFacts } from '@memberships/core/contract';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Logger } from 'pino';
import { renderBody, membershipCount, requestedOn, type Block } from './email-body';
import { sendRateExceeded } from './errors';

/**
 * The success email's subject: the day the export was requested (UTC) and
 * what it holds, so a mailbox of monthly exports reads as a list of them.
 * e.g. "Your memberships export of 1 December 2026: 3,013 memberships", and
 * "Your monthly memberships export of ..." for a subscription's.
 */
export function exportEmailSubject(requestedAt: string | Date, rows: number, monthly = false): string {
  return `Your ${monthly ? 'monthly ' : ''}memberships export of ${requestedOn(requestedAt)}: ${membershipCount(rows)}`;
}

/** How a send refused over SES's maximum send rate is sent again within the same attempt. */
export interface SendRateRetry {
  /** SendEmail calls in all, the first one included. */
  readonly tries: number;
  /** Longest wait before the second call; it doubles for each call after. Each wait is drawn between half of it and all of it. */
  readonly firstDelayMs: number;
}

/**
 * At the 1st-of-month peak many lanes send at once and SES refuses what goes
 * over the account's maximum send rate (errors.ts sendRateExceeded). Such an
 * email was certainly not sent, and a moment later it gets through: 5 calls,
 * waiting 0.3–0.6, 0.6–1.2, 1.2–2.4 and 2.4–4.8 s between them (4.5–9 s in
 * all), instead of failing the attempt and running the whole export (COPY,
 * upload) again after RETRY_BASE_DELAY_SECONDS. The jitter spreads lanes
 * refused in the same second over the next ones. Still refused after that,
 * the attempt fails as before. AWS's advice (exponential backoff):
 * https://aws.amazon.com/blogs/messaging-and-targeting/how-to-handle-a-throttling-maximum-sending-rate-exceeded-error/
 */
export const SEND_RATE_RETRY: SendRateRetry = Object.freeze({ tries: 5, firstDelayMs: 600 });

/** The wait before SendEmail call `call` (2, 3, …) of one email; `random` in [0, 1). */
export function sendRateRetryDelayMs(call: number, retry: SendRateRetry = SEND_RATE_RETRY, random: () => number = Math.random): number {
  const longest = retry.firstDelayMs * 2 ** (call - 2);
  return Math.round(longest / 2 + random() * (longest / 2));
}

export interface ExportMailerOptions {
  /** Verified SES identity the email comes from. */
  readonly from: string;
  /** SES configuration set (event publishing, dedicated IPs); optional. */
  readonly configurationSet?: string | undefined;
  /** Where a send refused over the maximum send rate, and sent again, is logged (warn). Default: not logged. */
  readonly log?: Pick<Logger, 'warn'> | undefined;
  /** Default SEND_RATE_RETRY. */
  readonly sendRateRetry?: SendRateRetry | undefined;
  /** How the mailer waits between calls, and draws the jitter (tests replace them). Default setTimeout, Math.random. */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly random?: (() => number) | undefined;
}

/** A monthly subscription's export: the email says so and carries the one-click pause link. */
export interface MonthlyExport {
  readonly scheduleId: string;
  /** Signed pause link (email-links.ts): in the body and in the List-Unsubscribe header. */
  readonly pauseUrl: string;
}

interface ExportEmailBase {
  /** The account's own address; nothing else is ever passed here. */
  readonly to: string;
  readonly jobId: string;
  readonly file: ExportFileFacts;
  /** Name the user sees for the file: exportFileName(job), the name the API's download gives it too. */
  readonly fileName: string;
  /** When the job was requested (its createdAt): the date the subject names. */
  readonly requestedAt: string;
  readonly monthly?: MonthlyExport | undefined;
}

export interface AttachmentEmail extends ExportEmailBase {
  readonly method: 'attachment';
  readonly content: Buffer;
}

export interface LinkEmail extends ExportEmailBase {
  readonly method: 'link';
  /** The signed link to the API (email-links.ts), valid while the file is kept. */
  readonly downloadUrl: string;
  readonly linkExpiresAt: Date;
}

/** Too large to attach, and the account turned emailed links off: the email says where to download it. */
export interface AppEmail extends ExportEmailBase {
  readonly method: 'app';
  /** When the file is deleted. */
  readonly fileExpiresAt: Date;
}

export type ExportEmail = AttachmentEmail | LinkEmail | AppEmail;

export interface SentEmail {
  /** SES message id. */
  readonly messageId: string | undefined;
}

/**
 * Sends the "export ready" email through SES v2 as a raw MIME message (built
 * by nodemailer's MailComposer): a small file attached, a large one as a
 * signed link; a monthly export's message carries the RFC 8058 one-click
 * unsubscribe headers, which pause the subscription. A send refused over
 * SES's maximum send rate is sent again (SEND_RATE_RETRY); no other failure
 * is: one whose answer was lost may have been delivered.
 */
export class ExportMailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly options: ExportMailerOptions,
  ) {}

  async send(email: ExportEmail): Promise<SentEmail> {
    const body = renderExportEmail(email);
    const mime = await new MailComposer({
      from: this.options.from,
      to: email.to,
      subject: exportEmailSubject(email.requestedAt, email.file.rows, email.monthly !== undefined),
      text: body.text,
      html: body.html,
      ...(email.method === 'attachment'
        ? { attachments: [{ filename: email.fileName, content: email.content, contentType: email.file.contentType }] }
        : {}),
      // RFC 8058: a mail client offers "unsubscribe" and POSTs `List-Unsubscribe=One-Click` to the HTTPS URL.
      // Both headers must be covered by the DKIM signature, which SES's Easy DKIM signs.
      ...(email.monthly
        ? { headers: { 'List-Unsubscribe': `<${email.monthly.pauseUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
        : {}),
    })
      .compile()
      .build();
    return this.sendEmail(
      {
        FromEmailAddress: this.options.from,
        Destination: { ToAddresses: [email.to] },
        ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        EmailTags: [{ Name: 'kind', Value: 'export-ready' }],
        Content: { Raw: { Data: mime } },
      },
      { jobId: email.jobId, kind: 'export-ready' },
    );
  }

  /**
   * Sends an already rendered email that carries no file (the failure
   * notice, failure-notice.ts), tagged with its `kind`.
   */
  async sendNotice(email: { to: string; subject: string; text: string; html: string; kind: string }): Promise<SentEmail> {
    return this.sendEmail(
      {
        FromEmailAddress: this.options.from,
        Destination: { ToAddresses: [email.to] },
        ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        EmailTags: [{ Name: 'kind', Value: email.kind }],
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
          },
        },
      },
      { kind: email.kind },
    );
  }

  /** One email: SendEmail, called again only while SES refuses it over the maximum send rate (so it was not sent). */
  private async sendEmail(input: SendEmailCommandInput, about: { jobId?: string; kind: string }): Promise<SentEmail> {
    const retry = this.options.sendRateRetry ?? SEND_RATE_RETRY;
    for (let call = 1; ; call += 1) {
      try {
        const result = await this.ses.send(new SendEmailCommand(input));
        return { messageId: result.MessageId };
      } catch (error) {
        if (call >= retry.tries || !sendRateExceeded(error)) throw error;
        const retryInMs = sendRateRetryDelayMs(call + 1, retry, this.options.random);
        this.options.log?.warn(
          { ...about, call, retryInMs, err: error },
          'SES refused the email over the maximum send rate (not sent); sending it again',
        );
        await (this.options.sleep ?? sleep)(retryInMs);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RenderedEmail {
  readonly text: string;
  readonly html: string;
}

/** The email's text and HTML bodies: the same paragraphs and facts in both (email-body.ts). */
export function renderExportEmail(email: ExportEmail): RenderedEmail {
  const rows = membershipCount(email.file.rows);
  const facts: Block = {
    facts: [
      `File: ${email.fileName}`,
      `Rows: ${email.file.rows}`,
      `Size: ${formatBytes(email.file.bytes)} (${email.file.bytes} bytes)`,
      `SHA-256: ${email.file.sha256}`,
      `Export job: ${email.jobId}`,
    ],
  };
  const warning: Block = {
    paragraph: [
      'You did not ask for this export? Someone may have access to your account: please contact support and quote the export job above.',
    ],
  };
  const hello: Block = { paragraph: ['Hello,'] };
  const monthly: Block[] = email.monthly
    ? [
        {
          paragraph: [
            'This is your monthly export: it is made and emailed to you every month by your subscription ',
            { strong: email.monthly.scheduleId },
            '. To pause it, open this link:',
          ],
        },
        { paragraph: [{ link: email.monthly.pauseUrl }] },
        { paragraph: ['or run: ', { strong: `memberships schedule pause ${email.monthly.scheduleId}` }] },
      ]
    : [];
  const ready = `your ${email.monthly ? 'monthly ' : ''}memberships export is ready: ${rows}`;
  if (email.method === 'attachment') {
    return renderBody([
      hello,
      { paragraph: [`${ready}, attached to this email as `, { strong: email.fileName }, '.'] },
      facts,
      ...monthly,
      warning,
    ]);
  }
  const download: Block[] =
    email.method === 'link'
      ? [
          { paragraph: [`${ready}. The file is too large to attach; download it here:`] },
          { paragraph: [{ link: email.downloadUrl }] },
          {
            paragraph: [
              `The link works until ${utc(email.linkExpiresAt)} (UTC), as long as the file is kept. `,
              'Each download is recorded on the export, and you can turn the link off in the app.',
            ],
          },
        ]
      : [
          {
            paragraph: [
              `${ready}. The file is too large to attach, and download links in emails are turned off for your account. `,
              'Download it in the app, or run:',
            ],
          },
          { paragraph: [{ strong: `memberships exports download ${email.jobId}` }] },
          { paragraph: [`The file is kept until ${utc(email.fileExpiresAt)} (UTC).`] },
        ];
  return renderBody([hello, ...download, facts, ...monthly, warning]);
}

function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
