import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';

/**
 * The account's maximum send rate, as SES enforces it: emails per second,
 * each recipient counting as one email ("Managing your Amazon SES sending
 * limits"). Over it SES drops the email and answers with a throttling error
 * (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html).
 * A token bucket: it holds up to one second's worth (at least one email) and
 * refills continuously, so a short burst up to the rate passes and a
 * sustained rate above it does not. A refused send takes nothing from it.
 */
export class SendRateLimiter {
  private tokens: number;
  private updatedAt: number;
  private readonly capacity: number;

  constructor(
    /** Emails per second; more than 0. */
    readonly maxSendRate: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(maxSendRate > 0) || !Number.isFinite(maxSendRate))
      throw new RangeError(`maxSendRate must be a positive number, not ${maxSendRate}`);
    this.capacity = Math.max(1, maxSendRate);
    this.tokens = this.capacity;
    this.updatedAt = this.now();
  }

  /** True, and counted, when `emails` more fit within the rate now; false (nothing counted) when they do not. */
  tryTake(emails: number): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.maxSendRate);
    this.updatedAt = now;
    if (emails > this.tokens) return false;
    this.tokens -= emails;
    return true;
  }
}

/** The send operations a maximum send rate applies to, by the request that names them. */
export type SendOperation = 'v2:SendEmail' | 'v1:SendEmail' | 'v1:SendRawEmail';

/**
 * Which send a request is, and to how many recipients, or undefined when it
 * is no send (v1's other actions share `POST /`). The count is the
 * request's Destination (To, Cc, Bcc); a raw email without one counts as a
 * single recipient (ours always name theirs).
 */
export function sendOfRequest(
  path: string,
  contentType: string | undefined,
  body: Buffer,
): { readonly operation: SendOperation; readonly recipients: number } | undefined {
  if (path === '/v2/email/outbound-emails') {
    let destination: Record<string, unknown> | undefined;
    try {
      destination = (JSON.parse(body.toString('utf8')) as { Destination?: Record<string, unknown> }).Destination;
    } catch {
      // Upstream answers the malformed request; it is still a send attempt.
    }
    const count = ['ToAddresses', 'CcAddresses', 'BccAddresses'].reduce((sum, field) => {
      const addresses = destination?.[field];
      return sum + (Array.isArray(addresses) ? addresses.length : 0);
    }, 0);
    return { operation: 'v2:SendEmail', recipients: Math.max(1, count) };
  }
  if (path === '/' && contentType?.startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action');
    if (action !== 'SendEmail' && action !== 'SendRawEmail') return undefined;
    // v1 lists them as Destination.ToAddresses.member.1 (SendEmail) or Destinations.member.1 (SendRawEmail).
    const count = [...form.keys()].filter((key) => /^(Destination\.(To|Cc|Bcc)Addresses|Destinations)\.member\.\d+$/.test(key)).length;
    return { operation: `v1:${action}`, recipients: Math.max(1, count) };
  }
  return undefined;
}

/** SES's words for it, in both APIs. */
export const MAX_SEND_RATE_EXCEEDED = 'Maximum sending rate exceeded.';

/**
 * SES's answer to a send over the rate, so the real SDK raises what it
 * raises in AWS. SES v2 (REST-JSON): 429, `x-amzn-ErrorType:
 * TooManyRequestsException`, `{"message": …}`; the SDK throws its
 * TooManyRequestsException (SendEmail's documented errors:
 * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors).
 * SES v1 (Query): 400 with an XML ErrorResponse of code `Throttling`, type
 * `Sender` (https://aws.amazon.com/blogs/messaging-and-targeting/how-to-handle-a-throttling-maximum-sending-rate-exceeded-error/).
 */
export function throttledAnswer(operation: SendOperation): { status: number; headers: OutgoingHttpHeaders; body: Buffer } {
  const requestId = randomUUID();
  if (operation === 'v2:SendEmail') {
    const body = Buffer.from(JSON.stringify({ message: MAX_SEND_RATE_EXCEEDED }), 'utf8');
    return {
      status: 429,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': 'TooManyRequestsException',
        'x-amzn-requestid': requestId,
        'content-length': String(body.length),
      },
      body,
    };
  }
  const body = Buffer.from(
    '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">\n' +
      `  <Error>\n    <Type>Sender</Type>\n    <Code>Throttling</Code>\n    <Message>${MAX_SEND_RATE_EXCEEDED}</Message>\n  </Error>\n` +
      `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    'utf8',
  );
  return {
    status: 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': String(body.length) },
    body,
  };
}
