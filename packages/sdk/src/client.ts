import createFetchClient, { type Client } from 'openapi-fetch';
import { dataOf } from './api-call.js';
import { transportMiddleware } from './auth-middleware.js';
import { AuthSession, type Credentials, type RefreshCoordinator, type Tokens } from './auth-session.js';
import { MembershipsError } from './errors.js';
import type { paths } from './generated/api.js';
import { createAuthResource, type AuthResource } from './resources/auth.js';
import type { ResourceContext } from './resources/context.js';
import { createExportsResource, type ExportsResource } from './resources/exports.js';
import { createSchedulesResource, type SchedulesResource } from './resources/schedules.js';
import { createWebhooksResource, type WebhooksResource } from './resources/webhooks.js';
import { DEFAULT_REFRESH_LEEWAY_MS } from './token-expiry.js';
import { SDK_VERSION } from './version.js';

export interface ClientOptions {
  /** Where the API lives, e.g. `https://api.example.com` (without `/v1`). Required. */
  readonly baseUrl: string;
  /**
   * How to sign in: `{ email, password }` (signs in on first use), or stored
   * tokens `{ accessToken?, refreshToken }`. Without credentials only
   * `auth.login()` works until it is called.
   */
  readonly credentials?: Credentials | undefined;
  /**
   * Called with new tokens after every login and refresh, before any call goes
   * on with them. Persist them here: refresh tokens rotate, so the previous one
   * stops working. Awaited; if it throws, the call that caused the refresh rejects.
   */
  readonly onTokens?: ((tokens: Tokens) => void | Promise<void>) | undefined;
  /** Serialises refreshes across processes that share stored tokens (see RefreshCoordinator). */
  readonly coordinateRefresh?: RefreshCoordinator | undefined;
  /** fetch to use (to add tracing, proxies, or count requests in tests). Default: the global fetch. */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** Sent as User-Agent. Default `memberships-sdk/<version> node/<version>`. */
  readonly userAgent?: string | undefined;
  /** Refresh this long before the access token expires (at most a quarter of its lifetime). Default 30 000 ms. */
  readonly refreshLeewayMs?: number | undefined;
  /** Abort an API call that has not answered after this long (file downloads are not limited). Default 30 000 ms. */
  readonly requestTimeoutMs?: number | undefined;
  /** Clock in epoch ms, for token expiry and wait timeouts. Default Date.now. */
  readonly now?: (() => number) | undefined;
}

export interface MembershipsClient {
  readonly baseUrl: string;
  readonly auth: AuthResource;
  readonly exports: ExportsResource;
  /** Monthly export subscriptions: create, list, change, pause, resume, delete. */
  readonly schedules: SchedulesResource;
  /** Webhook endpoints: URLs sent a signed POST when an export finishes (verify them with verifyWebhookSignature). */
  readonly webhooks: WebhooksResource;
  /**
   * The typed openapi-fetch client underneath, for endpoints without a helper.
   * It shares the session (bearer token, refresh) but, being openapi-fetch,
   * resolves to `{ data, error, response }` instead of throwing on HTTP errors.
   */
  readonly raw: Client<paths>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * A client for the membership export API.
 *
 * ```ts
 * const client = createClient({ baseUrl: 'https://api.example.com', credentials: { email, password } });
 * const { job } = await client.exports.create();
 * await client.exports.wait(job.id, { onProgress: (j) => console.log(j.progress) });
 * await client.exports.download(job.id, { path: 'memberships.csv' });
 * ```
 */
export function createClient(options: ClientOptions): MembershipsClient {
  const baseUrl = normaliseBaseUrl(options.baseUrl);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const raw = createFetchClient<paths>({
    baseUrl,
    // openapi-fetch hands over a Request; the wrapper keeps `this` and any test double honest.
    fetch: (request: Request) => fetchImpl(request),
    headers: {
      'User-Agent': options.userAgent ?? `memberships-sdk/${SDK_VERSION} node/${process.versions.node}`,
      Accept: 'application/json, application/problem+json',
    },
  });

  const session = new AuthSession(
    {
      issue: async (email, password) => dataOf(await raw.POST('/v1/auth/token', { body: { email, password } })),
      rotate: async (refreshToken) => dataOf(await raw.POST('/v1/auth/refresh', { body: { refresh_token: refreshToken } })),
    },
    {
      credentials: options.credentials,
      onTokens: options.onTokens,
      coordinateRefresh: options.coordinateRefresh,
      refreshLeewayMs: options.refreshLeewayMs ?? DEFAULT_REFRESH_LEEWAY_MS,
      now,
    },
  );
  raw.use(transportMiddleware({ session, requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS }));

  const ctx: ResourceContext = { raw, session, fetch: fetchImpl, baseUrl, now };
  return {
    baseUrl,
    auth: createAuthResource(ctx),
    exports: createExportsResource(ctx),
    schedules: createSchedulesResource(ctx),
    webhooks: createWebhooksResource(ctx),
    raw,
  };
}

function normaliseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MembershipsError('invalid_base_url', `The API URL "${value}" is not a valid URL; use e.g. https://api.example.com.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MembershipsError('invalid_base_url', `The API URL "${value}" must start with http:// or https://.`);
  }
  return url.href.replace(/\/+$/, '');
}
