import { readExportOptions, type ExportOptionsResource } from './exports/export-options-input';
import { DEFAULT_EXPORT_OPTIONS, exportOptionsResource, type ExportOptions } from './exports/export-options';

/**
 * The SQS message contract between the API (producer), EventBridge Scheduler
 * (producer, monthly subscriptions) and the worker (consumer). Every message carries `type`
 * and `version`; a consumer rejects what it does not know instead of guessing.
 *
 * Versions in use: the API sends `export.requested` version 2 (with the
 * export's options); workers read versions 1 and 2, since version 1 messages
 * sent before a deploy may still be queued. Deploy the workers before the
 * API: an older worker rejects version 2 (`unsupported_version`). The
 * Scheduler sends `export.scheduled` version 1 (scheduleTargetInput).
 */

export const EXPORT_REQUESTED = 'export.requested';
export const EXPORT_SCHEDULED = 'export.scheduled';

/** An export the API accepted: the job exists already (created by the API before it sent this). */
export interface ExportRequestedV1 {
  readonly type: typeof EXPORT_REQUESTED;
  readonly version: 1;
  readonly jobId: string;
  readonly userId: string;
  readonly trigger: 'api' | 'schedule';
  readonly requestedAt: string;
}

/**
 * Version 2: version 1 and the job's options, complete, in the API's
 * spelling (as the job resource shows them), read by the same validator as a
 * request body. The job record's options decide what the worker makes;
 * these are for its logs and a consistency check. A version 1 message means
 * the defaults (DEFAULT_EXPORT_OPTIONS).
 */
export interface ExportRequestedV2 extends Omit<ExportRequestedV1, 'version'> {
  readonly version: 2;
  readonly options: ExportOptionsResource;
}

export type ExportRequested = ExportRequestedV1 | ExportRequestedV2;

/** The message that asks the worker to run an on-demand export job (what POST /v1/exports sends): version 2. */
export function exportRequestedMessage(job: {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: string;
  /** Absent on a job created before options existed: the defaults. */
  readonly options?: ExportOptions | undefined;
}): ExportRequestedV2 {
  return {
    type: EXPORT_REQUESTED,
    version: 2,
    jobId: job.id,
    userId: job.userId,
    trigger: 'api',
    requestedAt: job.createdAt,
    options: exportOptionsResource(job.options ?? DEFAULT_EXPORT_OPTIONS),
  };
}

/**
 * A tick of a monthly export schedule, sent by EventBridge Scheduler from the
 * template in schedules/schedule.ts (scheduleTargetInput). No job exists yet:
 * the worker derives the job id from schedule id + scheduled time, so every
 * delivery of one tick maps to one job.
 */
export interface ExportScheduledV1 {
  readonly type: typeof EXPORT_SCHEDULED;
  readonly version: 1;
  readonly scheduleId: string;
  readonly userId: string;
  /** Nominal time of the tick (the Scheduler's `<aws.scheduler.scheduled-time>`), ISO 8601. */
  readonly scheduledTime: string;
  /** The Scheduler's `<aws.scheduler.execution-id>`; differs between retries of one tick. For logs only. */
  readonly executionId?: string | undefined;
}

/** Every message on the export queue; `type` tells them apart. */
export type ExportMessage = ExportRequested | ExportScheduledV1;
export type ExportMessageType = ExportMessage['type'];

export type ParseResult =
  | { readonly ok: true; readonly message: ExportMessage }
  | {
      readonly ok: false;
      /** Stable reason code, e.g. `malformed_json`, `unknown_type`, `unsupported_version`, `invalid_field`. */
      readonly code: string;
      readonly reason: string;
      /** The job id when the body names one, so the job can be marked failed. */
      readonly jobId?: string;
      readonly userId?: string;
      /** The schedule id when the body names one (for the logs). */
      readonly scheduleId?: string;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOB_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID.test(value);
}

export function encodeMessage(message: ExportMessage): string {
  return JSON.stringify(message);
}

/** ISO 8601 date-time with a zone (`Z` or an offset), as the Scheduler and the API write them. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Scheduler execution ids are opaque; bounded so a log line stays a line. */
const EXECUTION_ID = /^[\x21-\x7e]{1,200}$/;

export function isIsoDateTime(value: unknown): value is string {
  return typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

const KNOWN_TYPES: readonly string[] = [EXPORT_REQUESTED, EXPORT_SCHEDULED];
/** The versions this worker reads, per type. */
const KNOWN_VERSIONS: Readonly<Record<string, readonly number[]>> = { [EXPORT_REQUESTED]: [1, 2], [EXPORT_SCHEDULED]: [1] };

type Failure = Extract<ParseResult, { ok: false }>;

/** A queue message's body as a JSON object, or why it is not one (`malformed_json`, `malformed_message`). */
export function messageObject(
  body: string | undefined,
):
  | { readonly ok: true; readonly record: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly reason: string } {
  let data: unknown;
  try {
    data = JSON.parse(body ?? '');
  } catch {
    return { ok: false, code: 'malformed_json', reason: 'message body is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'malformed_message', reason: 'message body is not a JSON object' };
  }
  return { ok: true, record: data as Record<string, unknown> };
}

export function parseMessage(body: string | undefined): ParseResult {
  const object = messageObject(body);
  if (!object.ok) return object;
  const record = object.record;
  const ids = {
    ...(isJobId(record.jobId) ? { jobId: record.jobId } : {}),
    ...(isUuid(record.userId) ? { userId: record.userId } : {}),
    ...(isUuid(record.scheduleId) ? { scheduleId: record.scheduleId } : {}),
  };
  if (typeof record.type !== 'string' || !KNOWN_TYPES.includes(record.type)) {
    return { ok: false, code: 'unknown_type', reason: `unknown message type ${JSON.stringify(record.type)}`, ...ids };
  }
  const versions = KNOWN_VERSIONS[record.type] ?? [];
  if (typeof record.version !== 'number' || !versions.includes(record.version)) {
    return {
      ok: false,
      code: 'unsupported_version',
      reason: `unsupported version ${JSON.stringify(record.version)} of ${record.type} (this worker understands ${versions.join(' and ')})`,
      ...ids,
    };
  }
  return record.type === EXPORT_SCHEDULED ? parseScheduled(record, ids) : parseRequested(record, ids);
}

function parseRequested(record: Record<string, unknown>, ids: { jobId?: string; userId?: string; scheduleId?: string }): ParseResult {
  const invalid = (reason: string): Failure => ({ ok: false, code: 'invalid_field', reason, ...ids });
  if (!ids.jobId) return invalid('jobId is missing or malformed');
  if (!ids.userId) return invalid('userId is missing or not a UUID');
  if (record.trigger !== 'api' && record.trigger !== 'schedule') return invalid('trigger must be "api" or "schedule"');
  if (typeof record.requestedAt !== 'string' || Number.isNaN(Date.parse(record.requestedAt))) {
    return invalid('requestedAt must be an ISO 8601 timestamp');
  }
  const common: Omit<ExportRequestedV1, 'version'> = {
    type: EXPORT_REQUESTED,
    jobId: ids.jobId,
    userId: ids.userId,
    trigger: record.trigger,
    requestedAt: record.requestedAt,
  };
  if (record.version === 1) return { ok: true, message: { ...common, version: 1 } };
  if (record.options === undefined) return invalid('options are missing (version 2 carries them)');
  const options = readExportOptions(record.options, 'options.');
  if (!options.ok)
    return invalid(`invalid options: ${options.problems.map((problem) => `${problem.field} ${problem.message}`).join('; ')}`);
  // Normalised, so that a consumer compares like with like (the job's options, through exportOptionsResource).
  return { ok: true, message: { ...common, version: 2, options: exportOptionsResource(options.options) } };
}

function parseScheduled(record: Record<string, unknown>, ids: { jobId?: string; userId?: string; scheduleId?: string }): ParseResult {
  // A scheduled message names no job; a jobId in it would not be ours to fail.
  const { jobId: _ignored, ...known } = ids;
  const invalid = (reason: string): Failure => ({ ok: false, code: 'invalid_field', reason, ...known });
  if (!known.scheduleId) return invalid('scheduleId is missing or not a UUID');
  if (!known.userId) return invalid('userId is missing or not a UUID');
  if (!isIsoDateTime(record.scheduledTime)) {
    return invalid('scheduledTime must be an ISO 8601 timestamp with a time zone, such as 2026-12-01T05:00:00Z');
  }
  if (record.executionId !== undefined && !(typeof record.executionId === 'string' && EXECUTION_ID.test(record.executionId))) {
    return invalid('executionId must be a string of 1 to 200 printable characters');
  }
  return {
    ok: true,
    message: {
      type: EXPORT_SCHEDULED,
      version: 1,
      scheduleId: known.scheduleId,
      userId: known.userId,
      scheduledTime: record.scheduledTime,
      ...(typeof record.executionId === 'string' ? { executionId: record.executionId } : {}),
    },
  };
}
