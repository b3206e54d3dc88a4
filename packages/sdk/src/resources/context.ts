import type { Client } from 'openapi-fetch';
import type { AuthSession } from '../auth-session.js';
import type { paths } from '../generated/api.js';

/**
 * What a resource (auth, exports, schedules) is built from. A
 * new resource is one file that takes this context and returns its methods,
 * plus one line in createClient().
 */
export interface ResourceContext {
  /** The typed openapi-fetch client, with auth and error middleware installed. */
  readonly raw: Client<paths>;
  readonly session: AuthSession;
  /** Plain fetch, for URLs outside the API (file downloads). */
  readonly fetch: typeof globalThis.fetch;
  readonly baseUrl: string;
  readonly now: () => number;
}

/** Options every call accepts. */
export interface CallOptions {
  /** Cancels the call; it then rejects with the signal's reason (an AbortError by default). */
  readonly signal?: AbortSignal | undefined;
}
