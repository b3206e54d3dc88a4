import type { Credentials } from './auth-session.js';
import { MissingCredentialsError } from './errors.js';

/**
 * Refuses incomplete credentials before any request is made. A script that
 * reads `process.env.MEMBERSHIPS_PASSWORD` while it is unset passes
 * `undefined`; without this check the API would see `{"email": "..."}` and
 * answer 400, which says nothing about the environment.
 *
 * No credentials at all is fine: the client then waits for `auth.login()`.
 * Password credentials are recognised by either field being present, so
 * `{ email: undefined, password: undefined }` counts as password credentials
 * with both missing, not as tokens.
 */
export function checkCredentials(credentials: Credentials | null | undefined): void {
  if (credentials === undefined || credentials === null) return;
  if (typeof credentials !== 'object') throw new MissingCredentialsError(['email', 'password']);
  if ('email' in credentials || 'password' in credentials) {
    checkPassword(credentials as { email?: unknown; password?: unknown });
    return;
  }
  const { accessToken, refreshToken } = credentials;
  if (!isFilled(accessToken) && !isFilled(refreshToken)) throw new MissingCredentialsError(['accessToken', 'refreshToken']);
}

/** For `auth.login({ email, password })`. */
export function checkPassword(credentials: { email?: unknown; password?: unknown }): void {
  const missing: string[] = [];
  if (!isFilled(credentials.email)) missing.push('email');
  // A password is taken as typed (spaces may be part of it); only empty is missing.
  if (typeof credentials.password !== 'string' || credentials.password === '') missing.push('password');
  if (missing.length > 0) throw new MissingCredentialsError(missing);
}

function isFilled(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}
