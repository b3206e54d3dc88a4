import type { Middleware } from 'openapi-fetch';
import type { AuthSession } from './auth-session.js';
import { NetworkError } from './errors.js';

/** Endpoints that take no bearer token: signing in must work without one. */
const TOKEN_ENDPOINTS = new Set(['/v1/auth/token', '/v1/auth/refresh', '/v1/auth/logout']);

export interface TransportMiddlewareOptions {
  readonly session: AuthSession;
  /** Abort API calls that have not answered after this long. */
  readonly requestTimeoutMs: number;
}

/**
 * One middleware for everything between a call and the wire:
 * - adds `Authorization: Bearer …`, refreshing first when the token is due;
 * - on a 401 refreshes once (shared by all calls that hit it) and replays the request;
 * - turns a failed fetch into a NetworkError that says which URL could not be reached,
 *   leaving the caller's own AbortSignal errors as they are.
 */
export function transportMiddleware({ session, requestTimeoutMs }: TransportMiddlewareOptions): Middleware {
  // Replays need the request as it was before its body was sent.
  const pending = new Map<string, { replay: Request; token: string; callerSignal: AbortSignal }>();
  const callerSignals = new Map<string, AbortSignal>();

  return {
    async onRequest({ request, schemaPath, id }) {
      const callerSignal = request.signal;
      const token = TOKEN_ENDPOINTS.has(schemaPath) ? undefined : await session.accessToken();
      const timed = new Request(request, {
        signal: AbortSignal.any([callerSignal, AbortSignal.timeout(requestTimeoutMs)]),
      });
      callerSignals.set(id, callerSignal);
      if (token === undefined) return timed;
      timed.headers.set('Authorization', `Bearer ${token}`);
      pending.set(id, { replay: timed.clone(), token, callerSignal });
      return timed;
    },

    async onResponse({ response, id, options }) {
      callerSignals.delete(id);
      const entry = pending.get(id);
      pending.delete(id);
      if (!entry || response.status !== 401) return undefined;
      const token = await session.recover(entry.token);
      if (!token) return undefined;
      await response.body?.cancel();
      const replay = new Request(entry.replay, {
        signal: AbortSignal.any([entry.callerSignal, AbortSignal.timeout(requestTimeoutMs)]),
      });
      replay.headers.set('Authorization', `Bearer ${token}`);
      try {
        return await options.fetch(replay);
      } catch (error) {
        throw asNetworkError(error, replay.url, entry.callerSignal, requestTimeoutMs);
      }
    },

    onError({ error, request, id }) {
      const callerSignal = callerSignals.get(id);
      callerSignals.delete(id);
      pending.delete(id);
      return asNetworkError(error, request.url, callerSignal, requestTimeoutMs);
    },
  };
}

function asNetworkError(error: unknown, url: string, callerSignal: AbortSignal | undefined, timeoutMs: number): Error {
  if (callerSignal?.aborted) return error as Error;
  // By name: the DOMException may come from another realm, where instanceof fails.
  if ((error as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new NetworkError(url, new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`));
  }
  if (error instanceof NetworkError) return error;
  return new NetworkError(url, error);
}
