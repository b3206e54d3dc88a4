// Types of app.rateLimit (the plugin is registered in app.ts).
import type {} from '@fastify/rate-limit';
import {
  DomainError,
  eventOccurredMessage,
  readState,
  exportRequestedMessage,
  type ExportJob,
  type ExportOptions,
} from '@memberships/core/contract';
import { IdempotencyKeyReusedError, InvalidCursorError, type JobStore } from '@memberships/core/dynamodb';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { EnqueueFailedError, ExportCreateConflictError, ExportNotFoundError, InvalidCursorProblem } from '../../errors';
import { ExportAlreadyFinishedError } from './cancel-problems';
import { IdempotencyKeyReusedProblem, optionsFromBody } from './create-problems';
import { downloadChannel, sendFile, toDownloadResource } from './file-delivery';
import { exportPath, toJobResource, type ExportJobResource } from './job-resource';
import {
  cancelExportSchema,
  createExportSchema,
  downloadExportSchema,
  EXPORT_REQUEST_HEADER,
  getExportSchema,
  listDownloadsSchema,
  listExportsSchema,
  revokeLinksSchema,
  type CreateExportHeaders,
  type JobIdParams,
  type ListExportsQuery,
} from './schemas';

const ENQUEUE_FAILED = {
  code: 'enqueue_failed',
  message: 'The export could not be queued. Request a new export.',
};

/**
 * Export jobs: `/v1/exports/*`. Every route acts only on the caller's own
 * exports. Requests are rate-limited per user (after authentication, which
 * the access declaration puts first): one budget for the reads, a smaller
 * one for creating exports.
 */
const exportRoutes: FastifyPluginAsync = async (app) => {
  const { rateLimits, requeueAfterSeconds } = app.config;
  const perUser = (bucket: string) => (request: FastifyRequest) => `${bucket}:${request.user?.userId ?? request.ip}`;
  const readLimit = app.rateLimit({
    max: rateLimits.exportReads,
    timeWindow: rateLimits.windowSeconds * 1000,
    keyGenerator: perUser('exports-read'),
  });
  const writeLimit = app.rateLimit({
    max: rateLimits.exportWrites,
    timeWindow: rateLimits.windowSeconds * 1000,
    keyGenerator: perUser('exports-write'),
  });
  const read = { config: { access: 'exports:read' as const }, onRequest: [readLimit] };
  const resource = (job: ExportJob) => toJobResource(job, app.clock.now(), app.config.fileRetentionDays);

  app.post<{ Headers: CreateExportHeaders; Reply: ExportJobResource }>(
    '',
    { schema: createExportSchema, config: { access: 'exports:write' }, onRequest: [writeLimit], preValidation: readOptions },
    async (request, reply) => {
      const userId = request.user.userId;
      const result = await createJob(app.jobStore, {
        userId,
        trigger: 'api',
        idempotencyKey: request.headers['idempotency-key'],
        options: requestOptions.get(request) ?? optionsFromBody(request.body),
      });
      const job = result.job;
      const log = request.log.child({ jobId: job.id });

      if (result.created) {
        try {
          await app.exportQueue.enqueue(exportRequestedMessage(job));
        } catch (error) {
          // No message means no worker will ever pick the job up: fail it now so
          // it does not block the user's next export as a forever-queued one.
          await failUnqueuedJob(app.jobStore, job.id, log);
          throw new EnqueueFailedError(error);
        }
        log.info({ format: job.options?.format, compression: job.options?.compression }, 'export requested');
      } else {
        log.info({ reason: result.reason }, 'existing export returned');
        await requeueIfStalled(app, job, requeueAfterSeconds, log);
        reply.header(EXPORT_REQUEST_HEADER, 'existing');
      }
      return reply.code(202).header('location', exportPath(job.id)).send(resource(job));
    },
  );

  app.get<{ Querystring: ListExportsQuery }>('', { schema: listExportsSchema, ...read }, async (request) => {
    const { limit, cursor } = request.query;
    try {
      const page = await app.jobStore.listForUser(request.user.userId, { limit, cursor });
      return {
        items: page.jobs.map(resource),
        ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
      };
    } catch (error) {
      if (error instanceof InvalidCursorError) throw new InvalidCursorProblem();
      throw error;
    }
  });

  app.get<{ Params: JobIdParams }>('/:id', { schema: getExportSchema, ...read }, async (request) =>
    resource(await ownJob(app.jobStore, request.params.id, request.user.userId)),
  );

  // Same scope and budget as creating an export: both change what the workers do for you.
  app.post<{ Params: JobIdParams; Reply: ExportJobResource }>(
    '/:id/cancel',
    { schema: cancelExportSchema, config: { access: 'exports:write' }, onRequest: [writeLimit] },
    async (request) => {
      const { id } = request.params;
      const result = await app.jobStore.cancel(id, request.user.userId);
      if (result.outcome === 'not_found') throw new ExportNotFoundError(id);
      if (result.outcome === 'final') {
        throw new ExportAlreadyFinishedError(id, readState(result.job, app.clock.now(), app.config.fileRetentionDays));
      }
      request.log.info({ jobId: id, was: result.was }, 'export canceled');
      // The transition emits the completion event (a cancel of a canceled export is a 409 above, and
      // emits nothing). A send that keeps failing is logged: the cancel stands either way.
      const job = result.job;
      await app.webhookQueue.emitEvent(
        eventOccurredMessage(job.id, job.userId, 'export.canceled', job.finishedAt ?? app.clock.now().toISOString()),
        request.log.child({ jobId: id }),
      );
      return resource(job);
    },
  );

  app.get<{ Params: JobIdParams }>('/:id/download', { schema: downloadExportSchema, ...read }, async (request, reply) => {
    const job = await ownJob(app.jobStore, request.params.id, request.user.userId);
    return sendFile(app, request, reply, job, downloadChannel(request.headers['user-agent']));
  });

  app.get<{ Params: JobIdParams }>('/:id/downloads', { schema: listDownloadsSchema, ...read }, async (request) => {
    const job = await ownJob(app.jobStore, request.params.id, request.user.userId);
    return {
      download_count: job.downloadCount ?? 0,
      ...(job.lastDownloadedAt ? { last_downloaded_at: job.lastDownloadedAt } : {}),
      items: [...(job.downloads ?? [])].reverse().map(toDownloadResource),
    };
  });

  // A link forwarded by mistake, or a mailbox someone else reads: the owner can stop the emailed link at once.
  app.delete<{ Params: JobIdParams }>(
    '/:id/link',
    { schema: revokeLinksSchema, config: { access: 'exports:write' }, onRequest: [writeLimit] },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await app.jobStore.revokeLinks(id, request.user.userId))) throw new ExportNotFoundError(id);
      request.log.info({ jobId: id }, 'emailed download link revoked');
      return reply.code(204).send();
    },
  );
};

export default exportRoutes;

/** The options read from each create request's body, before the schema's validator sees (and might change) it. */
const requestOptions = new WeakMap<FastifyRequest, ExportOptions>();

/**
 * Reads the export options of POST /v1/exports before schema validation:
 * core's reader lists every bad field in one problem, where the validator
 * would stop at the first. No body stands for `{}` (the defaults), so the
 * body schema, which wants an object, holds for it too.
 */
async function readOptions(request: FastifyRequest): Promise<void> {
  requestOptions.set(request, optionsFromBody(request.body));
  if (request.body === undefined || request.body === null) request.body = {};
}

async function ownJob(store: JobStore, id: string, userId: string): Promise<ExportJob> {
  const job = await store.getForUser(id, userId);
  if (!job) throw new ExportNotFoundError(id);
  return job;
}

async function createJob(store: JobStore, input: Parameters<JobStore['create']>[0]) {
  try {
    return await store.create(input);
  } catch (error) {
    if (error instanceof IdempotencyKeyReusedError) throw new IdempotencyKeyReusedProblem(error.jobId);
    if (error instanceof DomainError && error.code === 'job_create_conflict') {
      throw new ExportCreateConflictError(error);
    }
    throw error;
  }
}

/**
 * Marks a job whose message could not be sent as failed. Retried a little,
 * since a job left queued without a message would block the user's exports
 * until its record expires; if even that fails, the log says which job.
 */
async function failUnqueuedJob(store: JobStore, jobId: string, log: FastifyBaseLogger): Promise<void> {
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      await store.fail(jobId, ENQUEUE_FAILED);
      log.warn('export could not be queued; job marked failed');
      return;
    } catch (error) {
      log.error({ err: error, attempt }, 'could not mark the unqueued export failed');
    }
  }
  log.error('export left queued without a message; it blocks new exports of this user until it expires');
}

/**
 * Closes the gap between creating a job and sending its message: if the API
 * died in between, the job stays queued with no message and blocks the
 * user's new exports. A queued job no worker has started after
 * `afterSeconds` gets its message sent again — by one request only, and at
 * most once per `afterSeconds` (JobStore.markRequeued). A duplicate message is
 * harmless: the worker's claim is conditional.
 */
async function requeueIfStalled(app: FastifyInstance, job: ExportJob, afterSeconds: number, log: FastifyBaseLogger): Promise<void> {
  // Scheduled exports are created by the worker from a redelivered schedule message: only API ones can stall this way.
  if (job.trigger !== 'api' || job.state !== 'queued' || job.attempts > 0) return;
  const staleBefore = new Date(app.clock.now().getTime() - afterSeconds * 1000);
  if (Date.parse(job.createdAt) > staleBefore.getTime()) return;
  try {
    if (!(await app.jobStore.markRequeued(job.id, staleBefore))) return;
    await app.exportQueue.enqueue(exportRequestedMessage(job));
    log.warn(
      { ageSeconds: Math.round((app.clock.now().getTime() - Date.parse(job.createdAt)) / 1000) },
      'stalled export: message sent again',
    );
  } catch (error) {
    // The existing job is still the right answer; the next request tries again.
    log.error({ err: error }, 'could not send the message of a stalled export again');
  }
}
