import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@memberships/local-platform';

/** One request a receiver got, as it arrived. */
export interface ReceivedWebhook {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

/** Answers request number `n` (1, 2, …); the default answers 200 `ok`. */
export type Responder = (request: ReceivedWebhook, response: ServerResponse, n: number) => void;

/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 (a free port)
 * that records every request and answers as the test says (`respond`, which
 * a test may change as it goes: 500 three times, then 200).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: Responder = (_request, response) => response.end('ok');

  private constructor(private readonly server: Server) {}

  static async start(respond?: Responder): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    if (respond) receiver.respond = respond;
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received: ReceivedWebhook = {
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        };
        receiver.received.push(received);
        receiver.respond(received, response, receiver.received.length);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://<host>:<port><path>`; `host` may be a name the DNS stand-in answers. */
  url(path = '/hook', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  waitForRequests(count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
    return waitFor(`${count} webhook request(s)`, async () => (this.received.length >= count ? this.received : undefined), {
      timeoutMs,
      intervalMs: 20,
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
