import { dataOf, ensureOk } from '../api-call.js';
import type { paths } from '../generated/api.js';
import type { ExportSchedule, ExportScheduleList, JsonRequestBody } from '../types.js';
import type { CallOptions, ResourceContext } from './context.js';

/**
 * When a schedule runs: the API's request body, with its snake_case names
 * (`day_of_month`, `time_of_day`, `time_zone`), the same names a schedule is
 * returned with. Every field is optional; what you leave out keeps its value
 * (or the API's default on create: the 1st, `06:00`, `UTC`). `time_zone` is
 * an IANA name such as `Europe/Berlin`; the schedule follows its daylight-saving changes.
 */
export type ScheduleTiming = Readonly<JsonRequestBody<paths['/v1/export-schedules']['post']>>;

export interface SchedulesResource {
  /**
   * Subscribes to a monthly export: on `day_of_month` at `time_of_day` in
   * `time_zone` the platform exports all your memberships and emails you the
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

export function createSchedulesResource(ctx: ResourceContext): SchedulesResource {
  const { raw } = ctx;
  const byId = (id: string) => ({ path: { id } });

  return {
    async create(timing = {}, options = {}) {
      return dataOf(await raw.POST('/v1/export-schedules', { body: timing, signal: options.signal }));
    },

    async list(options = {}) {
      return dataOf(await raw.GET('/v1/export-schedules', { signal: options.signal }));
    },

    async get(id, options = {}) {
      return dataOf(await raw.GET('/v1/export-schedules/{id}', { params: byId(id), signal: options.signal }));
    },

    async update(id, changes, options = {}) {
      return dataOf(await raw.PATCH('/v1/export-schedules/{id}', { params: byId(id), body: changes, signal: options.signal }));
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
