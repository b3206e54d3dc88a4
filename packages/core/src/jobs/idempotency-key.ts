/**
 * The `Idempotency-Key` a client may send with `POST /v1/exports`: the API
 * validates the header against this pattern, and the CLI checks
 * `--idempotency-key` against the same one before it sends anything.
 */

/** 1–200 characters of `A-Z a-z 0-9 _ . : -`, as a JSON-schema pattern. */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9_.:-]{1,200}$';

const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value);
}
