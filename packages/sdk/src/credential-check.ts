import type { Credentials, PasswordCredentials } from './auth-session.js';
import { MissingCredentialsError } from './errors.js';

/**
 * Refuses incomplete credentials before any request is made. A script that
 * reads `process.env.MEMBERSHIPS_PASSWORD` while it is unset passes
 * `undefined`; without this check the API would see `{"email": "..."}` and
 * answer 400, which says nothing about the environment.
 *
 * No credentials at all is fine: the client then waits for `auth.login()`.
 */
export function checkCredentials(credentials: Credentials | null | undefined): void {
  if (credentials === undefined || credentials === null) return;
  if (typeof credentials !== 'object') throw new MissingCredentialsError(['email', 'password']);
  if (isPasswordCredentials(credentials)) {
    checkPassword(credentials);
    return;
  }
  const { accessToken, refreshToken } = credentials;
  if (!isFilled(accessToken) && !isFilled(refreshToken)) throw new MissingCredentialsError(['accessToken', 'refreshToken']);
}

/**
 * Which kind of credentials these are, by the fields present rather than
 * their values: `{ email: undefined, password: undefined }` (two unset
 * variables) is a password sign-in with both missing, not a token session.
 * Stored tokens may carry an `email` beside them (the CLI's do): with a token
 * field present, an email alone does not make them password credentials.
 */
export function isPasswordCredentials(credentials: Credentials): credentials is PasswordCredentials {
  if ('password' in credentials) return true;
  return 'email' in credentials && !('accessToken' in credentials) && !('refreshToken' in credentials);
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
