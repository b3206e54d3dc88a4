import {
  InvalidScheduleError,
  applyScheduleChanges,
  exportOptionsFingerprint,
  exportOptionsOf,
  readExportOptions,
  validateScheduleTiming,
  type ExportOptions,
  type ExportSchedule,
  type ScheduleChanges,
  type ScheduleProblem,
} from '@memberships/core/contract';
import { ScheduleLimitReachedError, ScheduleNotFoundError, ScheduleVersionConflictError } from '@memberships/core/dynamodb';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import {
  InvalidScheduleProblem,
  ScheduleChangedProblem,
  ScheduleLimitReachedProblem,
  ScheduleNotFoundProblem,
  SchedulerUnavailableProblem,
} from '../../errors';
import type { FieldError } from '../../schemas/problem';
import { schedulePath, toScheduleResource } from './schedule-resource';
import {
  createScheduleSchema,
  deleteScheduleSchema,
  getScheduleSchema,
  listSchedulesSchema,
  pauseScheduleSchema,
  resumeScheduleSchema,
  updateScheduleSchema,
  type ScheduleIdParams,
  type ScheduleTimingBody,
} from './schemas';

/**
 * Monthly export subscriptions: `/v1/export-schedules/*`. Every route acts
 * only on the caller's own schedules; another user's is "not found".
 *
 * Each schedule is a record (ScheduleStore, the source of truth) plus an
 * EventBridge Scheduler schedule derived from it (app.exportScheduler). The
 * two cannot be written atomically, so the order of the writes is chosen so
 * that a failure in between leaves nothing that fires for a schedule the user
 * does not have (README "Consistency"):
 * - create: record, then CreateSchedule; if that fails, the record is deleted again → 503.
 * - change, pause, resume: UpdateSchedule with the new definition first, then the
 *   conditional record update; if that fails, the Scheduler gets the record's definition back.
 * - delete: DeleteSchedule first (already gone is fine), then the record; if the
 *   Scheduler call fails, the record stays and the user can retry → 503.
 * The worker skips ticks of missing or paused schedules, and reconcileSchedules()
 * removes Scheduler schedules left behind by a crash between the two writes.
 */
const exportScheduleRoutes: FastifyPluginAsync = async (app) => {
  const read = { config: { access: 'schedules:read' as const } };
  const write = { config: { access: 'schedules:write' as const } };

  const withOptions = { ...write, preValidation: readScheduleOptions };

  app.post<{ Body: ScheduleTimingBody | undefined }>('', { schema: createScheduleSchema, ...withOptions }, async (request, reply) => {
    const userId = request.user.userId;
    const body = request.body ?? {};
    const options = scheduleOptions.get(request);
    const schedule = await storeCall(() =>
      app.scheduleStore.create({
        userId,
        ...(body.day_of_month !== undefined ? { dayOfMonth: body.day_of_month } : {}),
        ...(body.time_of_day !== undefined ? { timeOfDay: body.time_of_day } : {}),
        ...(body.time_zone !== undefined ? { timeZone: body.time_zone } : {}),
        ...(options ? { options } : {}),
      }),
    );
    const log = request.log.child({ scheduleId: schedule.id });
    try {
      await app.exportScheduler.create(schedule);
    } catch (error) {
      await undoCreate(app, schedule, log);
      throw new SchedulerUnavailableProblem('The schedule could not be set up and was not created. Retry in a moment.', error);
    }
    log.info(
      { expression: app.exportScheduler.definition(schedule).ScheduleExpression, timeZone: schedule.timeZone },
      'export schedule created',
    );
    return reply.code(201).header('location', schedulePath(schedule.id)).send(toScheduleResource(schedule, app.clock.now()));
  });

  app.get('', { schema: listSchedulesSchema, ...read }, async (request) => {
    const schedules = await app.scheduleStore.listForUser(request.user.userId);
    const now = app.clock.now();
    return { items: schedules.map((schedule) => toScheduleResource(schedule, now)) };
  });

  app.get<{ Params: ScheduleIdParams }>('/:id', { schema: getScheduleSchema, ...read }, async (request) =>
    toScheduleResource(await ownSchedule(app, request.params.id, request.user.userId), app.clock.now()),
  );

  app.patch<{ Params: ScheduleIdParams; Body: ScheduleTimingBody | undefined }>(
    '/:id',
    { schema: updateScheduleSchema, ...withOptions },
    async (request) => {
      const body = request.body ?? {};
      const changed = await changeSchedule(app, request.params.id, request.user.userId, request.log, {
        dayOfMonth: body.day_of_month,
        timeOfDay: body.time_of_day,
        timeZone: body.time_zone,
        options: scheduleOptions.get(request),
      });
      return toScheduleResource(changed, app.clock.now());
    },
  );

  app.post<{ Params: ScheduleIdParams }>('/:id/pause', { schema: pauseScheduleSchema, ...write }, async (request) =>
    toScheduleResource(
      await changeSchedule(app, request.params.id, request.user.userId, request.log, { state: 'paused' }),
      app.clock.now(),
    ),
  );

  app.post<{ Params: ScheduleIdParams }>('/:id/resume', { schema: resumeScheduleSchema, ...write }, async (request) =>
    toScheduleResource(
      await changeSchedule(app, request.params.id, request.user.userId, request.log, { state: 'active' }),
      app.clock.now(),
    ),
  );

  app.delete<{ Params: ScheduleIdParams }>('/:id', { schema: deleteScheduleSchema, ...write }, async (request, reply) => {
    const schedule = await ownSchedule(app, request.params.id, request.user.userId);
    const log = request.log.child({ scheduleId: schedule.id });
    try {
      await app.exportScheduler.delete(schedule.id);
    } catch (error) {
      // The record stays: the schedule still exists for the user, who can retry.
      throw new SchedulerUnavailableProblem('The schedule could not be deleted; it is unchanged. Retry in a moment.', error);
    }
    // false: a concurrent delete got there first; the outcome the user asked for holds either way.
    await app.scheduleStore.delete(schedule.id, schedule.userId);
    log.info('export schedule deleted');
    return reply.code(204).send();
  });
};

export default exportScheduleRoutes;

async function ownSchedule(app: FastifyInstance, id: string, userId: string): Promise<ExportSchedule> {
  const schedule = await app.scheduleStore.getForUser(id, userId);
  if (!schedule) throw new ScheduleNotFoundProblem(id);
  return schedule;
}

/**
 * Change, pause or resume: the Scheduler first, then the record (conditional
 * on the version read). A change that changes nothing writes nothing. Also
 * the pause of the monthly email's link (routes/links).
 */
export async function changeSchedule(
  app: FastifyInstance,
  id: string,
  userId: string,
  requestLog: FastifyBaseLogger,
  changes: ScheduleChanges,
): Promise<ExportSchedule> {
  const current = await ownSchedule(app, id, userId);
  const log = requestLog.child({ scheduleId: id });
  const next = await storeCall(async () => applyScheduleChanges(current, changes, app.clock.now()));
  // The Scheduler's schedule holds the timing and state only: new export options are the record's alone.
  const schedulerChanges = !sameDefinition(current, next);
  if (!schedulerChanges && sameOptions(current, next)) return current;

  if (schedulerChanges) {
    try {
      await app.exportScheduler.update(next);
    } catch (error) {
      throw new SchedulerUnavailableProblem('The schedule could not be changed; it is unchanged. Retry in a moment.', error);
    }
  }
  try {
    const saved = await app.scheduleStore.update({ id, userId, expectedVersion: current.version, changes });
    log.info(
      { state: saved.state, expression: app.exportScheduler.definition(saved).ScheduleExpression, timeZone: saved.timeZone },
      'export schedule changed',
    );
    return saved;
  } catch (error) {
    // The Scheduler has a definition the record does not: give it the record's back.
    if (schedulerChanges) await restoreScheduler(app, id, log);
    if (error instanceof ScheduleNotFoundError) throw new ScheduleNotFoundProblem(id);
    if (error instanceof ScheduleVersionConflictError) throw new ScheduleChangedProblem(id);
    throw error;
  }
}

/**
 * After a failed record update, puts the Scheduler back in line with the
 * record as it is now: the definition of another request's change that won,
 * or no schedule when the record was deleted meanwhile. Failing that, the
 * reconciler repairs it; the worker checks the record at every tick anyway.
 */
async function restoreScheduler(app: FastifyInstance, id: string, log: FastifyBaseLogger): Promise<void> {
  try {
    const record = await app.scheduleStore.get(id);
    if (record) await app.exportScheduler.update(record);
    else await app.exportScheduler.delete(id);
    log.warn({ restored: record ? 'definition' : 'deleted' }, 'record update failed; Scheduler schedule restored from the record');
  } catch (error) {
    log.error({ err: error }, 'could not restore the Scheduler schedule after a failed record update; run the reconciler');
  }
}

/**
 * Compensation of a create whose CreateSchedule failed: the record goes (so
 * the user does not have a schedule that never fires) and, in case the
 * Scheduler did create it before failing to answer, so does its schedule.
 */
async function undoCreate(app: FastifyInstance, schedule: ExportSchedule, log: FastifyBaseLogger): Promise<void> {
  let recordDeleted = false;
  for (let attempt = 1; attempt <= 3 && !recordDeleted; attempt += 1) {
    try {
      await app.scheduleStore.delete(schedule.id, schedule.userId);
      recordDeleted = true;
    } catch (error) {
      log.error({ err: error, attempt }, 'could not delete the record of a schedule the Scheduler did not take');
    }
  }
  if (!recordDeleted) {
    log.error('schedule record left without its Scheduler schedule; the reconciler will create it');
    return;
  }
  try {
    await app.exportScheduler.delete(schedule.id);
  } catch (error) {
    // Without a record the worker skips its ticks; the reconciler deletes it.
    log.warn({ err: error }, 'could not delete a possibly created Scheduler schedule; left to the reconciler');
  }
  log.warn('export schedule not created: the Scheduler did not take it');
}

/** Whether a change would change nothing the Scheduler holds (the user's timing and the state). */
function sameDefinition(a: ExportSchedule, b: ExportSchedule): boolean {
  return a.dayOfMonth === b.dayOfMonth && a.timeOfDay === b.timeOfDay && a.timeZone === b.timeZone && a.state === b.state;
}

/** Whether two schedules start the same exports (a schedule without options starts default ones). */
function sameOptions(a: ExportSchedule, b: ExportSchedule): boolean {
  return exportOptionsFingerprint(exportOptionsOf(a)) === exportOptionsFingerprint(exportOptionsOf(b));
}

/** The export options read from each create or change body that has `export`, before the schema's validator sees it. */
const scheduleOptions = new WeakMap<FastifyRequest, ExportOptions>();

/**
 * Reads `export` of a create or change body before schema validation, with
 * core's reader, which lists every bad field at once (the validator would
 * stop at the first). When they are bad, the timing's problems are listed
 * too, so one answer names everything to fix.
 */
async function readScheduleOptions(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('export' in body)) return;
  const { export: value, day_of_month, time_of_day, time_zone } = body as Record<string, unknown>;
  const result = readExportOptions(value, 'export.');
  if (result.ok) {
    scheduleOptions.set(request, result.options);
    return;
  }
  const errors: FieldError[] = [];
  try {
    validateScheduleTiming({ dayOfMonth: day_of_month, timeOfDay: time_of_day, timeZone: time_zone });
  } catch (error) {
    if (!(error instanceof InvalidScheduleError)) throw error;
    errors.push(...error.problems.map(fieldError));
  }
  errors.push(...result.problems.map((problem) => ({ in: 'body', field: problem.field, message: problem.message })));
  throw new InvalidScheduleProblem(errors);
}

/** Turns the store's domain errors into the API's problems. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InvalidScheduleError) throw new InvalidScheduleProblem(error.problems.map(fieldError));
    if (error instanceof ScheduleLimitReachedError) throw new ScheduleLimitReachedProblem(error.limit);
    throw error;
  }
}

const FIELD_NAMES: Readonly<Record<ScheduleProblem['field'], string>> = {
  dayOfMonth: 'day_of_month',
  timeOfDay: 'time_of_day',
  timeZone: 'time_zone',
  state: 'state',
};

function fieldError(problem: ScheduleProblem): FieldError {
  return { in: 'body', field: FIELD_NAMES[problem.field], message: problem.message };
}
