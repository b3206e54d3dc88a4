// Types of app.rateLimit (the plugin is registered in app.ts).
import type {} from '@fastify/rate-limit';
import { clientAddressKey, dummyPasswordHash } from '@memberships/core/dynamodb';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { InvalidCredentialsError, TooManyAttemptsError } from '../../errors';
import type { TokenSet } from '../../plugins/sessions';
import { createTokenSchema, logoutSchema, refreshTokenSchema, type RefreshTokenBody, type TokenRequestBody } from './schemas';

/** Authentication: `/v1/auth/*`. Public routes: the credentials are in the body. */
const authRoutes: FastifyPluginAsync = async (app) => {
  // Every login costs a memory-hard hash, right password or not: bound them per client address
  // (in memory, per instance; the failed-login limits in DynamoDB are the shared ones).
  const { rateLimits } = app.config;
  const loginRate = app.rateLimit({
    max: rateLimits.logins,
    timeWindow: rateLimits.windowSeconds * 1000,
    keyGenerator: (request) => `login:${clientAddressKey(request.ip)}`,
  });

  // Computing the dummy hash takes as long as a login: do it before the first request, not during it.
  app.addHook('onReady', async () => {
    await dummyPasswordHash();
  });

  app.post<{ Body: TokenRequestBody; Reply: TokenSet }>(
    '/token',
    { schema: createTokenSchema, config: { access: 'public' }, onRequest: [loginRate] },
    async (request, reply) => {
      const { email, password } = request.body;
      // Counted before the password is checked, whether or not the account exists.
      const admission = await app.loginThrottle.admit({ email, address: request.ip });
      if (!admission.admitted) {
        request.log.warn(
          { limitedBy: admission.limitedBy, retryAfterSeconds: admission.retryAfterSeconds },
          'login refused: too many failed attempts',
        );
        throw new TooManyAttemptsError(admission.retryAfterSeconds);
      }

      const user = await app.userStore.findByEmail(email);
      // An unknown email still pays for one password verification of the same
      // cost, so the response time does not tell which accounts exist.
      const valid = await app.passwords.verify(password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !valid) {
        request.log.info({ userId: user?.id, reason: user ? 'wrong_password' : 'unknown_email' }, 'login failed');
        throw new InvalidCredentialsError();
      }

      await admission.succeeded();
      const tokens = await app.sessions.start(user);
      request.log.info({ userId: user.id }, 'logged in');
      return sendTokens(reply, tokens);
    },
  );

  app.post<{ Body: RefreshTokenBody; Reply: TokenSet }>(
    '/refresh',
    { schema: refreshTokenSchema, config: { access: 'public' } },
    async (request, reply) => sendTokens(reply, await app.sessions.refresh(request.body.refresh_token, request.log)),
  );

  app.post<{ Body: RefreshTokenBody }>('/logout', { schema: logoutSchema, config: { access: 'public' } }, async (request, reply) => {
    await app.sessions.end(request.body.refresh_token, request.log);
    return reply.code(204).send();
  });
};

export default authRoutes;

function sendTokens(reply: FastifyReply, tokens: TokenSet): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(tokens);
}
