import { dataOf, ensureOk } from '../api-call.js';
import type { PasswordCredentials, Tokens } from '../auth-session.js';
import { ApiError } from '../errors.js';
import type { AccountSettings, CurrentUser } from '../types.js';
import type { CallOptions, ResourceContext } from './context.js';

export interface AuthResource {
  /**
   * Signs in with email and password (or those given to createClient) and
   * returns the tokens, which are also handed to `onTokens`.
   * Throws ApiError `invalid_credentials` (401) or `too_many_attempts` (429, see `retryAfterSeconds`).
   */
  login(credentials?: PasswordCredentials): Promise<Tokens>;
  /** Revokes the refresh token on the server and forgets the tokens. A token the server already dropped counts as logged out. */
  logout(options?: CallOptions): Promise<void>;
  /** The signed-in user. */
  me(options?: CallOptions): Promise<CurrentUser>;
  /**
   * Changes your account's settings and returns the user as it is now.
   * `{ emailed_download_links: false }`: an export too large to attach is
   * emailed without a link (download it with `exports.download()`), and the
   * links emailed before stop working; `true` turns them back on. Needs the
   * `exports:write` scope (ApiError `insufficient_scope`, 403).
   */
  updateMe(settings: AccountSettings, options?: CallOptions): Promise<CurrentUser>;
  /** The current tokens, if signed in. */
  readonly tokens: Tokens | undefined;
}

export function createAuthResource(ctx: ResourceContext): AuthResource {
  return {
    login: (credentials) => ctx.session.login(credentials),

    async logout(options = {}) {
      const refreshToken = ctx.session.refreshToken;
      if (refreshToken) {
        try {
          ensureOk(await ctx.raw.POST('/v1/auth/logout', { body: { refresh_token: refreshToken }, signal: options.signal }));
        } catch (error) {
          const alreadyGone = error instanceof ApiError && (error.status === 401 || error.status === 400);
          if (!alreadyGone) throw error;
        }
      }
      ctx.session.clear();
    },

    async me(options = {}) {
      return dataOf(await ctx.raw.GET('/v1/me', { signal: options.signal }));
    },

    async updateMe(settings, options = {}) {
      return dataOf(await ctx.raw.PATCH('/v1/me', { body: settings, signal: options.signal }));
    },

    get tokens() {
      return ctx.session.tokens;
    },
  };
}
