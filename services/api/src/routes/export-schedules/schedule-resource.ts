import {
  exportOptionsOf,
  exportOptionsResource,
  nextRunAt,
  type ExportOptionsResource,
  type ExportSchedule,
  type ScheduleState,
} from '@memberships/core/contract';

/** The public JSON of an export schedule; see schemas/export-schedule.ts. */
export interface ExportScheduleResource {
  readonly id: string;
  readonly day_of_month: number;
  readonly time_of_day: string;
  readonly time_zone: string;
  readonly export: ExportOptionsResource;
  readonly state: ScheduleState;
  readonly created_at: string;
  readonly updated_at: string;
  readonly next_run_at: string | null;
  readonly last_run_at?: string;
  readonly links: { readonly self: string };
}

export const SCHEDULES_PATH = '/v1/export-schedules';

export function schedulePath(id: string): string {
  return `${SCHEDULES_PATH}/${encodeURIComponent(id)}`;
}

/**
 * Maps the stored schedule to its public shape, field by field (the user id
 * and version never leave the API). `next_run_at` is the nominal time of the
 * next tick after `now`; the export starts within the flexible window after it.
 */
export function toScheduleResource(schedule: ExportSchedule, now: Date): ExportScheduleResource {
  return {
    id: schedule.id,
    day_of_month: schedule.dayOfMonth,
    time_of_day: schedule.timeOfDay,
    time_zone: schedule.timeZone,
    // On every schedule: one made before options existed starts default exports, and says so.
    export: exportOptionsResource(exportOptionsOf(schedule)),
    state: schedule.state,
    created_at: schedule.createdAt,
    updated_at: schedule.updatedAt,
    next_run_at: schedule.state === 'active' ? nextRunAt(schedule, now).toISOString() : null,
    ...(schedule.lastFiredAt ? { last_run_at: schedule.lastFiredAt } : {}),
    links: { self: schedulePath(schedule.id) },
  };
}
