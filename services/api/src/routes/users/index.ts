import { checkPasswordPolicy, normaliseEmail, PasswordPolicyError } from '@memberships/core/contract';
import { EmailTakenError } from '@memberships/core/dynamodb';
import type { FastifyPluginAsync } from 'fastify';
import { EmailTakenProblem, InvalidTokenError, ValidationFailedError } from '../../errors';
import { createUserSchema, getMeSchema, updateMeSchema, type CreateUserBody, type UpdateMeBody } from './schemas';
import { toUserResource, type UserResource } from './user-resource';

/** Accounts: `/v1/me` (your own) and `/v1/admin/users` (administrators). */
const userRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Reply: UserResource }>('/me', { schema: getMeSchema, config: { access: 'authenticated' } }, async (request) => {
    const user = await app.userStore.get(request.user.userId);
    // The token outlived its account: as good as revoked.
    if (!user) throw new InvalidTokenError();
    return toUserResource(user);
  });

  app.patch<{ Body: UpdateMeBody; Reply: UserResource }>(
    '/me',
    { schema: updateMeSchema, config: { access: 'exports:write' } },
    async (request) => {
      const enabled = request.body.emailed_download_links;
      const user = await app.userStore.setEmailedDownloadLinks(request.user.userId, enabled);
      if (!user) throw new InvalidTokenError();
      request.log.info({ emailedDownloadLinks: enabled }, 'account settings changed');
      return toUserResource(user);
    },
  );

  app.post<{ Body: CreateUserBody; Reply: UserResource }>(
    '/admin/users',
    { schema: createUserSchema, config: { access: 'users:admin' } },
    async (request, reply) => {
      const { email, password, scopes, profile } = request.body;
      try {
        checkPasswordPolicy(password);
      } catch (error) {
        if (error instanceof PasswordPolicyError)
          throw new ValidationFailedError([{ in: 'body', field: 'password', message: error.message }]);
        throw error;
      }
      try {
        const user = await app.userStore.create({ email, password, ...(scopes ? { scopes } : {}), ...(profile ? { profile } : {}) });
        request.log.info({ createdUserId: user.id, scopes: user.scopes }, 'user created');
        return reply.code(201).send(toUserResource(user));
      } catch (error) {
        if (error instanceof EmailTakenError) throw new EmailTakenProblem(normaliseEmail(email));
        throw error;
      }
    },
  );
};

export default userRoutes;
