import { JobStore, UserStore } from '@memberships/core';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    userStore: UserStore;
    jobStore: JobStore;
  }
}

/** The DynamoDB-backed stores from core, sharing the app's client and clock. */
export default fp(
  async (app) => {
    const now = () => app.clock.now();
    app.decorate('userStore', new UserStore({ client: app.aws.dynamodb, table: app.config.tables.users, now }));
    app.decorate(
      'jobStore',
      new JobStore({ client: app.aws.dynamodb, jobsTable: app.config.tables.jobs, guardsTable: app.config.tables.guards, now }),
    );
  },
  { name: 'stores', dependencies: ['app-context', 'aws-clients'] },
);
