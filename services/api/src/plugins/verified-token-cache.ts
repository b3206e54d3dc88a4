/**
 * Access tokens that passed verification, by the exact `Authorization` header
 * they came in, so a client's next request with the same token skips the
 * ES256 signature check (the API's own CPU ceiling under load). What a token
 * string proves (signature under the key its `kid` names, algorithm, issuer,
 * audience, required claims) cannot change while the process runs, since the
 * keys are read once at start-up; what does change, time, is checked on every
 * hit against the entry's window, the token's own `nbf`..`exp` as the
 * verifier reads them. Only verified tokens are ever stored, so an attacker
 * can neither fill it with forgeries nor be served from it: another string,
 * even one differing in the signature alone, is a miss.
 *
 * Bounded: least recently used entries go first once `maxEntries` are held
 * (a Map keeps insertion order; a hit moves the entry to the end). An
 * expired entry is dropped when it is next looked up, or pushed out by newer
 * ones. `maxEntries` 0 turns the cache off.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, CachedToken<T>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value stored for `key` while `nowMs` is within its window; undefined otherwise. */
  get(key: string, nowMs: number): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (nowMs < entry.validFromMs || nowMs > entry.validUntilMs) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Keeps `value` for `key` from `validFromMs` to `validUntilMs` (epoch ms,
   * both included, as fast-jwt compares `nbf` and `exp`).
   */
  set(key: string, value: T, validFromMs: number, validUntilMs: number): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, validFromMs, validUntilMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }
}

interface CachedToken<T> {
  readonly value: T;
  readonly validFromMs: number;
  readonly validUntilMs: number;
}
