import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InternalServerException,
  SchedulerApiError,
  SchedulerLocalError,
  SerializationException,
  UnknownOperationException,
  ValidationException,
} from './errors';
import type { Logger } from './logger';
import { parseJsonBody } from './validation';

export interface RouteRequest {
  /** The path's captured segments, URL-decoded. */
  readonly params: string[];
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

export interface RouteResponse {
  readonly status?: number;
  /** JSON; undefined sends no body (204). */
  readonly body?: unknown;
}

export interface Route {
  readonly method: string;
  readonly path: RegExp;
  /** For logs. */
  readonly operation: string;
  readonly handle: (request: RouteRequest) => RouteResponse | Promise<RouteResponse>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** A started server: where it listens and how to stop it. */
export interface ListeningServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A node:http server on 127.0.0.1 dispatching to routes. Errors are answered
 * in the AWS restJson1 shape (status, `x-amzn-ErrorType`, `{"Message"}`) for
 * Scheduler API errors, as `{code, message}` for misuse of the test endpoints,
 * and as an InternalServerException (details only in the log) for bugs.
 */
export async function listen(routes: readonly Route[], port: number, logger: Logger): Promise<ListeningServer> {
  const server = createServer((request, response) => {
    void dispatch(routes, request, response, logger);
  });
  // The SDK keeps connections alive; idle ones must not hold the stop() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { port: (server.address() as AddressInfo).port, close: () => close(server) };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

async function dispatch(routes: readonly Route[], request: IncomingMessage, response: ServerResponse, logger: Logger): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const log = logger.child({ requestId, method, path: url.pathname });
  try {
    const raw = await readBody(request);
    const match = findRoute(routes, method, url.pathname);
    if (!match) throw new UnknownOperationException(method, url.pathname);
    const result = await match.route.handle({ params: match.params, query: url.searchParams, body: parseJsonBody(raw) });
    log.debug({ operation: match.route.operation, status: result.status ?? 200 }, 'request handled');
    send(response, result.status ?? 200, requestId, result.body);
  } catch (error) {
    if (error instanceof SchedulerApiError) {
      log.debug({ errorType: error.errorType, status: error.status, message: error.message }, 'request failed');
      send(response, error.status, requestId, { Message: error.message }, { 'x-amzn-ErrorType': error.errorType });
    } else if (error instanceof SchedulerLocalError) {
      log.debug({ code: error.code, message: error.message }, 'test endpoint request refused');
      send(response, 400, requestId, { code: error.code, message: error.message });
    } else {
      log.error({ error: error instanceof Error ? error.stack : String(error) }, 'request failed unexpectedly');
      const internal = new InternalServerException('Internal error in scheduler-local; see its log.');
      send(response, 500, requestId, { Message: internal.message }, { 'x-amzn-ErrorType': internal.errorType });
    }
  }
}

function findRoute(routes: readonly Route[], method: string, pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.path.exec(pathname);
    if (!match) continue;
    try {
      return { route, params: match.slice(1).map((segment) => decodeURIComponent(segment ?? '')) };
    } catch {
      throw new ValidationException(`Malformed path: ${pathname}`);
    }
  }
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SerializationException(`The request body exceeds ${MAX_BODY_BYTES} bytes.`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, requestId: string, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  const payload = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    'x-amzn-RequestId': requestId,
    ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    ...headers,
  });
  response.end(payload);
}
