import { randomUUID } from 'node:crypto';
import fastifyJwt from '@fastify/jwt';
import { SCOPES, type Scope, type User } from '@memberships/core/contract';
import { verifyPassword } from '@memberships/core/dynamodb';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { DEFAULT_VERIFIED_TOKEN_CACHE_SIZE, verificationKeys } from '../config';
import { AuthenticationRequiredError, InsufficientScopeError, InvalidTokenError } from '../errors';
import { authProblemResponses } from '../schemas/problem';
import { VerifiedTokenCache } from './verified-token-cache';

/**
 * Stateless bearer authentication with short-lived ES256 access tokens, and
 * claims-based authorization declared by each route:
 *
 * - `app.accessTokens.issue(user)` signs a token carrying the user's scopes.
 * - Every route declares `config: { access }`: `'public'`, `'authenticated'`
 *   (any valid token) or the scope it needs. `routeAccessHook` (installed by
 *   buildApp) turns that into the request hooks (authenticate, then check the
 *   scope) and into the route's OpenAPI `security`; a route that declares
 *   nothing cannot be registered, so no route is public by omission.
 * - Verification accepts ES256 only, requires issuer, audience and every
 *   claim, checks expiry against the app clock, and picks the public key by
 *   the token's `kid` among the configured ones (the current key plus
 *   JWT_PUBLIC_KEYS), so signing keys can rotate without logging anyone out.
 * - A token that verified is remembered until it expires
 *   (verified-token-cache.ts, JWT_VERIFY_CACHE_SIZE): its client's next
 *   requests skip the signature check, which bounds the API's request rate
 *   otherwise. Expiry is still checked per request against the app clock, and
 *   everything after authentication (scopes, the account's existence where a
 *   route reads it) runs as before.
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

/** Checks a password against a stored hash (core's scrypt verification; tests may observe it). */
export type PasswordVerifier = (password: string, storedHash: string) => Promise<boolean>;

/** What a route requires of its caller. */
export type RouteAccess = 'public' | 'authenticated' | Scope;

export const BEARER_SCHEME = 'bearerAuth';

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
    passwords: { verify: PasswordVerifier };
    /** Verifies the bearer token and sets `request.user`; answers 401 otherwise. */
    authenticate: RequestHook;
    /** A hook answering 403 unless the authenticated caller has `scope`. */
    requireScope(scope: Scope): RequestHook;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route: `'public'`, `'authenticated'` (any valid access
     * token) or the scope the token must carry. Required on every route.
     */
    access?: RouteAccess;
  }
}

export interface AuthOptions {
  /** Default: core's verifyPassword (scrypt). */
  readonly verifyPassword?: PasswordVerifier | undefined;
}

const ALGORITHM = 'ES256';

class UnknownSigningKeyError extends Error {
  constructor(kid: unknown) {
    super(`no verification key for kid ${JSON.stringify(kid)}`);
  }
}

export default fp<AuthOptions>(
  async (app, options) => {
    const { jwt } = app.config;
    const keys = verificationKeys(jwt);

    await app.register(fastifyJwt, {
      secret: {
        private: jwt.privateKey,
        // The key named by the token's `kid`; a token without one, or naming a key we do not hold, is rejected.
        public: async (_request: FastifyRequest, token: unknown) => {
          const kid = (token as { header?: { kid?: unknown } } | undefined)?.header?.kid;
          if (typeof kid !== 'string' || !Object.hasOwn(keys, kid)) throw new UnknownSigningKeyError(kid);
          return keys[kid]!;
        },
      },
      decode: { complete: true },
      sign: { algorithm: ALGORITHM, kid: jwt.keyId, iss: jwt.issuer, aud: jwt.audience, expiresIn: jwt.accessTokenTtlSeconds },
      verify: {
        algorithms: [ALGORITHM],
        allowedIss: jwt.issuer,
        allowedAud: jwt.audience,
        // allowedIss/allowedAud only check a claim that is present: a token without
        // iss or aud would pass them. RFC 8725 §3.8-3.9: require both, like the rest.
        requiredClaims: ['iss', 'aud', 'sub', 'email', 'scope', 'jti', 'iat', 'exp'],
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

    app.decorate('passwords', { verify: options.verifyPassword ?? verifyPassword });

    const verified = new VerifiedTokenCache<Principal>(jwt.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE);

    app.decorate<RequestHook>('authenticate', async (request) => {
      const { authorization } = request.headers;
      if (!authorization) throw new AuthenticationRequiredError();
      const now = app.clock.now().getTime();
      const cached = verified.get(authorization, now);
      if (cached) {
        request.user = cached;
      } else {
        try {
          await request.jwtVerify({ clockTimestamp: now });
        } catch (error) {
          request.log.info({ reason: (error as Error).message }, 'access token rejected');
          throw new InvalidTokenError(error);
        }
        if (!request.user.userId || !request.user.tokenId) throw new InvalidTokenError();
        remember(authorization, request.user);
      }
      request.log = request.log.child({ userId: request.user.userId });
    });

    /** Keeps a principal that just verified for its token's window (`nbf`, if any, to `exp`, as the verifier checks them). */
    function remember(authorization: string, principal: Principal): void {
      const token = authorization.slice(authorization.indexOf(' ') + 1);
      const payload = app.jwt.decode<{ payload: { nbf?: unknown; exp?: unknown } }>(token)?.payload;
      if (typeof payload?.exp !== 'number') return;
      const validFrom = typeof payload.nbf === 'number' ? payload.nbf * 1000 : 0;
      // Frozen: every later request with this token gets the same object.
      const frozen = Object.freeze({ ...principal, scopes: Object.freeze([...principal.scopes]) });
      verified.set(authorization, frozen, validFrom, payload.exp * 1000);
    }

    app.decorate('requireScope', scopeCheck);
  },
  { name: 'auth', dependencies: ['app-context'] },
);

/** A request hook answering 403 unless the authenticated caller has `scope`. */
function scopeCheck(scope: Scope): RequestHook {
  return async (request) => {
    if (!request.user?.scopes.includes(scope)) throw new InsufficientScopeError(scope);
  };
}

/**
 * The `onRoute` hook that enforces `config.access` on every route. buildApp
 * adds it to the root instance before anything else, so it sees every route,
 * also one added outside the app's plugins; it reaches `app.authenticate`
 * only when a request comes, by which time the auth plugin has decorated it.
 */
export function routeAccessHook(app: FastifyInstance): (route: RouteOptions) => void {
  const authenticate: RequestHook = (request, reply) => app.authenticate(request, reply);
  return (route) => applyAccess(route, authenticate);
}

/**
 * Turns a route's `config.access` into its request hooks and its OpenAPI
 * `security` (with the scope as the required role) plus 401/403 responses.
 * Routes of plugins that are hidden from the document and live outside the
 * API paths (Swagger UI's files, the CORS preflight) are public by nature
 * and left alone; hiding a `/v1` route does not make it public.
 */
function applyAccess(route: RouteOptions, authenticate: RequestHook): void {
  const schema = route.schema as (FastifySchema & { hide?: boolean; response?: Record<string, unknown> }) | undefined;
  const access = route.config?.access;
  if (access === undefined && schema?.hide && !route.url.startsWith('/v1')) return;
  if (access === undefined) {
    throw new Error(`Route ${String(route.method)} ${route.url} must declare config.access ('public', 'authenticated' or a scope)`);
  }
  if (access === 'public') {
    route.schema = { ...schema, security: [] } as FastifySchema;
    return;
  }
  if (access !== 'authenticated' && !(SCOPES as readonly string[]).includes(access)) {
    throw new Error(`Route ${String(route.method)} ${route.url} declares unknown access "${access}"`);
  }
  const hooks = access === 'authenticated' ? [authenticate] : [authenticate, scopeCheck(access)];
  const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
  route.onRequest = [...hooks, ...existing] as RouteOptions['onRequest'];
  route.schema = {
    ...schema,
    security: [{ [BEARER_SCHEME]: access === 'authenticated' ? [] : [access] }],
    response: { ...authProblemResponses(access === 'authenticated' ? undefined : access), ...schema?.response },
  } as FastifySchema;
}
