import { createClient, type MembershipsClient } from '../index.js';

/**
 * A client whose fetch (the stubbed collaborator of the resources' unit
 * tests) records each request and answers it as the test scripts: which
 * request a method sends and what it makes of the answer. The same methods
 * run against the real API in the resources' integration tests.
 */

export interface SentRequest {
  readonly method: string;
  readonly path: string;
  /** The query string with its `?`, or `''`. */
  readonly query: string;
  readonly body: unknown;
}

export function scriptedClient(answer: (sent: SentRequest) => Response): { client: MembershipsClient; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fetch: typeof globalThis.fetch = async (input) => {
    const request = input as Request;
    const text = await request.text();
    const url = new URL(request.url);
    const entry = { method: request.method, path: url.pathname, query: url.search, body: text ? (JSON.parse(text) as unknown) : undefined };
    sent.push(entry);
    return answer(entry);
  };
  const client = createClient({
    baseUrl: 'http://api.test',
    credentials: { accessToken: 'token', accessTokenExpiresAt: Date.now() + 3_600_000 },
    fetch,
  });
  return { client, sent };
}

/** A JSON answer; a problem+json one from 400 up. */
export const json = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status < 400 ? 'application/json' : 'application/problem+json' },
  });
