/**
 * A loopback HTTP forwarder that records the requests it passes on — method,
 * path and query, the answer's status, and when — and changes nothing: headers
 * go on as sent (a SigV4 signature covers the Host header) and bodies stream
 * through unbuffered and unpaced, both ways. For a test that must see the calls
 * the code under test makes with its own SDK client, where the emulator cannot
 * tell: fauxqs has no ListMultipartUploads, so whether an export's multipart
 * upload was aborted shows only in the calls the worker made.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  /** The path alone (for S3 path-style, `/<bucket>/<key>`). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  /** The upstream's status, once its answer came; undefined while pending or when the upstream failed. */
  readonly status: number | undefined;
  /** Epoch ms when the answer's status came. */
  readonly answeredAt: number | undefined;
}

export interface HttpRequestLog {
  /** `http://127.0.0.1:<port>`: give it to the client in place of the upstream. */
  readonly endpoint: string;
  /** Every request so far, in arrival order (answers fill in as they come). */
  readonly requests: readonly RecordedRequest[];
  close(): Promise<void>;
}

/** The record as the forwarder fills it in. */
type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

export async function startHttpRequestLog(upstream: string): Promise<HttpRequestLog> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const requests: MutableRecord[] = [];

  const forward = (incoming: IncomingMessage, answer: ServerResponse) => {
    const url = incoming.url ?? '/';
    const parsed = new URL(url, 'http://forwarded');
    const record: MutableRecord = {
      method: incoming.method ?? 'GET',
      url,
      path: decodeURIComponent(parsed.pathname),
      query: parsed.searchParams,
      startedAt: Date.now(),
      status: undefined,
      answeredAt: undefined,
    };
    requests.push(record);
    const outgoing = httpRequest(
      { agent, host: target.hostname, port: target.port, method: record.method, path: url, headers: incoming.headers },
      (response) => {
        record.status = response.statusCode;
        record.answeredAt = Date.now();
        answer.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(answer);
        response.on('error', () => answer.destroy());
      },
    );
    outgoing.on('error', () => answer.destroy());
    // A client that gives up (an aborted upload part) must not leave its request running upstream.
    answer.on('close', () => {
      if (!answer.writableFinished) outgoing.destroy();
    });
    incoming.pipe(outgoing);
  };

  const server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('request log has no TCP address');

  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
