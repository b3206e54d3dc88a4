import { dummyPasswordHash, verifyPassword } from '@memberships/core';
import type { FastifyPluginAsync } from 'fastify';
import { InvalidCredentialsError } from '../../errors';
import { createTokenSchema, type TokenRequestBody, type TokenResponseBody } from './schemas';

/** Authentication: `/v1/auth/*`. */
const authRoutes: FastifyPluginAsync = async (app) => {
  // Computing the dummy hash takes as long as a login: do it before the first request, not during it.
  app.addHook('onReady', async () => {
    await dummyPasswordHash();
  });

  app.post<{ Body: TokenRequestBody; Reply: TokenResponseBody }>(
    '/token',
    { schema: createTokenSchema },
    async (request, reply) => {
      const { email, password } = request.body;
      const user = await app.userStore.findByEmail(email);
      // An unknown email still pays for one password verification, so the
      // response time does not tell which accounts exist.
      const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !valid) throw new InvalidCredentialsError();

      const { token, expiresIn } = app.accessTokens.issue(user);
      request.log.info({ userId: user.id }, 'access token issued');
      return reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });
    },
  );
};

export default authRoutes;
