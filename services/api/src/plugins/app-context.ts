import fp from 'fastify-plugin';
import type { ApiConfig } from '../config';

/** The clock every time-dependent decision uses (token issue and expiry, job timestamps, URL signing). */
export interface Clock {
  now(): Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The frozen configuration the app was built with. */
    config: ApiConfig;
    clock: Clock;
  }
}

export interface AppContextOptions {
  readonly config: ApiConfig;
  /** Injectable clock (tests); default the system clock. */
  readonly now?: (() => Date) | undefined;
}

export default fp<AppContextOptions>(
  async (app, { config, now }) => {
    app.decorate('config', config);
    app.decorate('clock', { now: now ?? (() => new Date()) });
  },
  { name: 'app-context' },
);
