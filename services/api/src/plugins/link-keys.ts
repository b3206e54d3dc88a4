import { LinkKeySource } from '@memberships/core/dynamodb';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The keys that verify the emailed links' tokens (core's links/link-key-source.ts). */
    linkKeys: LinkKeySource;
  }
}

/**
 * app.linkKeys: the link signing keys from LINK_SIGNING_SECRET_ARN, read at
 * the first link and every 5 minutes after (a rotation reaches a running
 * API without a restart); server.ts reads them once after listening, so an
 * unreadable secret shows in the log at once.
 */
export default fp(
  async (app) => {
    app.decorate(
      'linkKeys',
      new LinkKeySource({ client: app.aws.secretsManager, secretId: app.config.linkSigningSecretArn, now: () => app.clock.now() }),
    );
  },
  { name: 'link-keys', dependencies: ['app-context', 'aws-clients'] },
);
