import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens are opaque: 32 random bytes, base64url (43 characters). The
 * server keeps only their SHA-256, so a leaked table does not hand out
 * sessions; a token has 256 bits of entropy, so an unsalted fast hash is
 * enough (there is nothing to guess).
 */
export const REFRESH_TOKEN_BYTES = 32;
export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** Whether `value` has the shape of a refresh token (checked before any lookup). */
export function isRefreshTokenShaped(value: string): boolean {
  return REFRESH_TOKEN_PATTERN.test(value);
}

/** Hex SHA-256 of the token: the only form in which it is stored. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why a family was revoked; stored on the family record for the audit trail. */
export type FamilyRevocationReason = 'logout' | 'reuse_detected' | 'user_deleted';
