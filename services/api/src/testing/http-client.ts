import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Requests to the app over real HTTP on loopback, with an `app.inject`-like
 * shape. Fastify's `inject` cannot run under Jest as `npm test` starts it:
 * light-my-request requires the ESM-only `cookie@2`, and Jest 30 can only
 * `require` an ES module when `vm.SourceTextModule` exists, which even on
 * Node 26 needs `--experimental-vm-modules`. Going through a real socket also
 * exercises the HTTP layer (Content-Length, body limit, headers) as clients see it.
 */

export interface RequestOptions {
  readonly method?: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** An object is sent as JSON (with Content-Type: application/json unless given); a string as is. */
  readonly payload?: unknown;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  /** Tests read arbitrary JSON; `any` keeps their assertions short. */
  json(): any;
}

/** Starts the app on 127.0.0.1 with a port chosen by the OS; returns its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export async function request(baseUrl: string, options: RequestOptions): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (typeof options.payload === 'string') {
    body = options.payload;
  } else if (options.payload !== undefined) {
    body = JSON.stringify(options.payload);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const response = await fetch(new URL(options.url, baseUrl), {
    method: options.method ?? 'GET',
    headers,
    ...(body === undefined ? {} : { body }),
    // Redirects are what some routes answer: show them, do not follow them.
    redirect: 'manual',
  });
  const text = await response.text();
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: text,
    json: () => JSON.parse(text),
  };
}
