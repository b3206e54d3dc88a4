import { Agent, request } from 'node:http';

/**
 * The benchmark's HTTP client: node:http over keep-alive connections, at
 * most one per lane of the load runner, so the API sees `concurrency`
 * clients that each keep their connection (as an SDK client does) and no
 * connection set-up is timed after the warm-up. node:http rather than
 * fetch: fewer layers in the load generator, which shares the two cores
 * with the server it measures.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body, only when asked for (`keepBody`); otherwise read and dropped. */
  readonly body: string;
}

export interface BenchHttpClient {
  send(method: 'GET' | 'POST', path: string, token: string, options?: { readonly keepBody?: boolean }): Promise<HttpAnswer>;
  close(): void;
}

export function benchHttpClient(baseUrl: string, connections: number): BenchHttpClient {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  return {
    send(method, path, token, options = {}) {
      return new Promise((resolve, reject) => {
        const outgoing = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path,
            // No body: POST /v1/exports without one asks for the default export.
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'application/json',
              ...(method === 'POST' ? { 'content-length': '0' } : {}),
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => {
              if (options.keepBody) chunks.push(chunk);
            });
            response.on('error', reject);
            response.on('end', () =>
              resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        outgoing.on('error', reject);
        outgoing.end();
      });
    },
    close: () => agent.destroy(),
  };
}
