import { DEFAULT_SCHEDULES_PER_USER, SCHEDULE_DEFAULTS, SCHEDULE_STATES } from '@memberships/core/contract';
import { exportOptionsBodySchema, exportOptionsSchema } from './export-job';

/**
 * The public shape of an export schedule (snake_case), a projection of the
 * core ExportSchedule: the user id, version and internal bookkeeping are not
 * in it.
 */
const timestamp = { type: 'string', format: 'date-time' } as const;

/** The timing fields, shared by the schedule and the create/change bodies. Ranges are checked by the route (400 `invalid_schedule`). */
export const scheduleTimingProperties = {
  day_of_month: {
    type: 'integer',
    description: `Day of the month, 1 to 28 (every month has it). Default ${SCHEDULE_DEFAULTS.dayOfMonth}.`,
  },
  time_of_day: {
    type: 'string',
    description: `Local time of day, 24-hour \`HH:MM\` (00:00 to 23:59). Default \`${SCHEDULE_DEFAULTS.timeOfDay}\`.`,
  },
  time_zone: {
    type: 'string',
    description: `IANA time zone name, e.g. \`Europe/Berlin\` (matched case-insensitively). Default \`${SCHEDULE_DEFAULTS.timeZone}\`.`,
  },
} as const;

/**
 * The options of the exports a schedule starts, in a create or change body:
 * the body of POST /v1/exports, under `export` (beside the schedule's own
 * `time_zone`, which says when it runs, not how timestamps are written).
 */
export const scheduleExportProperty = {
  export: {
    ...exportOptionsBodySchema,
    description:
      'The options of every export this schedule starts: the same fields, defaults and checks as the body of ' +
      '`POST /v1/exports` (`{}`: the default file). On a change, `export` replaces the options as a whole; left out, ' +
      'they are kept. Every bad field is listed in one `invalid_schedule` problem, as `export.<field>`.',
  },
} as const;

export const exportScheduleSchema = {
  $id: 'ExportSchedule',
  type: 'object',
  description:
    'A monthly export subscription: on `day_of_month` at `time_of_day` in `time_zone` an export of your memberships ' +
    'with the options in `export` starts and is emailed to you (within a flexible window of up to an hour after that time). ' +
    `At most ${DEFAULT_SCHEDULES_PER_USER} per account by default.`,
  additionalProperties: false,
  required: ['id', 'day_of_month', 'time_of_day', 'time_zone', 'export', 'state', 'created_at', 'updated_at', 'next_run_at', 'links'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'Schedule id.' },
    ...scheduleTimingProperties,
    export: {
      ...exportOptionsSchema,
      description: `The options of every export this schedule starts. ${exportOptionsSchema.description}`,
    },
    state: { type: 'string', enum: [...SCHEDULE_STATES], description: '`active` runs every month; `paused` runs no export until resumed.' },
    created_at: timestamp,
    updated_at: { ...timestamp, description: 'Last change made by you.' },
    next_run_at: {
      type: ['string', 'null'],
      format: 'date-time',
      description:
        'When the next export is due (UTC), following the time zone across daylight-saving changes; it starts within the ' +
        'flexible window after this time. null while paused.',
    },
    last_run_at: { ...timestamp, description: 'Scheduled time of the last export this schedule delivered.' },
    links: {
      type: 'object',
      additionalProperties: false,
      required: ['self'],
      properties: { self: { type: 'string', description: 'This schedule.' } },
    },
  },
} as const;

export const exportScheduleListSchema = {
  $id: 'ExportScheduleList',
  type: 'object',
  description: 'Your export schedules, oldest first (all of them: there are only a few).',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: 'ExportSchedule#' } } },
} as const;
