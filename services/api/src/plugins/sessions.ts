import type { User } from '@memberships/core/contract';
import type { IssuedRefreshToken } from '@memberships/core/dynamodb';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidRefreshTokenError } from '../errors';

/** The body of every successful token response (login and refresh). */
export interface TokenSet {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'Bearer';
  /** Seconds until the access token expires. */
  readonly expires_in: number;
  /** Seconds until the refresh token expires (each refresh issues a new one). */
  readonly refresh_expires_in: number;
}

export interface Sessions {
  /** Tokens for a user who has just proved their password: a new refresh-token family. */
  start(user: User): Promise<TokenSet>;
  /**
   * Rotates a refresh token and issues an access token from the user as
   * stored now (a deleted user or changed scopes take effect here).
   * Throws InvalidRefreshTokenError for anything but a current token.
   */
  refresh(refreshToken: string, log: FastifyBaseLogger): Promise<TokenSet>;
  /** Revokes the token's whole family (logout); silent for unknown tokens. */
  end(refreshToken: string, log: FastifyBaseLogger): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Sessions;
  }
}

/**
 * A session is a refresh-token family (core's RefreshTokenStore) plus the
 * short-lived access tokens issued from it. The access token is stateless;
 * revoking a family stops new access tokens at once, and the last one issued
 * runs out within ACCESS_TOKEN_TTL_SECONDS.
 */
export default fp(
  async (app) => {
    const tokenSet = (user: User, refresh: IssuedRefreshToken): TokenSet => {
      const access = app.accessTokens.issue(user);
      return {
        access_token: access.token,
        refresh_token: refresh.token,
        token_type: 'Bearer',
        expires_in: access.expiresIn,
        refresh_expires_in: refresh.expiresInSeconds,
      };
    };

    app.decorate<Sessions>('sessions', {
      async start(user) {
        return tokenSet(user, await app.refreshTokenStore.issue(user.id));
      },

      async refresh(refreshToken, log) {
        const rotation = await app.refreshTokenStore.rotate(refreshToken);
        if (!rotation.ok) {
          const context = { reason: rotation.reason, userId: rotation.userId, familyId: rotation.familyId };
          if (rotation.reason === 'reused') {
            log.warn(context, 'rotated refresh token presented again: token family revoked');
          } else {
            log.info(context, 'refresh token rejected');
          }
          throw new InvalidRefreshTokenError();
        }
        const { userId, familyId } = rotation.token;
        const user = await app.userStore.get(userId);
        if (!user) {
          await app.refreshTokenStore.revokeFamily(familyId, 'user_deleted');
          log.info({ userId, familyId }, 'refresh for a deleted user: token family revoked');
          throw new InvalidRefreshTokenError();
        }
        log.info({ userId, familyId }, 'refresh token rotated');
        return tokenSet(user, rotation.token);
      },

      async end(refreshToken, log) {
        const revoked = await app.refreshTokenStore.revokeFamilyOf(refreshToken, 'logout');
        log.info({ revoked }, revoked ? 'logged out: token family revoked' : 'logout with an unknown refresh token');
      },
    });
  },
  { name: 'sessions', dependencies: ['app-context', 'auth', 'stores'] },
);
