import fp from 'fastify-plugin';
import { ExportScheduler } from '../schedules/export-scheduler';

declare module 'fastify' {
  interface FastifyInstance {
    /** The EventBridge Scheduler side of the export schedules (schedules/export-scheduler.ts). */
    exportScheduler: ExportScheduler;
  }
}

/** app.exportScheduler: the Scheduler adapter on the app's SchedulerClient and the configured group, role and queues. */
export default fp(
  async (app) => {
    app.decorate('exportScheduler', new ExportScheduler(app.aws.scheduler, app.config.schedules));
  },
  { name: 'export-scheduler', dependencies: ['app-context', 'aws-clients'] },
);
