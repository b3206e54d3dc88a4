import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server } from 'node:http';
import { type EmailHeader, messageIdOfResponse, rawEmailHeaders, rawMessageOfRequest, storeWithRawHeaders } from './ses-raw-headers';
import { type SendOperation, SendRateLimiter, sendOfRequest, throttledAnswer } from './ses-send-rate';

export interface SesFrontOptions {
  /**
   * The account's maximum send rate, emails (recipients) per second, held
   * to as SES holds to it (ses-send-rate.ts): a send over it is answered
   * with SES's throttling error and never reaches the mailbox. 0 or unset:
   * no rate (the rate is the account's, not a constant of SES).
   */
  readonly maxSendRate?: number;
  /** Called for every send refused over the rate. */
  readonly onThrottled?: (operation: SendOperation, recipients: number) => void;
}

/**
 * The SES stand-in's front door: an HTTP proxy on the port services and tests
 * use, relaying every request to aws-ses-v2-local on an internal loopback
 * port, bodies streamed both ways (25 MB raw emails, the web UI at `/`).
 * It exists because aws-ses-v2-local drops the headers of raw emails, which
 * a real mailbox shows (List-Unsubscribe of the monthly exports): after a raw
 * send succeeds it remembers the message's headers by MessageId, and
 * `GET /store` gets them back. With a maximum send rate, it also refuses
 * the sends over it, as SES does. Everything else passes through as sent.
 */
export function createSesFront(upstreamPort: number, options: SesFrontOptions = {}): Server {
  const sentHeaders = new Map<string, readonly EmailHeader[]>();
  const agent = new http.Agent({ keepAlive: true });
  const rate = options.maxSendRate ? new SendRateLimiter(options.maxSendRate) : undefined;

  return http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://front.invalid').pathname;
    // POST / is SES v1 (form-encoded Action=…), SendRawEmail among its actions.
    const sending = request.method === 'POST' && (path === '/v2/email/outbound-emails' || path === '/');
    const reading = request.method === 'GET' && path === '/store';
    const clearing = request.method === 'POST' && path === '/clear-store';

    const requestChunks: Buffer[] = [];
    if (sending) request.on('data', (chunk: Buffer) => requestChunks.push(chunk));

    const fail = (error: Error) => {
      if (response.headersSent) {
        response.destroy(error);
        return;
      }
      response.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`ses-local front: ${error.message}\n`);
    };

    const relay = (body?: Buffer, retried = false) => {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          method: request.method,
          path: request.url,
          headers: forwardedHeaders(request.headers, reading),
          agent,
        },
        (answer) => {
          const status = answer.statusCode ?? 502;
          if (!sending && !reading) {
            if (clearing && status === 200) sentHeaders.clear();
            response.writeHead(status, relayedHeaders(answer.headers));
            answer.pipe(response);
            return;
          }
          // Upstream's own answers here are small JSON or XML: read whole, so the
          // headers are remembered before the sender can ask for the store.
          readAll(answer)
            .then(async (body) => {
              if (status === 200 && sending) await remember(path, request.headers['content-type'], Buffer.concat(requestChunks), body);
              const rewritten = status === 200 && reading ? storeWithRawHeaders(body, sentHeaders) : undefined;
              const headers = relayedHeaders(answer.headers);
              if (rewritten !== undefined) {
                // Upstream's ETag is of the body it sent, not of this one.
                delete headers.etag;
                delete headers['transfer-encoding'];
                headers['content-length'] = String(rewritten.length);
              }
              response.writeHead(status, headers);
              response.end(rewritten ?? body);
            })
            .catch(fail);
        },
      );
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket that upstream closed as idle just as it was reused: the request never
        // reached it (Node's documented case for a retry: reusedSocket and ECONNRESET). Sent again on a
        // new socket, once, when its body is still at hand (buffered, or a GET's none).
        const again = !retried && upstream.reusedSocket && error.code === 'ECONNRESET' && !response.headersSent;
        if (again && (body !== undefined || request.method === 'GET')) relay(body, true);
        else fail(error);
      });
      response.on('close', () => {
        if (!response.writableFinished) upstream.destroy();
      });
      if (body) {
        upstream.end(body);
        return;
      }
      if (request.method === 'GET') {
        // Nothing to stream: ended here, so that a retry can send the same request again.
        request.resume();
        upstream.end();
        return;
      }
      request.on('error', (error) => upstream.destroy(error));
      request.pipe(upstream);
    };

    if (!(sending && rate)) {
      relay();
      return;
    }
    // The rate counts recipients, which are in the body: read it whole before deciding (sends are at most 40 MB).
    request.on('error', fail);
    request.on('end', () => {
      const body = Buffer.concat(requestChunks);
      const send = sendOfRequest(path, request.headers['content-type'], body);
      if (!send || rate.tryTake(send.recipients)) {
        relay(body);
        return;
      }
      options.onThrottled?.(send.operation, send.recipients);
      const answer = throttledAnswer(send.operation);
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    });
  });

  async function remember(path: string, contentType: string | undefined, requestBody: Buffer, responseBody: Buffer): Promise<void> {
    const raw = rawMessageOfRequest(path, contentType, requestBody);
    if (raw === undefined) return;
    const messageId = messageIdOfResponse(responseBody);
    if (messageId === undefined) return;
    try {
      sentHeaders.set(messageId, await rawEmailHeaders(raw));
    } catch (error) {
      // Upstream accepted the message, so it stays sent; only its headers are missing from the store.
      process.stderr.write(`ses-local front: cannot read the headers of ${messageId}: ${(error as Error).message}\n`);
    }
  }
}

/** Hop-by-hop headers belong to each connection; Node writes its own. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer'];

function forwardedHeaders(headers: IncomingHttpHeaders, reading: boolean): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete forwarded[name];
  // The front has already answered `100 Continue` (Node does when nobody listens for checkContinue).
  delete forwarded.expect;
  if (reading) {
    // A 304 would leave no body to add headers to (and upstream's ETag is not of the body the client got).
    delete forwarded['if-none-match'];
    delete forwarded['if-modified-since'];
  }
  return forwarded;
}

function relayedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const relayed: OutgoingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete relayed[name];
  return relayed;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
