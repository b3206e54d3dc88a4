import type { LookupFunction } from 'node:net';
import { SIGNATURE_HEADER } from '@memberships/core/contract';
import { signatureHeader, type EndpointAddressPolicy } from '@memberships/core/webhooks';
import { Agent, request } from 'undici';

/**
 * One webhook attempt, made so that the receiver's URL cannot reach into the
 * platform's network (address-policy.ts, checked again now: what a name
 * resolves to changes) and a receiver cannot hold a lane:
 * - the name is resolved ONCE, by the policy; the connection goes to exactly
 *   the address it checked (the agent's `lookup` answers with it and nothing
 *   else), so a second answer of a rebinding DNS server is never asked for;
 *   the TLS server name and the Host header stay the URL's host, so
 *   certificates are checked as usual;
 * - redirects are not followed (undici's request follows none without its
 *   redirect interceptor): a 3xx is a failure, `redirect_not_followed`, since
 *   its Location is an address nobody checked;
 * - one deadline (WEBHOOK_TIMEOUT_MS) for connecting, the headers and the
 *   body; of the body at most 4 KB is read, then the connection is dropped
 *   (the status is the answer: a receiver streaming gigabytes gets nowhere);
 * - an agent per attempt, destroyed after it: no pooled connection outlives
 *   the address it was checked for.
 */

/** Most bytes of a response body read; the rest is never received. */
export const MAX_RESPONSE_BYTES = 4096;
export const WEBHOOK_USER_AGENT = 'memberships-webhooks/1';

export interface WebhookRequest {
  readonly url: string;
  /** The exact body, as stored on the delivery. */
  readonly payload: string;
  /** Current secret first, then the previous one while it is valid. */
  readonly secrets: readonly string[];
  readonly eventId: string;
  readonly eventType: string;
  readonly deliveryId: string;
}

export interface AttemptOutcome {
  /** A 2xx answer. */
  readonly delivered: boolean;
  /** The receiver's status; null when there was no answer. */
  readonly responseStatus: number | null;
  readonly durationMs: number;
  /** Why it failed: a refusal code (`address_refused`, `dns_failed`, ...), `timeout`, `connection_failed`, `redirect_not_followed`, `http_<status>`. */
  readonly error?: string;
}

export interface WebhookSenderOptions {
  readonly policy: Pick<EndpointAddressPolicy, 'check'>;
  /** WEBHOOK_TIMEOUT_MS. */
  readonly timeoutMs: number;
  readonly now?: () => Date;
}

export class WebhookSender {
  private readonly now: () => Date;

  constructor(private readonly options: WebhookSenderOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** One attempt; never throws (every failure is an outcome). */
  async send(webhook: WebhookRequest): Promise<AttemptOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const check = await this.options.policy.check(webhook.url);
    if (!check.ok) return { delivered: false, responseStatus: null, durationMs: elapsed(), error: check.code };
    const agent = new Agent({
      connections: 1,
      pipelining: 0,
      connect: { lookup: pinnedLookup(check.address, check.family), timeout: this.options.timeoutMs },
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    const t = Math.floor(this.now().getTime() / 1000);
    try {
      const response = await request(check.url, {
        method: 'POST',
        dispatcher: agent,
        signal: deadline,
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          'memberships-event-id': webhook.eventId,
          'memberships-event-type': webhook.eventType,
          'memberships-delivery-id': webhook.deliveryId,
          [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(webhook.payload, webhook.secrets, t),
        },
        body: webhook.payload,
      });
      await readAtMost(response.body, MAX_RESPONSE_BYTES);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { delivered: true, responseStatus: status, durationMs: elapsed() };
      const error = status >= 300 && status < 400 ? 'redirect_not_followed' : `http_${status}`;
      return { delivered: false, responseStatus: status, durationMs: elapsed(), error };
    } catch (error) {
      return { delivered: false, responseStatus: null, durationMs: elapsed(), error: failureCode(error, deadline) };
    } finally {
      // Drops the connection whatever state it is in (a body left unread included).
      agent.destroy().catch(() => undefined);
    }
  }
}

/** A `lookup` for net/tls.connect that answers every name with the one checked address. */
function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    // With autoSelectFamily (Node's default) the socket asks for all addresses at once.
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

/** Reads up to `limit` bytes of `body`, then stops (destroying the stream ends the request). */
async function readAtMost(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read >= limit) break;
  }
  body.destroy();
}

function failureCode(error: unknown, deadline: AbortSignal): string {
  const code = (error as { code?: unknown }).code;
  if (deadline.aborted || (typeof code === 'string' && code.endsWith('_TIMEOUT'))) return 'timeout';
  if (typeof code === 'string' && /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return 'tls_failed';
  return 'connection_failed';
}
