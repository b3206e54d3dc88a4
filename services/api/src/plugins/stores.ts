import { JobStore, LoginThrottle, RefreshTokenStore, ScheduleStore, UserStore } from '@memberships/core/dynamodb';
import { WebhookStore } from '@memberships/core/webhooks';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    userStore: UserStore;
    jobStore: JobStore;
    refreshTokenStore: RefreshTokenStore;
    loginThrottle: LoginThrottle;
    scheduleStore: ScheduleStore;
    webhookStore: WebhookStore;
  }
}

/** The DynamoDB-backed stores from core, sharing the app's client and clock. */
export default fp(
  async (app) => {
    const now = () => app.clock.now();
    const { config } = app;
    const client = app.aws.dynamodb;
    app.decorate('userStore', new UserStore({ client, table: config.tables.users, now }));
    app.decorate('jobStore', new JobStore({ client, jobsTable: config.tables.jobs, guardsTable: config.tables.guards, now }));
    app.decorate(
      'refreshTokenStore',
      new RefreshTokenStore({ client, table: config.tables.refreshTokens, ttlSeconds: config.jwt.refreshTokenTtlSeconds, now }),
    );
    app.decorate(
      'scheduleStore',
      new ScheduleStore({ client, table: config.tables.schedules, limitPerUser: config.schedules.perUser, now }),
    );
    app.decorate('webhookStore', new WebhookStore({ client, table: config.tables.webhooks, limitPerUser: config.webhooks.perUser, now }));
    app.decorate(
      'loginThrottle',
      new LoginThrottle({
        client,
        table: config.tables.loginAttempts,
        perAccount: config.loginLimits.perAccount,
        perAddress: config.loginLimits.perAddress,
        now,
      }),
    );
  },
  { name: 'stores', dependencies: ['app-context', 'aws-clients'] },
);
