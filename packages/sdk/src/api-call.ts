import { ApiError } from './errors.js';

/** What every openapi-fetch call resolves to. */
export interface FetchResult<Data> {
  readonly data?: Data;
  readonly error?: unknown;
  readonly response: Response;
}

/**
 * The body of a successful response, or the API's problem as an ApiError.
 * openapi-fetch resolves rather than throws on HTTP errors; the SDK's helpers
 * throw, so `await` gives data or a typed error and nothing in between.
 */
export function dataOf<Data>(result: FetchResult<Data>): Data {
  if (result.response.ok && result.data !== undefined) return result.data;
  throw ApiError.fromResponse(result.response, result.error);
}

/** Like dataOf for endpoints that answer without a body (204). */
export function ensureOk(result: FetchResult<unknown>): void {
  if (!result.response.ok) throw ApiError.fromResponse(result.response, result.error);
}
