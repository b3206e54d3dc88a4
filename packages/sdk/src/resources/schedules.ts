import { dataOf, ensureOk } from '../api-call.js';
import type { ExportSchedule, ExportScheduleList } from '../types.js';
import type { CallOptions, ResourceContext } from './context.js';

/** When a schedule runs. Every field is optional; what you leave out keeps its value (or the API's default on create). */
export interface ScheduleTiming {
  /** Day of the month, 1–28 (so every month has it). API default on create: 1. */
  readonly dayOfMonth?: number | undefined;
  /** Local time of day, `HH:MM` on a 24-hour clock. API default on create: `06:00`. */
  readonly timeOfDay?: string | undefined;
  /**
   * IANA time zone the time of day is in, e.g. `Europe/Berlin`; the schedule
   * follows its daylight-saving changes. API default on create: `UTC`.
   */
  readonly timeZone?: string | undefined;
}

export interface SchedulesResource {
  /**
   * Subscribes to a monthly export: on `dayOfMonth` at `timeOfDay` in
   * `timeZone` the platform exports all your memberships and emails you the
   * file. Returns the new schedule (state `active`).
   * ApiError (400) for an invalid day, time or zone; `schedule_limit_reached` (409)
   * when you already have the maximum number of schedules; `scheduler_unavailable` (503)
   * when nothing was created and you can simply try again.
   */
  create(timing?: ScheduleTiming, options?: CallOptions): Promise<ExportSchedule>;
  /** All of your schedules: `{ items }`. */
  list(options?: CallOptions): Promise<ExportScheduleList>;
  /** One schedule. ApiError `schedule_not_found` (404) for unknown ids and other users' schedules. */
  get(id: string, options?: CallOptions): Promise<ExportSchedule>;
  /** Changes when a schedule runs; fields left out stay as they are. Returns the changed schedule. */
  update(id: string, changes: ScheduleTiming, options?: CallOptions): Promise<ExportSchedule>;
  /** Stops a schedule from running until it is resumed (`state: 'paused'`, `next_run_at: null`). Pausing a paused schedule is fine. */
  pause(id: string, options?: CallOptions): Promise<ExportSchedule>;
  /** Lets a paused schedule run again from its next date on; missed months are not made up. Resuming an active schedule is fine. */
  resume(id: string, options?: CallOptions): Promise<ExportSchedule>;
  /** Deletes a schedule for good. ApiError `schedule_not_found` (404) when it does not exist (any more). */
  delete(id: string, options?: CallOptions): Promise<void>;
}

/** The API's snake_case body from the SDK's camelCase timing; absent fields stay absent. */
export function timingBody(timing: ScheduleTiming): { day_of_month?: number; time_of_day?: string; time_zone?: string } {
  const body: { day_of_month?: number; time_of_day?: string; time_zone?: string } = {};
  if (timing.dayOfMonth !== undefined) body.day_of_month = timing.dayOfMonth;
  if (timing.timeOfDay !== undefined) body.time_of_day = timing.timeOfDay;
  if (timing.timeZone !== undefined) body.time_zone = timing.timeZone;
  return body;
}

export function createSchedulesResource(ctx: ResourceContext): SchedulesResource {
  const { raw } = ctx;
  const byId = (id: string) => ({ path: { id } });

  return {
    async create(timing = {}, options = {}) {
      return dataOf(await raw.POST('/v1/export-schedules', { body: timingBody(timing), signal: options.signal }));
    },

    async list(options = {}) {
      return dataOf(await raw.GET('/v1/export-schedules', { signal: options.signal }));
    },

    async get(id, options = {}) {
      return dataOf(await raw.GET('/v1/export-schedules/{id}', { params: byId(id), signal: options.signal }));
    },

    async update(id, changes, options = {}) {
      return dataOf(await raw.PATCH('/v1/export-schedules/{id}', { params: byId(id), body: timingBody(changes), signal: options.signal }));
    },

    async pause(id, options = {}) {
      return dataOf(await raw.POST('/v1/export-schedules/{id}/pause', { params: byId(id), signal: options.signal }));
    },

    async resume(id, options = {}) {
      return dataOf(await raw.POST('/v1/export-schedules/{id}/resume', { params: byId(id), signal: options.signal }));
    },

    async delete(id, options = {}) {
      ensureOk(await raw.DELETE('/v1/export-schedules/{id}', { params: byId(id), signal: options.signal }));
    },
  };
}
