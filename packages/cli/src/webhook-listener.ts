import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature, WEBHOOK_SIGNATURE_HEADER, WebhookSignatureError, type WebhookEvent } from '@memberships/sdk';

/**
 * The receiving end of `memberships webhooks listen`: an HTTP server on
 * 127.0.0.1 that takes every POST, checks its signature with the SDK's
 * verifyWebhookSignature (what a user's own receiver does), reports it, and
 * answers, or relays it unchanged to a receiver under development
 * (`--forward-to`) and answers with that one's status. Knows nothing of the
 * API: the command registers the endpoint and hands over its secret.
 */

/** A delivery is a few kB; a request larger than this is not one of the platform's. */
const MAX_BODY_BYTES = 1024 * 1024;
/** How long a --forward-to receiver gets to answer, below the platform's own timeout (5 s) so its answer still arrives. */
const FORWARD_TIMEOUT_MS = 4_000;
/** The headers a forwarded request keeps: what a receiver reads (its signature and the event's ids). */
const FORWARDED_HEADERS = [
  'content-type',
  'user-agent',
  'memberships-signature',
  'memberships-event-id',
  'memberships-event-type',
  'memberships-delivery-id',
];

export interface ReceivedRequest {
  /** When it arrived, by this machine's clock. */
  readonly at: Date;
  /** The body exactly as received. */
  readonly body: Buffer;
  readonly verified: boolean;
  /** The verified event, or as much of the body as parsed when it was not verified. */
  readonly event: Partial<WebhookEvent> | undefined;
  /** Why it was not verified: a WebhookSignatureError code (`signature_mismatch`, ...), `no_secret_yet`. */
  readonly problem?: string | undefined;
  /** The --forward-to receiver's status, or its failure (`timeout`, `connection_failed`). */
  readonly forwarded?: number | string | undefined;
}

export interface WebhookListenerOptions {
  /** 0: any free port. */
  readonly port: number;
  /** Relay each request here (body and signature headers unchanged) and answer with its status. */
  readonly forwardTo?: URL | undefined;
  /** Called for every request after it was answered. */
  readonly onRequest: (received: ReceivedRequest) => void;
  readonly fetch?: typeof globalThis.fetch;
}

export interface WebhookListener {
  readonly port: number;
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The secrets requests are verified with; set once the endpoint exists (until then every request is UNVERIFIED). */
  useSecrets(secrets: readonly string[]): void;
  close(): Promise<void>;
}

export async function startWebhookListener(options: WebhookListenerOptions): Promise<WebhookListener> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let secrets: readonly string[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const at = new Date();
    if (request.method !== 'POST') {
      answer(response, 405, 'Webhook deliveries are POST requests.', { allow: 'POST' });
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      answer(response, 413, 'Too large for a webhook delivery.');
      return;
    }
    const verdict = verify(body, request.headers[WEBHOOK_SIGNATURE_HEADER], secrets);
    let forwarded: number | string | undefined;
    if (options.forwardTo) {
      const relayed = await forward(fetchImpl, options.forwardTo, request, body);
      forwarded = relayed.status ?? relayed.error;
      if (relayed.status !== undefined) answer(response, relayed.status, relayed.body);
      else answer(response, 502, `The --forward-to receiver did not answer (${relayed.error}).`);
    } else if (verdict.verified) {
      answer(response, 200, 'OK');
    } else {
      // What a receiver should do with a request it cannot verify: refuse it, act on nothing.
      answer(response, 400, `Signature not verified (${verdict.problem}).`);
    }
    options.onRequest({ at, body, ...verdict, forwarded });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) answer(response, 500, 'The listener failed to handle this request.');
      else response.destroy();
    });
  });
  await listen(server, options.port);
  const { port } = server.address() as AddressInfo;

  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    useSecrets(next) {
      secrets = [...next];
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of the platform's sender would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function verify(
  body: Buffer,
  header: string | string[] | undefined,
  secrets: readonly string[],
): { verified: boolean; event: Partial<WebhookEvent> | undefined; problem?: string } {
  if (secrets.length === 0) return { verified: false, event: parseLoosely(body), problem: 'no_secret_yet' };
  try {
    return { verified: true, event: verifyWebhookSignature(body, header, secrets) };
  } catch (error) {
    if (!(error instanceof WebhookSignatureError)) throw error;
    return { verified: false, event: parseLoosely(body), problem: error.code };
  }
}

/** An unverified body is shown for what it claims to be, nothing more. */
function parseLoosely(body: Buffer): Partial<WebhookEvent> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Partial<WebhookEvent>) : undefined;
  } catch {
    return undefined;
  }
}

/** The raw bytes, or undefined past MAX_BODY_BYTES. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function forward(
  fetchImpl: typeof globalThis.fetch,
  target: URL,
  request: IncomingMessage,
  body: Buffer,
): Promise<{ status?: number; body?: string; error?: string }> {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  try {
    const response = await fetchImpl(target, {
      method: 'POST',
      headers,
      body: new Uint8Array(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
    return { status: response.status, body: (await response.text()).slice(0, 1000) };
  } catch (error) {
    return { error: (error as { name?: string }).name === 'TimeoutError' ? 'timeout' : 'connection_failed' };
  }
}

function answer(response: ServerResponse, status: number, text = '', headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(text);
}
