import { bodyProblemResponses, commonProblemResponses, problemResponse, retryAfterHeader } from '../../schemas/problem';
import { scheduleExportProperty, scheduleTimingProperties } from '../../schemas/export-schedule';

export interface ScheduleIdParams {
  readonly id: string;
}

/** Body of create and change, in the API's spelling. */
export interface ScheduleTimingBody {
  readonly day_of_month?: number;
  readonly time_of_day?: string;
  readonly time_zone?: string;
  /** The exports' options (core's readExportOptions reads them, before the schema applies). */
  readonly export?: unknown;
}

const TAGS = ['schedules'];

const scheduleIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'Schedule id.' } },
} as const;

const timingBody = (description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    description,
    properties: { ...scheduleTimingProperties, ...scheduleExportProperty },
  }) as const;

const notFound = { 404: problemResponse('No schedule with this id belongs to you (`schedule_not_found`).') } as const;
const invalid = {
  400: problemResponse(
    'The timing or the export options are not a valid schedule (`invalid_schedule`, `errors` names each bad field: ' +
      'day 1-28, `HH:MM`, an IANA time zone, `export.<field>` as for `POST /v1/exports`), or the request is malformed ' +
      '(`validation_failed`, `malformed_json`...).',
  ),
} as const;
const unavailable = {
  503: problemResponse(
    'EventBridge Scheduler did not take the change (`scheduler_unavailable`); nothing was changed. Retry after `Retry-After` seconds.',
    retryAfterHeader,
  ),
} as const;
const changedMeanwhile = {
  409: problemResponse(
    'Another request changed the schedule at the same moment (`schedule_changed`); read it again and retry.',
    retryAfterHeader,
  ),
} as const;

export const createScheduleSchema = {
  tags: TAGS,
  operationId: 'createExportSchedule',
  summary: 'Subscribe to a monthly export',
  description:
    'Every month on `day_of_month` at `time_of_day` in `time_zone` (defaults: the 1st, 06:00, UTC) an export of your ' +
    'memberships with the options in `export` (default: the default file) starts, within a flexible window of up to an ' +
    'hour, and is emailed to you like any export.',
  body: timingBody('The timing and the export options; every field is optional.'),
  response: {
    201: {
      description: 'Created and active. `Location` is the schedule.',
      headers: { location: { type: 'string', description: 'Path of the schedule: `/v1/export-schedules/{id}`.' } },
      $ref: 'ExportSchedule#',
    },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
    ...invalid,
    409: problemResponse('You already have as many schedules as allowed (`schedule_limit_reached`); delete one first.'),
    ...unavailable,
  },
} as const;

export const listSchedulesSchema = {
  tags: TAGS,
  operationId: 'listExportSchedules',
  summary: 'List your export schedules, oldest first',
  // No parameters (a user has a handful of schedules, there is no paging): anything sent is rejected, not ignored.
  querystring: { type: 'object', additionalProperties: false, properties: {} },
  response: {
    200: { description: 'All of your schedules.', $ref: 'ExportScheduleList#' },
    ...commonProblemResponses(),
  },
} as const;

export const getScheduleSchema = {
  tags: TAGS,
  operationId: 'getExportSchedule',
  summary: 'Get one of your export schedules',
  params: scheduleIdParams,
  response: {
    200: { description: 'The schedule.', $ref: 'ExportSchedule#' },
    ...commonProblemResponses(),
    ...notFound,
  },
} as const;

export const updateScheduleSchema = {
  tags: TAGS,
  operationId: 'updateExportSchedule',
  summary: 'Change the timing or the export options of an export schedule',
  description:
    'Fields left out keep their value; `export`, when given, replaces the options as a whole. Takes effect from the next ' +
    'run on; the state (active or paused) is kept.',
  params: scheduleIdParams,
  body: timingBody('The fields to change.'),
  response: {
    200: { description: 'The changed schedule.', $ref: 'ExportSchedule#' },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
    ...invalid,
    ...notFound,
    ...changedMeanwhile,
    ...unavailable,
  },
} as const;

export const deleteScheduleSchema = {
  tags: TAGS,
  operationId: 'deleteExportSchedule',
  summary: 'Unsubscribe: delete an export schedule',
  description: 'No export runs for it any more. Exports it already started are kept.',
  params: scheduleIdParams,
  response: {
    204: { description: 'Deleted.', type: 'null' },
    ...commonProblemResponses(),
    ...notFound,
    ...unavailable,
  },
} as const;

const stateChangeSchema = (operationId: string, summary: string, description: string) =>
  ({
    tags: TAGS,
    operationId,
    summary,
    description,
    params: scheduleIdParams,
    response: {
      200: { description: 'The schedule.', $ref: 'ExportSchedule#' },
      ...commonProblemResponses(),
      ...notFound,
      ...changedMeanwhile,
      ...unavailable,
    },
  }) as const;

export const pauseScheduleSchema = stateChangeSchema(
  'pauseExportSchedule',
  'Pause an export schedule',
  'No export runs until it is resumed; `next_run_at` becomes null. Pausing a paused schedule changes nothing.',
);

export const resumeScheduleSchema = stateChangeSchema(
  'resumeExportSchedule',
  'Resume a paused export schedule',
  'Runs again from the next occurrence on (months missed while paused are not made up). Resuming an active schedule changes nothing.',
);
