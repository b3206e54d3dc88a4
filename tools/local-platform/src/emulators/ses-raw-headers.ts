import { simpleParser } from 'mailparser';

/**
 * The headers of raw (MIME) emails, which aws-ses-v2-local parses but does
 * not store (it keeps `headers` only for Simple and Template emails): read
 * from the raw message as a mail client shows them, and put back into its
 * `GET /store` answer. ses-front.ts calls these; they know nothing of HTTP.
 */

export interface EmailHeader {
  /** As written in the message, e.g. `List-Unsubscribe-Post`. */
  readonly name: string;
  /** Unfolded (RFC 5322 §2.2.3), trimmed, not otherwise decoded: encoded words stay `=?UTF-8?B?…?=`. */
  readonly value: string;
}

/** Every header line of `message`, in order, duplicates included. */
export async function rawEmailHeaders(message: Buffer): Promise<EmailHeader[]> {
  // Only the header block: the body may be a 25 MB attachment the upstream has already parsed once.
  const parsed = await simpleParser(headerBlock(message), { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  return (parsed.headerLines ?? []).flatMap(({ line }) => {
    const colon = line.indexOf(':');
    if (colon <= 0) return [];
    // mailparser hands lines over as binary strings; raw header bytes are UTF-8 when not ASCII (RFC 6532).
    const unfolded = Buffer.from(line, 'latin1')
      .toString('utf8')
      .replace(/\r?\n(?=[ \t])/g, '');
    return [{ name: unfolded.slice(0, colon).trim(), value: unfolded.slice(colon + 1).trim() }];
  });
}

/** The message up to and including the empty line that ends its header. */
function headerBlock(message: Buffer): Buffer {
  if (message[0] === 0x0a || (message[0] === 0x0d && message[1] === 0x0a)) return Buffer.alloc(0);
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return message;
  return message.subarray(0, lf < 0 || (crlf >= 0 && crlf < lf) ? crlf + 4 : lf + 2);
}

/**
 * `GET /store`'s JSON with `headers` filled in for the emails in `known` that
 * have none; `undefined` when nothing changes, so the caller relays
 * upstream's bytes as they are. Re-serialising keeps every other byte: the
 * upstream (Express `res.send`) writes plain `JSON.stringify` output too.
 */
export function storeWithRawHeaders(body: Buffer, known: ReadonlyMap<string, readonly EmailHeader[]>): Buffer | undefined {
  if (known.size === 0) return undefined;
  let store: { emails?: unknown };
  try {
    store = JSON.parse(body.toString('utf8')) as { emails?: unknown };
  } catch {
    return undefined;
  }
  if (!Array.isArray(store.emails)) return undefined;
  let changed = false;
  store.emails = store.emails.map((email: { messageId?: unknown; headers?: unknown }) => {
    const headers = typeof email.messageId === 'string' ? known.get(email.messageId) : undefined;
    if (headers === undefined || email.headers !== undefined) return email;
    changed = true;
    return { ...email, headers };
  });
  return changed ? Buffer.from(JSON.stringify(store), 'utf8') : undefined;
}

/**
 * The raw message of a send request aws-ses-v2-local stores without its
 * headers: SES v2 SendEmail with `Content.Raw.Data` (JSON), or v1
 * SendRawEmail with `RawMessage.Data` (form-encoded). Base64 in both.
 */
export function rawMessageOfRequest(path: string, contentType: string | undefined, body: Buffer): Buffer | undefined {
  let data: unknown;
  try {
    if (path === '/v2/email/outbound-emails') {
      data = (JSON.parse(body.toString('utf8')) as { Content?: { Raw?: { Data?: unknown } } }).Content?.Raw?.Data;
    } else if (path === '/' && contentType?.startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('Action') === 'SendRawEmail') data = form.get('RawMessage.Data');
    }
  } catch {
    return undefined;
  }
  return typeof data === 'string' && data !== '' ? Buffer.from(data, 'base64') : undefined;
}

/** The MessageId of a successful send's answer: JSON for v2, XML for v1. */
export function messageIdOfResponse(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  try {
    const id = (JSON.parse(text) as { MessageId?: unknown }).MessageId;
    if (typeof id === 'string') return id;
  } catch {
    // Not JSON: the v1 XML answer.
  }
  return /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
}
