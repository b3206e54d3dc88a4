import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { ExportFileFacts } from '@memberships/core/contract';
import MailComposer from 'nodemailer/lib/mail-composer';
import { CSV_CONTENT_TYPE } from './csv-export';

export const EXPORT_EMAIL_SUBJECT = 'Your memberships export is ready';

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
        subject: EXPORT_EMAIL_SUBJECT,
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
            Subject: { Data: EXPORT_EMAIL_SUBJECT, Charset: 'UTF-8' },
            Body: { Text: { Data: body.text, Charset: 'UTF-8' }, Html: { Data: body.html, Charset: 'UTF-8' } },
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

/** The email's text and HTML bodies. */
export function renderExportEmail(email: ExportEmail): RenderedEmail {
  const rows = `${email.file.rows.toLocaleString('en-US')} membership${email.file.rows === 1 ? '' : 's'}`;
  const facts = [
    `File: ${email.fileName}`,
    `Rows: ${email.file.rows}`,
    `Size: ${formatBytes(email.file.bytes)} (${email.file.bytes} bytes)`,
    `SHA-256: ${email.file.sha256}`,
    `Export job: ${email.jobId}`,
  ];
  if (email.method === 'attachment') {
    const text = textBody([`your memberships export is ready: ${rows}, attached to this email as ${email.fileName}.`], facts);
    const html = page(
      `<p>Hello,</p><p>your memberships export is ready: ${escapeHtml(rows)}, attached to this email as ` +
        `<strong>${escapeHtml(email.fileName)}</strong>.</p>${factList(facts)}`,
    );
    return { text, html };
  }
  const expires = email.linkExpiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const text = textBody(
    [
      `your memberships export is ready: ${rows}. The file is too large to attach; download it here:`,
      '',
      email.downloadUrl,
      '',
      `The link works until ${expires} (UTC). After that, request a new export or download it from the app.`,
    ],
    facts,
  );
  const html = page(
    `<p>Hello,</p><p>your memberships export is ready: ${escapeHtml(rows)}. The file is too large to attach.</p>` +
      `<p><a href="${escapeHtml(email.downloadUrl)}">Download ${escapeHtml(email.fileName)}</a></p>` +
      `<p>The link works until ${escapeHtml(expires)} (UTC).</p>${factList(facts)}`,
  );
  return { text, html };
}

/** The plain-text body: greeting, what this email is about, the file's facts, and the warning every export email ends with. */
function textBody(message: string[], facts: string[]): string {
  return [
    'Hello,',
    '',
    ...message,
    '',
    ...facts,
    '',
    'You did not ask for this export? Someone may have access to your account: change your password.',
  ].join('\n');
}

function page(content: string): string {
  return `<!doctype html><html><body style="font-family: sans-serif">${content}</body></html>`;
}

function factList(facts: string[]): string {
  return `<ul>${facts.map((fact) => `<li>${escapeHtml(fact)}</li>`).join('')}</ul>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
