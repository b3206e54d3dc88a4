import { escapeHtml } from '@memberships/core/contract';

/**
 * One description of an email's body, rendered twice: as the text part and
 * as the HTML part. Both parts come from the same paragraphs, so they cannot
 * drift apart (a reader whose client shows the text part must learn exactly
 * what the HTML part says). Also the wording both emails share: the date an
 * export was requested and its row count, as the subjects give them.
 */

/** A piece of a paragraph: plain text, emphasised text, or a link shown as its own address. */
export type Inline = string | { readonly strong: string } | { readonly link: string };

export type Block =
  | { readonly paragraph: readonly Inline[] }
  /** The facts a reader may quote to support (file, rows, job id): one per line, a list in HTML. */
  | { readonly facts: readonly string[] };

export interface EmailBody {
  readonly text: string;
  readonly html: string;
}

/**
 * A SHA-256, a job id or a signed link is one word far wider than a phone (375 px): without this
 * the whole email scrolls sideways. Inline on each block and link, because mail clients drop
 * style sheets and often the body's attributes; `overflow-wrap: anywhere` breaks only a word that
 * fits no line, and `word-break: break-word` is the older spelling clients that lack it know.
 */
const WRAP_ANYWHERE = 'overflow-wrap:anywhere;word-break:break-word';

/**
 * The charset, for a client that shows the HTML part outside its MIME part (saved, opened in a
 * browser); the viewport, so a phone's webmail view lays the email out at the phone's width instead
 * of a 980 px desktop page shrunk to fit.
 */
const HEAD = '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">';

export function renderBody(blocks: readonly Block[]): EmailBody {
  const text = blocks
    .map((block) =>
      'facts' in block
        ? block.facts.join('\n')
        : block.paragraph.map((part) => (typeof part === 'string' ? part : 'strong' in part ? part.strong : part.link)).join(''),
    )
    .join('\n\n');
  const html = blocks
    .map((block) =>
      'facts' in block
        ? `<ul style="${WRAP_ANYWHERE}">${block.facts.map((fact) => `<li>${escapeHtml(fact)}</li>`).join('')}</ul>`
        : `<p style="${WRAP_ANYWHERE}">${block.paragraph.map(inlineHtml).join('')}</p>`,
    )
    .join('');
  return { text, html: `<!doctype html><html><head>${HEAD}</head><body style="font-family: sans-serif">${html}</body></html>` };
}

function inlineHtml(part: Inline): string {
  if (typeof part === 'string') return escapeHtml(part);
  if ('strong' in part) return `<strong>${escapeHtml(part.strong)}</strong>`;
  const href = escapeHtml(part.link);
  return `<a href="${href}" style="${WRAP_ANYWHERE}">${href}</a>`;
}

const LONG_DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** The day an export was requested, in UTC, as a person writes it: "1 December 2026". */
export function requestedOn(requestedAt: string | Date): string {
  return LONG_DATE.format(typeof requestedAt === 'string' ? new Date(requestedAt) : requestedAt);
}

/** "0 memberships", "1 membership", "3,013 memberships". */
export function membershipCount(rows: number): string {
  return `${rows.toLocaleString('en-GB')} membership${rows === 1 ? '' : 's'}`;
}
