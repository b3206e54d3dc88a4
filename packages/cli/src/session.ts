import { createClient, type MembershipsClient, type Tokens } from '@memberships/sdk';
import { CLI_VERSION } from './version.js';
import type { CommandContext } from './context.js';
import { NotLoggedInError, sameApiUrl } from './errors.js';

const USER_AGENT = `memberships-cli/${CLI_VERSION} node/${process.versions.node}`;

/** Two URLs name the same API if they differ only in a trailing slash or letter case of the host. */
export const sameApi = sameApiUrl;

/**
 * A client signed in with the stored session. New tokens are written back to
 * credentials.json before the call that needed them continues, and refreshes
 * take turns with other `memberships` processes through a lock file.
 */
export async function signedInClient(ctx: CommandContext): Promise<MembershipsClient> {
  const stored = await ctx.store.readCredentials();
  if (!stored) throw new NotLoggedInError(ctx.apiUrl);
  // Tokens belong to the API that issued them; never send them anywhere else.
  if (!sameApi(stored.apiUrl, ctx.apiUrl)) throw new NotLoggedInError(ctx.apiUrl, { loggedInTo: stored.apiUrl, source: ctx.apiUrlSource });
  const email = stored.email;
  const save = (tokens: Tokens): Promise<void> => ctx.store.writeCredentials({ ...tokens, apiUrl: ctx.apiUrl, email });

  return createClient({
    baseUrl: ctx.apiUrl,
    userAgent: USER_AGENT,
    credentials: stored,
    onTokens: save,
    coordinateRefresh: (refresh, staleRefreshToken) =>
      ctx.store.withCredentialsLock(async () => {
        // Another process may have rotated the token while we waited for the lock.
        const current = await ctx.store.readCredentials();
        if (current && sameApi(current.apiUrl, ctx.apiUrl) && current.refreshToken !== staleRefreshToken) {
          if (current.accessTokenExpiresAt - Date.now() > 30_000) return current;
          return refresh(current.refreshToken ?? staleRefreshToken);
        }
        return refresh(staleRefreshToken);
      }),
  });
}

/** A client for signing in: tokens it receives are stored for `email`. */
export function loginClient(ctx: CommandContext, email: string): MembershipsClient {
  return createClient({
    baseUrl: ctx.apiUrl,
    userAgent: USER_AGENT,
    onTokens: (tokens) => ctx.store.writeCredentials({ ...tokens, apiUrl: ctx.apiUrl, email }),
  });
}
