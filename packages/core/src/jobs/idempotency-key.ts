import { createHash } from 'node:crypto';
import type { ExportOptions } from '../exports/export-options';

/**
 * The `Idempotency-Key` a client may send with `POST /v1/exports`: the API
 * validates the header against this pattern, and the CLI checks
 * `--idempotency-key` against the same one before it sends anything, and
 * what makes a retry under a key the same request (exportOptionsFingerprint).
 */

/** 1–200 characters of `A-Z a-z 0-9 _ . : -`, as a JSON-schema pattern. */
export const IDEMPOTENCY_KEY_PATTERN = '^[A-Za-z0-9_.:-]{1,200}$';

const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === 'string' && IDEMPOTENCY_KEY.test(value);
}

/**
 * What makes two requests under one Idempotency-Key the same request: their
 * options, complete and normalised (`{}` and `{"format":"csv"}` are the same,
 * and so are statuses in another order), as a hex SHA-256. Stored with the
 * key's guard; a reuse with another fingerprint is refused
 * (`idempotency_key_reused`), never answered with the first request's export.
 */
export function exportOptionsFingerprint(options: ExportOptions): string {
  const { filters } = options;
  const normalised = { ...options, filters: { ...filters, ...(filters.status ? { status: [...filters.status].sort() } : {}) } };
  return createHash('sha256').update(canonicalJson(normalised)).digest('hex');
}

/** JSON with every object's keys sorted, so equal values give equal text whatever order they were built in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
