import { JOB_STATES } from '@memberships/core/contract';

/**
 * The public shape of an export job (snake_case). It is a projection of the
 * core ExportJob: internal fields (user id, S3 key, lease) are not in it, and
 * as a response schema it also drops anything not listed here.
 */
const timestamp = { type: 'string', format: 'date-time' } as const;

export const exportJobSchema = {
  $id: 'ExportJob',
  type: 'object',
  description: 'An asynchronous export of all of your memberships as CSV.',
  additionalProperties: false,
  required: ['id', 'state', 'trigger', 'created_at', 'updated_at', 'attempts', 'progress', 'links'],
  properties: {
    id: { type: 'string', description: 'Export id.' },
    state: {
      type: 'string',
      enum: [...JOB_STATES],
      description:
        '`queued` → `running` → `succeeded` | `failed`; `queued` or `running` → `canceled` (POST `/v1/exports/{id}/cancel`). ' +
        '`succeeded`, `failed`, `canceled` and `expired` are final; a `succeeded` export reads `expired` once its file ' +
        'retention has passed (`expires_at`): its file is deleted, request a new export.',
    },
    trigger: { type: 'string', enum: ['api', 'schedule'], description: 'What requested the export.' },
    created_at: { ...timestamp, description: 'When the export was requested.' },
    updated_at: { ...timestamp, description: 'Last change of this record.' },
    started_at: { ...timestamp, description: 'When a worker first started building the file.' },
    finished_at: { ...timestamp, description: 'When the export succeeded, failed or was canceled.' },
    expires_at: {
      ...timestamp,
      description: 'When the file is deleted (on every export with a file): from then on the export reads `expired`.',
    },
    attempts: { type: 'integer', minimum: 0, description: 'How many times a worker has started this export.' },
    progress: {
      type: 'object',
      additionalProperties: false,
      required: ['rows_exported', 'rows_total'],
      properties: {
        rows_exported: { type: 'integer', minimum: 0 },
        rows_total: { type: ['integer', 'null'], minimum: 0, description: 'null until the worker has counted the rows.' },
      },
    },
    file: {
      type: 'object',
      description: 'The finished CSV file (when `succeeded`).',
      additionalProperties: false,
      required: ['rows', 'bytes', 'sha256', 'content_type'],
      properties: {
        rows: { type: 'integer', minimum: 0, description: 'Data rows (the header line not counted).' },
        bytes: { type: 'integer', minimum: 0 },
        sha256: { type: 'string', description: 'Hex SHA-256 of the file, to check a download.' },
        content_type: { type: 'string' },
      },
    },
    delivery: {
      type: 'object',
      description: 'How the file was emailed (when `succeeded`).',
      additionalProperties: false,
      required: ['method', 'to', 'emailed_at'],
      properties: {
        method: {
          type: 'string',
          enum: ['attachment', 'link', 'app'],
          description:
            'Attached to the email, a signed download link in it (valid until `expires_at`), or neither: the account turned ' +
            'emailed links off, and the email says to download it here.',
        },
        to: { type: 'string', description: "The account's email address." },
        emailed_at: timestamp,
      },
    },
    download_count: {
      type: 'integer',
      minimum: 0,
      description: 'How often the file was downloaded, by any way (API, emailed link, CLI, SDK); on every export with a file.',
    },
    last_downloaded_at: { ...timestamp, description: 'The latest download (absent before the first).' },
    error: {
      type: 'object',
      description: 'Why the export failed (when `failed`).',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'Stable error code, e.g. `enqueue_failed`.' },
        message: { type: 'string' },
      },
    },
    links: {
      type: 'object',
      additionalProperties: false,
      required: ['self'],
      properties: {
        self: { type: 'string', description: 'This export.' },
        download: { type: 'string', description: 'The file (redirects to a short-lived URL); present once succeeded.' },
        downloads: { type: 'string', description: 'The record of its downloads; present on every export with a file.' },
      },
    },
  },
} as const;

export const exportJobListSchema = {
  $id: 'ExportJobList',
  type: 'object',
  description: 'A page of your exports, newest first.',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: { type: 'array', items: { $ref: 'ExportJob#' } },
    next_cursor: { type: 'string', description: 'Pass as `cursor` to get the next page; absent on the last page.' },
  },
} as const;
