/**
 * The SQS message contract between the API (producer), EventBridge Scheduler
 * (producer, issue 5) and the worker (consumer). Every message carries `type`
 * and `version`; a consumer rejects what it does not know instead of guessing.
 */

export const EXPORT_REQUESTED = 'export.requested';

export interface ExportRequestedV1 {
  readonly type: typeof EXPORT_REQUESTED;
  readonly version: 1;
  readonly jobId: string;
  readonly userId: string;
  readonly trigger: 'api' | 'schedule';
  readonly requestedAt: string;
}

export type ExportMessage = ExportRequestedV1;

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

export function parseMessage(body: string | undefined): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(body ?? '');
  } catch {
    return { ok: false, code: 'malformed_json', reason: 'message body is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'malformed_message', reason: 'message body is not a JSON object' };
  }
  const record = data as Record<string, unknown>;
  const ids = {
    ...(isJobId(record.jobId) ? { jobId: record.jobId } : {}),
    ...(isUuid(record.userId) ? { userId: record.userId } : {}),
  };
  if (record.type !== EXPORT_REQUESTED) {
    return { ok: false, code: 'unknown_type', reason: `unknown message type ${JSON.stringify(record.type)}`, ...ids };
  }
  if (record.version !== 1) {
    return {
      ok: false,
      code: 'unsupported_version',
      reason: `unsupported version ${JSON.stringify(record.version)} of ${EXPORT_REQUESTED} (this worker understands 1)`,
      ...ids,
    };
  }
  if (!ids.jobId) return { ok: false, code: 'invalid_field', reason: 'jobId is missing or malformed', ...ids };
  if (!ids.userId) return { ok: false, code: 'invalid_field', reason: 'userId is missing or not a UUID', ...ids };
  if (record.trigger !== 'api' && record.trigger !== 'schedule') {
    return { ok: false, code: 'invalid_field', reason: 'trigger must be "api" or "schedule"', ...ids };
  }
  if (typeof record.requestedAt !== 'string' || Number.isNaN(Date.parse(record.requestedAt))) {
    return { ok: false, code: 'invalid_field', reason: 'requestedAt must be an ISO 8601 timestamp', ...ids };
  }
  return {
    ok: true,
    message: {
      type: EXPORT_REQUESTED,
      version: 1,
      jobId: ids.jobId,
      userId: ids.userId,
      trigger: record.trigger,
      requestedAt: record.requestedAt,
    },
  };
}
