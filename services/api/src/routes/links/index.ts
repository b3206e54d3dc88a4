// Types of app.rateLimit (the plugin is registered in app.ts).
import type {} from '@fastify/rate-limit';
import { emailsDownloadLinks, PAUSE_LINK_DAYS, verifyLink, type LinkPurpose, type VerifiedLink } from '@memberships/core/contract';
import type { FastifyPluginAsync } from 'fastify';
import { ExportNotFoundError, ScheduleNotFoundProblem } from '../../errors';
import { problemFor } from '../../plugins/problem-details';
import { changeSchedule } from '../export-schedules';
import { sendFile } from '../exports/file-delivery';
import { detailParts, sendPage, wantsHtml } from './link-pages';
import { LinkRefusedProblem } from './link-problems';
import { fileLinkSchema, pauseLinkPageSchema, pauseLinkSchema, type LinkParams, type LinkQuery } from './schemas';

/**
 * The links the emails carry, under `/v1`: they need no access token, the
 * signed token in the URL is the credential (core's links/signed-link.ts).
 * - `GET /exports/{id}/file?token=`: the download link, answered with a
 *   fresh 5-minute presigned URL per click and recorded.
 * - `GET /export-schedules/{id}/pause-link?token=`: a page with one button;
 *   `POST` to the same URL pauses (the button, and RFC 8058 one-click from
 *   the email's List-Unsubscribe header). A GET changes nothing, because mail
 *   scanners open every link of a message.
 * A person clicking gets pages, a script JSON: every problem here is a page
 * when the request accepts HTML (the error handler below).
 */
const linkRoutes: FastifyPluginAsync = async (app) => {
  const { rateLimits } = app.config;
  // Per address: nobody is signed in. Guessing a token is hopeless (HMAC-SHA256); this bounds the cost of trying.
  const linkLimit = app.rateLimit({
    max: rateLimits.exportReads,
    timeWindow: rateLimits.windowSeconds * 1000,
    keyGenerator: (request) => `links:${request.ip}`,
  });
  const route = { config: { access: 'public' as const }, onRequest: [linkLimit] };

  // RFC 8058 §3.1: the one-click POST comes as a form (urlencoded or multipart); its content is fixed and unused.
  app.addContentTypeParser(
    ['application/x-www-form-urlencoded', 'multipart/form-data'],
    { parseAs: 'string', bodyLimit: 4096 },
    (_request, body, done) => done(null, body),
  );

  app.setErrorHandler(async (error, request, reply) => {
    // Scripts get the API's problem details from the app's handler.
    if (!wantsHtml(request)) throw error;
    const problem = problemFor(error);
    if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, problem.detail);
    for (const [name, value] of Object.entries(problem.headers ?? {})) reply.header(name, value);
    return sendPage(reply, problem.status, { title: problem.title, paragraphs: [detailParts(problem.detail)], reference: request.id });
  });

  /** The token's grant for this URL, or the problem that says why not (keys re-read once if it names a newer key). */
  async function verified(token: string, purpose: LinkPurpose, subject: string): Promise<VerifiedLink> {
    const keyring = await app.linkKeys.keyringFor(token);
    // No link lives longer than its kind is issued for: a download link the file retention, a pause link 62 days.
    const maxLifetimeSeconds = (purpose === 'download' ? app.config.fileRetentionDays : PAUSE_LINK_DAYS) * DAY_SECONDS;
    const check = verifyLink(token, { purpose, subject, maxLifetimeSeconds }, keyring, app.clock.now());
    if (!check.valid) throw new LinkRefusedProblem(check.reason, purpose);
    return check.link;
  }

  app.get<{ Params: LinkParams; Querystring: LinkQuery }>(
    '/exports/:id/file',
    { schema: fileLinkSchema, ...route },
    async (request, reply) => {
      const { id } = request.params;
      const link = await verified(request.query.token, 'download', id);
      const job = await app.jobStore.get(id);
      if (!job) throw new ExportNotFoundError(id);
      if (job.userId !== link.userId) throw new LinkRefusedProblem('other_link', 'download');
      if (job.linksRevokedAt && link.issuedAt.getTime() < Date.parse(job.linksRevokedAt))
        throw new LinkRefusedProblem('revoked', 'download');
      const user = await app.userStore.get(link.userId);
      // Links off for the account turns off the links already emailed too; a deleted account has none.
      if (!user || !emailsDownloadLinks(user)) throw new LinkRefusedProblem('revoked', 'download');
      return sendFile(app, request, reply, job, 'email_link');
    },
  );

  app.get<{ Params: LinkParams; Querystring: LinkQuery }>(
    '/export-schedules/:id/pause-link',
    { schema: pauseLinkPageSchema, ...route },
    async (request, reply) => {
      const { id } = request.params;
      const schedule = await linkedSchedule(await verified(request.query.token, 'pause', id), id);
      if (schedule.state === 'paused') return sendPage(reply, 200, pausedPage(id));
      return sendPage(reply, 200, {
        title: 'Pause your monthly export?',
        paragraphs: [
          [
            `Your memberships export is emailed to you every month, on day ${schedule.dayOfMonth} at ${schedule.timeOfDay} (${schedule.timeZone}).`,
          ],
          ['Pausing stops these emails until you resume the subscription. Nothing is deleted.'],
        ],
        form: { action: request.url, button: 'Pause monthly exports' },
      });
    },
  );

  app.post<{ Params: LinkParams; Querystring: LinkQuery }>(
    '/export-schedules/:id/pause-link',
    { schema: pauseLinkSchema, ...route },
    async (request, reply) => {
      const { id } = request.params;
      const link = await verified(request.query.token, 'pause', id);
      await linkedSchedule(link, id);
      const paused = await changeSchedule(app, id, link.userId, request.log, { state: 'paused' });
      request.log.info({ scheduleId: id }, 'export schedule paused from its email link');
      if (wantsHtml(request)) return sendPage(reply, 200, pausedPage(id));
      return { id: paused.id, state: 'paused' };
    },
  );

  async function linkedSchedule(link: VerifiedLink, id: string) {
    const schedule = await app.scheduleStore.get(id);
    if (!schedule) throw new ScheduleNotFoundProblem(id);
    if (schedule.userId !== link.userId) throw new LinkRefusedProblem('other_link', 'pause');
    return schedule;
  }
};

const DAY_SECONDS = 86_400;

function pausedPage(id: string) {
  return {
    title: 'Monthly export paused',
    paragraphs: [
      ['No more monthly exports will be emailed to you until you resume the subscription.'],
      ['To resume it, sign in to the app, or run ', { code: `memberships schedule resume ${id}` }, '.'],
    ],
  };
}

export default linkRoutes;
