import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ExportFileFacts } from '@memberships/core/contract';
import MailComposer from 'nodemailer/lib/mail-composer';
import { CSV_CONTENT_TYPE } from './csv-export';
import { renderBody, membershipCount, requestedOn, type Block } from './email-body';

/**
 * The success email's subject: the day the export was requested (UTC) and
 * what it holds, so a mailbox of monthly exports reads as a list of them.
 * e.g. "Your memberships export of 1 December 2026: 3,013 memberships".
 */
export function exportEmailSubject(requestedAt: string | Date, rows: number): string {
  return `Your memberships export of ${requestedOn(requestedAt)}: ${membershipCount(rows)}`;
}

export interface ExportMailerOptions {
  /** Verified SES identity the email comes from. */
  readonly from: string;
  /** SES configuration set (event publishing, dedicated IPs); optional. */
  readonly configurationSet?: string | undefined;
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
}

export interface AttachmentEmail extends ExportEmailBase {
  readonly method: 'attachment';
  readonly content: Buffer;
}

export interface LinkEmail extends ExportEmailBase {
  readonly method: 'link';
  readonly downloadUrl: string;
  readonly linkExpiresAt: Date;
}

export type ExportEmail = AttachmentEmail | LinkEmail;

export interface SentEmail {
  /** SES message id. */
  readonly messageId: string | undefined;
}

/**
 * Sends the "export ready" email through SES v2: a small file goes as an
 * attachment in a raw MIME message (built by nodemailer's MailComposer), a
 * large one as a short-lived download link in a simple message.
 */
export class ExportMailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly options: ExportMailerOptions,
  ) {}

  async send(email: ExportEmail): Promise<SentEmail> {
    const body = renderExportEmail(email);
    const subject = exportEmailSubject(email.requestedAt, email.file.rows);
    const common = {
      FromEmailAddress: this.options.from,
      Destination: { ToAddresses: [email.to] },
      ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
      EmailTags: [{ Name: 'kind', Value: 'export-ready' }],
    };
    if (email.method === 'attachment') {
      const mime = await new MailComposer({
        from: this.options.from,
        to: email.to,
        subject,
        text: body.text,
        html: body.html,
        attachments: [{ filename: email.fileName, content: email.content, contentType: CSV_CONTENT_TYPE }],
      })
        .compile()
        .build();
      const result = await this.ses.send(new SendEmailCommand({ ...common, Content: { Raw: { Data: mime } } }));
      return { messageId: result.MessageId };
    }
    const result = await this.ses.send(
      new SendEmailCommand({
        ...common,
        Content: {
          Simple: {
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: { Text: { Data: body.text, Charset: 'UTF-8' }, Html: { Data: body.html, Charset: 'UTF-8' } },
          },
        },
      }),
    );
    return { messageId: result.MessageId };
  }

  /**
   * Sends an already rendered email that carries no file (the failure
   * notice, failure-notice.ts), tagged with its `kind`.
   */
  async sendNotice(email: { to: string; subject: string; text: string; html: string; kind: string }): Promise<SentEmail> {
    const result = await this.ses.send(
      new SendEmailCommand({
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
      }),
    );
    return { messageId: result.MessageId };
  }
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
  if (email.method === 'attachment') {
    return renderBody([
      hello,
      { paragraph: [`your memberships export is ready: ${rows}, attached to this email as `, { strong: email.fileName }, '.'] },
      facts,
      warning,
    ]);
  }
  const expires = email.linkExpiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return renderBody([
    hello,
    { paragraph: [`your memberships export is ready: ${rows}. The file is too large to attach; download it here:`] },
    { paragraph: [{ link: email.downloadUrl }] },
    { paragraph: [`The link works until ${expires} (UTC). After that, request a new export or download it from the app.`] },
    facts,
    warning,
  ]);
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
