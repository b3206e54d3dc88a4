/**
 * When to refresh an access token. Pure functions, so the arithmetic is tested
 * without clocks or servers.
 */

/** Never refresh earlier than this before expiry (a 5-minute token is refreshed at 4:30). */
export const DEFAULT_REFRESH_LEEWAY_MS = 30_000;

/**
 * The `exp` claim of a JWT in epoch milliseconds, read without verifying the
 * signature (the API verifies; the client only needs to know when to refresh).
 * Undefined for anything that is not a JWT with a numeric `exp`.
 */
export function decodeJwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null) return undefined;
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Expiry of a freshly issued token. `expires_in` is relative, so it holds even
 * when this machine's clock disagrees with the server's; the JWT's absolute
 * `exp` would make a client whose clock runs ahead refresh on every call.
 */
export function expiryFromExpiresIn(expiresInSeconds: number, receivedAt: number): number {
  return receivedAt + expiresInSeconds * 1000;
}

/**
 * The instant from which the token counts as due for refresh: `leewayMs` before
 * expiry, but never more than a quarter of the lifetime left when the token was
 * first seen, so short-lived tokens (tests, tight deployments) are still used.
 */
export function refreshDueAt(expiresAt: number, seenAt: number, leewayMs = DEFAULT_REFRESH_LEEWAY_MS): number {
  const remaining = Math.max(0, expiresAt - seenAt);
  return expiresAt - Math.min(leewayMs, remaining / 4);
}
