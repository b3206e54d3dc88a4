import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiConfig } from './config';
import { RateLimitedError } from './errors';
import appContext from './plugins/app-context';
import auth, { routeAccessHook, type PasswordVerifier } from './plugins/auth';
import awsClients from './plugins/aws-clients';
import database from './plugins/database';
import exportFiles from './plugins/export-files';
import exportQueue from './plugins/export-queue';
import exportScheduler from './plugins/export-scheduler';
import linkKeys from './plugins/link-keys';
import openapi from './plugins/openapi';
import problemDetails, { problemFor, sendProblem } from './plugins/problem-details';
import queryIntegers from './plugins/query-integers';
import schemas from './plugins/schemas';
import sessions from './plugins/sessions';
import stores from './plugins/stores';
import webhookQueue from './plugins/webhook-queue';
import authRoutes from './routes/auth';
import docsRoutes from './routes/docs';
import exportScheduleRoutes from './routes/export-schedules';
import exportRoutes from './routes/exports';
import healthRoutes from './routes/health';
import linkRoutes from './routes/links';
import userRoutes from './routes/users';
import webhookEndpointRoutes from './routes/webhook-endpoints';

/** Largest request body accepted; the API's bodies are a few hundred bytes. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface AppOverrides {
  /** Clock for token expiry, job timestamps and URL signing (tests); default the system clock. */
  readonly now?: () => Date;
  /** Where logs go (tests capture them); default stdout. Level and redaction come from the config. */
  readonly logStream?: { write(line: string): void };
  /** Password check of the login (tests observe it); default core's scrypt verifyPassword. */
  readonly verifyPassword?: PasswordVerifier;
  /** Serve Swagger UI at /docs (default true); apps built inside Jest cannot, see routes/docs. */
  readonly swaggerUi?: boolean;
}

export interface ServiceAppOptions {
  readonly config: ApiConfig;
  readonly now?: (() => Date) | undefined;
  readonly verifyPassword?: PasswordVerifier | undefined;
  readonly swaggerUi?: boolean | undefined;
}

/**
 * Headers for a JSON API: nothing may be framed, embedded or loaded from
 * a response (`default-src 'none'`), no referrer leaves, HTTPS is sticky.
 * Swagger UI at /docs sets its own policy (routes/docs).
 */
const HELMET_OPTIONS = {
  global: true,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] },
  },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  strictTransportSecurity: { maxAge: 365 * 86_400, includeSubDomains: true },
};

/**
 * CORS is closed unless CORS_ORIGINS lists origins: browsers elsewhere get
 * no Access-Control-* headers. Tokens travel in the Authorization header,
 * never in cookies, so credentials are never allowed.
 */
function corsOptions(config: ApiConfig) {
  return {
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
    exposedHeaders: [
      'location',
      'retry-after',
      'x-request-id',
      'export-request',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    credentials: false,
    maxAge: 600,
  };
}

/**
 * The application as a plugin: external plugins, then the app's own plugins
 * (decorators), then the routes. Wrapped with fastify-plugin by buildApp so
 * its error and not-found handlers apply to the whole server.
 */
export const serviceApp: FastifyPluginAsync<ServiceAppOptions> = async (app, { config, now, verifyPassword, swaggerUi }) => {
  // External plugins.
  await app.register(helmet, HELMET_OPTIONS);
  await app.register(cors, corsOptions(config));
  // Limits are attached per route (routes/exports); counters live in this instance's memory.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  await app.register(openapi);

  // App plugins.
  await app.register(appContext, { config, now });
  await app.register(problemDetails);
  await app.register(schemas);
  // Before the routes: it adds its check to each route with integer query parameters as it is added.
  await app.register(queryIntegers);
  await app.register(awsClients);
  await app.register(stores);
  await app.register(database);
  await app.register(auth, { verifyPassword });
  await app.register(sessions);
  await app.register(exportQueue);
  await app.register(webhookQueue);
  await app.register(exportFiles);
  await app.register(exportScheduler);
  await app.register(linkKeys);

  // The API speaks JSON only: any other body is a 415, not a string handed to a route.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    // API answers are per caller and often carry tokens or signed URLs: not for shared caches.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // Routes. Each declares `config.access` (see plugins/auth.ts); a new resource
  // (e.g. /v1/export-schedules) is one more folder under routes/ registered here.
  await app.register(healthRoutes);
  await app.register(docsRoutes, { ui: swaggerUi });
  await app.register(authRoutes, { prefix: '/v1/auth' });
  await app.register(userRoutes, { prefix: '/v1' });
  await app.register(exportRoutes, { prefix: '/v1/exports' });
  await app.register(exportScheduleRoutes, { prefix: '/v1/export-schedules' });
  await app.register(webhookEndpointRoutes, { prefix: '/v1/webhook-endpoints' });
  // The emailed links' own routes (no access token: the link's signed token is the credential).
  await app.register(linkRoutes, { prefix: '/v1' });
};

/** Builds the API; `listen` (server.ts) or `inject` (tests) it. Clients to AWS and PostgreSQL close with the app. */
export function buildApp(config: ApiConfig, overrides: AppOverrides = {}): FastifyInstance {
  const app = Fastify(serverOptions(config, overrides));
  // First, so that every route, wherever it is added, must declare who may call it (plugins/auth.ts).
  app.addHook('onRoute', routeAccessHook(app));
  app.register(fp(serviceApp, { name: 'service-app' }), {
    config,
    now: overrides.now,
    verifyPassword: overrides.verifyPassword,
    swaggerUi: overrides.swaggerUi,
  });
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
          'refresh_token',
          '*.refresh_token',
          'req.body.refresh_token',
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
