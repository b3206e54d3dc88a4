import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from './config';
import appContext from './plugins/app-context';
import auth from './plugins/auth';
import awsClients from './plugins/aws-clients';
import database from './plugins/database';
import exportFiles from './plugins/export-files';
import exportQueue from './plugins/export-queue';
import openapi from './plugins/openapi';
import problemDetails, { problemFor, sendProblem } from './plugins/problem-details';
import schemas from './plugins/schemas';
import stores from './plugins/stores';
import authRoutes from './routes/auth';
import exportRoutes from './routes/exports';
import healthRoutes from './routes/health';

/** Largest request body accepted; the API's bodies are a few hundred bytes. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface AppOverrides {
  /** Clock for token expiry, job timestamps and URL signing (tests); default the system clock. */
  readonly now?: () => Date;
  /** Where logs go (tests capture them); default stdout. Level and redaction come from the config. */
  readonly logStream?: { write(line: string): void };
}

export interface ServiceAppOptions {
  readonly config: ApiConfig;
  readonly now?: (() => Date) | undefined;
}

/**
 * The application as a plugin: external plugins, then the app's own plugins
 * (decorators), then the routes. Wrapped with fastify-plugin by buildApp so
 * its error and not-found handlers apply to the whole server.
 */
export const serviceApp: FastifyPluginAsync<ServiceAppOptions> = async (app, { config, now }) => {
  // External plugins.
  await app.register(helmet, { global: true });
  await app.register(openapi);

  // App plugins.
  await app.register(appContext, { config, now });
  await app.register(problemDetails);
  await app.register(schemas);
  await app.register(awsClients);
  await app.register(stores);
  await app.register(database);
  await app.register(auth);
  await app.register(exportQueue);
  await app.register(exportFiles);

  // The API speaks JSON only: any other body is a 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  // Routes.
  await app.register(healthRoutes);
  await app.register(authRoutes, { prefix: '/v1/auth' });
  await app.register(exportRoutes, { prefix: '/v1/exports' });
};

/** Builds the API; `listen` (server.ts) or `inject` (tests) it. Clients to AWS and PostgreSQL close with the app. */
export function buildApp(config: ApiConfig, overrides: AppOverrides = {}): FastifyInstance {
  const app = Fastify(serverOptions(config, overrides));
  app.register(fp(serviceApp, { name: 'service-app' }), { config, now: overrides.now });
  return app;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function serverOptions(config: ApiConfig, overrides: AppOverrides): FastifyServerOptions {
  return {
    logger: {
      level: config.logLevel,
      ...(overrides.logStream ? { stream: overrides.logStream } : {}),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.body.password',
          'body.password',
          'password',
          'access_token',
          '*.access_token',
        ],
        censor: '[redacted]',
      },
    },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    // Keep a caller's (or the load balancer's) request id when it is sane, so logs correlate across hops.
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: {
      // Unknown fields are rejected (additionalProperties: false), never silently dropped.
      customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: false },
    },
    // Longer than the load balancer's idle timeout (60 s), so it never reuses a connection we just closed.
    keepAliveTimeout: 72_000,
    requestTimeout: 30_000,
    return503OnClosing: true,
    // Errors raised before routing (e.g. a malformed URL) are problem documents too.
    frameworkErrors: (error, request, reply) => {
      const problem = problemFor(error);
      request.log.info({ code: problem.code }, problem.detail);
      sendProblem(reply, problem);
    },
  };
}

/** Trust the nearest `hops` proxies (what a hop count means to proxy-addr). */
function trustHops(hops: number) {
  return (_address: string, hop: number): boolean => hop < hops;
}
