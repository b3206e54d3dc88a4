import { createHash } from 'node:crypto';
import { escapeHtml } from '@memberships/core/contract';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_TITLE } from '../../plugins/openapi';

/**
 * The few HTML pages of the API: what a person sees after clicking a link
 * in an email (a problem with a download link, the pause confirmation and
 * its result). Everything else the API says is JSON. A page is one
 * self-contained document: no script, no remote resource, one inline style
 * allowed by its hash in the page's own Content-Security-Policy, and forms
 * that may post only back to the API.
 */

const STYLE =
  'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1a202c;line-height:1.5}' +
  'main{max-width:34rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12)}' +
  'h1{font-size:1.4rem;margin-top:0}p{overflow-wrap:anywhere}code{font-size:.95em;background:#edf2f7;padding:0 .2em;border-radius:3px}' +
  'button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#2f855a;color:#fff;cursor:pointer}' +
  '.ref{color:#4a5568;font-size:.85rem}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src 'sha256-${STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** A part of a paragraph: text, or text shown as code (a command to run). */
export type PagePart = string | { readonly code: string };

export interface Page {
  readonly title: string;
  readonly paragraphs: readonly (readonly PagePart[])[];
  /** A button that posts back to `action` (a path of the API, with its query). */
  readonly form?: { readonly action: string; readonly button: string } | undefined;
  /** Shown small at the end, for support: the request id. */
  readonly reference?: string | undefined;
}

/** Whether the client asked for a page (a browser) rather than JSON (a script). */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\btext\/html\b/i.test(accept) && !/\bapplication\/(problem\+)?json\b/i.test(accept.split(',')[0] ?? '');
}

/**
 * A problem's detail as a paragraph: the details name commands between backticks (as Markdown
 * would), which a page shows as code rather than as backticks.
 */
export function detailParts(detail: string): PagePart[] {
  return detail
    .split(/`([^`]+)`/)
    .map((part, index): PagePart => (index % 2 === 1 ? { code: part } : part))
    .filter((part) => part !== '');
}

export function renderPage(page: Page): string {
  const paragraphs = page.paragraphs.map((parts) => `<p>${parts.map(renderPart).join('')}</p>`).join('');
  const form = page.form
    ? `<form method="post" action="${escapeHtml(page.form.action)}"><button type="submit">${escapeHtml(page.form.button)}</button></form>`
    : '';
  const reference = page.reference ? `<p class="ref">Reference: ${escapeHtml(page.reference)}</p>` : '';
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="robots" content="noindex">' +
    `<title>${escapeHtml(page.title)} · ${escapeHtml(API_TITLE)}</title><style>${STYLE}</style></head>` +
    `<body><main><h1>${escapeHtml(page.title)}</h1>${paragraphs}${form}${reference}</main></body></html>`
  );
}

/** Sends `page` with `status`, with the page's own security headers. */
export function sendPage(reply: FastifyReply, status: number, page: Page): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(renderPage(page));
}

function renderPart(part: PagePart): string {
  return typeof part === 'string' ? escapeHtml(part) : `<code>${escapeHtml(part.code)}</code>`;
}
