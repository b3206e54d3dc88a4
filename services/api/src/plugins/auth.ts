import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import type { Scope, User } from '@memberships/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AuthenticationRequiredError, InsufficientScopeError, InvalidTokenError } from '../errors';

/**
 * Stateless bearer authentication with short-lived ES256 access tokens:
 * any API task verifies any request with the public key alone.
 *
 * - `app.accessTokens.issue(user)` signs a token for a user who has logged in.
 * - `app.authenticate` (a request hook) verifies the bearer token: algorithm
 *   ES256 only, issuer and audience checked, expiry against the app clock.
 * - `app.requireScope(scope)` (a request hook, after authenticate) checks a scope.
 * Refresh tokens (issue 3) issue through the same `accessTokens`.
 */

/** Claims of an access token. `iss`, `aud` and `exp` are added by the signer's options. */
export interface AccessTokenClaims {
  readonly sub: string;
  readonly email: string;
  /** Space-separated scopes (RFC 8693 style). */
  readonly scope: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp?: number;
  readonly iss?: string;
  readonly aud?: string | string[];
}

/** Who is calling, from a verified access token. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
  readonly scopes: readonly string[];
  readonly tokenId: string;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
}

export interface AccessTokens {
  issue(user: Pick<User, 'id' | 'email' | 'scopes'>): IssuedAccessToken;
}

type RequestHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenClaims;
    user: Principal;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokens;
    /** Verifies the bearer token and sets `request.user`; answers 401 otherwise. */
    authenticate: RequestHook;
    /** A hook answering 403 unless the authenticated caller has `scope`. */
    requireScope(scope: Scope): RequestHook;
  }
}

const ALGORITHM = 'ES256';

export default fp(
  async (app) => {
    const { jwt } = app.config;
    await app.register(fastifyJwt, {
      secret: { private: jwt.privateKey, public: jwt.publicKey },
      sign: { algorithm: ALGORITHM, kid: jwt.keyId, iss: jwt.issuer, aud: jwt.audience, expiresIn: jwt.accessTokenTtlSeconds },
      verify: {
        algorithms: [ALGORITHM],
        allowedIss: jwt.issuer,
        allowedAud: jwt.audience,
        requiredClaims: ['sub', 'email', 'scope', 'jti', 'iat', 'exp'],
      },
      // Never throws: a token with claims of the wrong type yields an empty principal, rejected below.
      formatUser: (claims) => ({
        userId: typeof claims.sub === 'string' ? claims.sub : '',
        email: typeof claims.email === 'string' ? claims.email : '',
        scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
        tokenId: typeof claims.jti === 'string' ? claims.jti : '',
      }),
    });

    app.decorate<AccessTokens>('accessTokens', {
      issue(user) {
        // iat from the app clock; the signer derives exp = iat + TTL from it.
        const iat = Math.floor(app.clock.now().getTime() / 1000);
        const token = app.jwt.sign({ sub: user.id, email: user.email, scope: user.scopes.join(' '), jti: randomUUID(), iat });
        return { token, expiresIn: jwt.accessTokenTtlSeconds };
      },
    });

    app.decorate<RequestHook>('authenticate', async (request) => {
      if (!request.headers.authorization) throw new AuthenticationRequiredError();
      try {
        await request.jwtVerify({ clockTimestamp: app.clock.now().getTime() });
      } catch (error) {
        request.log.info({ reason: (error as Error).message }, 'access token rejected');
        throw new InvalidTokenError(error);
      }
      if (!request.user.userId || !request.user.tokenId) throw new InvalidTokenError();
      request.log = request.log.child({ userId: request.user.userId });
    });

    app.decorate('requireScope', (scope: Scope): RequestHook => {
      return async (request) => {
        if (!request.user?.scopes.includes(scope)) throw new InsufficientScopeError(scope);
      };
    });
  },
  { name: 'auth', dependencies: ['app-context'] },
);
