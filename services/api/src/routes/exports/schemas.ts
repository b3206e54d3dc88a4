import { DOWNLOAD_CHANNELS, IDEMPOTENCY_KEY_PATTERN, JOB_ID_PATTERN } from '@memberships/core/contract';
import {
  bodyProblemResponses,
  commonProblemResponses,
  problemResponse,
  rateLimitProblemResponse,
  retryAfterHeader,
} from '../../schemas/problem';
import { exportOptionsBodySchema } from '../../schemas/export-job';

export const EXPORT_REQUEST_HEADER = 'export-request';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export const jobIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: JOB_ID_PATTERN, description: 'Export id.' } },
} as const;

const locationHeader = { location: { type: 'string', description: 'Path of the export: `/v1/exports/{id}`.' } } as const;

export interface JobIdParams {
  readonly id: string;
}

export interface CreateExportHeaders {
  readonly 'idempotency-key'?: string;
}

export interface ListExportsQuery {
  readonly limit: number;
  readonly cursor?: string;
}

export const createExportSchema = {
  tags: ['exports'],
  operationId: 'createExport',
  summary: 'Request an export of your memberships',
  description:
    'Accepts the request at once: a worker builds the file the options in the body ask for and emails it to the account ' +
    'address. The body is optional: none, or `{}`, gives the file of before options existed (every column and row, CSV). ' +
    'Every bad field of the body is listed in one `validation_failed` problem. ' +
    'While an export of yours is queued or running, a new request returns that export instead of starting another ' +
    '(`Export-Request: existing`; its `options` say what it makes, which may differ from those asked for). With an ' +
    '`Idempotency-Key`, a retried request with the same options returns the export the first one created (remembered ' +
    'for 24 hours); the same key with other options is refused (422 `idempotency_key_reused`). If the export returned ' +
    'has been waiting for a worker for a while without being started, its request is sent to the workers again.',
  headers: {
    type: 'object',
    properties: {
      'idempotency-key': {
        type: 'string',
        pattern: IDEMPOTENCY_KEY_PATTERN,
        description: 'Client-chosen key (1-200 of `A-Z a-z 0-9 _ . : -`) that makes retries safe.',
      },
    },
  },
  // Documents the body; core's readExportOptions decides, before this applies (index.ts readOptions), and lets
  // a request without a body through as `{}` (the generator marks every declared body as required).
  body: exportOptionsBodySchema,
  response: {
    202: {
      description:
        'Accepted: the export that will run. Poll `Location` for its state. `Export-Request: existing` when this ' +
        'is an export that already existed (one already queued or running, or an idempotent retry).',
      headers: {
        ...locationHeader,
        [EXPORT_REQUEST_HEADER]: {
          type: 'string',
          enum: ['existing'],
          description: 'Present with `existing` when no new export was created.',
        },
      },
      $ref: 'ExportJob#',
    },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    ...bodyProblemResponses(),
    409: problemResponse('Simultaneous requests of the same user collided (`job_create_conflict`); retry.', retryAfterHeader),
    422: problemResponse(
      'The `Idempotency-Key` was used before with other options (`idempotency_key_reused`, with `export_id`): send the ' +
        'same body to retry that request, or use a new key.',
    ),
    503: problemResponse('The export could not be queued and was marked failed (`enqueue_failed`); retry later.', retryAfterHeader),
  },
} as const;

export const getExportSchema = {
  tags: ['exports'],
  operationId: 'getExport',
  summary: 'Get one of your exports',
  params: jobIdParams,
  response: {
    200: { description: 'The export.', $ref: 'ExportJob#' },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    404: problemResponse('No export with this id belongs to you (`export_not_found`).'),
  },
} as const;

export const listExportsSchema = {
  tags: ['exports'],
  operationId: 'listExports',
  summary: 'List your exports, newest first',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size.' },
      cursor: { type: 'string', minLength: 1, maxLength: 2048, description: '`next_cursor` of the previous page.' },
    },
  },
  response: {
    200: { description: 'A page of exports.', $ref: 'ExportJobList#' },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
  },
} as const;

export const downloadExportSchema = {
  tags: ['exports'],
  operationId: 'downloadExport',
  summary: 'Download the file of a finished export',
  description: 'Redirects to a short-lived, pre-signed URL of the file (valid for a few minutes: follow it at once).',
  params: jobIdParams,
  response: {
    302: {
      description: 'Redirect to the file.',
      headers: { location: { type: 'string', description: 'Short-lived URL of the file.' } },
      type: 'null',
    },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    404: problemResponse('No export with this id belongs to you (`export_not_found`).'),
    409: problemResponse(
      'The export has no file: it is still queued or running, or was canceled (`export_not_ready`), or it failed (`export_failed`).',
    ),
    410: problemResponse('The file was deleted after its retention period (`export_file_expired`); request a new export.'),
  },
} as const;

export const cancelExportSchema = {
  tags: ['exports'],
  operationId: 'cancelExport',
  summary: 'Cancel one of your exports that is queued or running',
  description:
    'A queued export is `canceled` at once; a running one is `canceled` at once too and its worker stops within ' +
    'seconds (the file upload is aborted and no email is sent). Either way you can request a new export right away. ' +
    'An export that has already finished cannot be canceled (409).',
  params: jobIdParams,
  response: {
    200: { description: 'The canceled export.', $ref: 'ExportJob#' },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    404: problemResponse('No export with this id belongs to you (`export_not_found`).'),
    409: problemResponse(
      'The export has already finished: succeeded, failed, canceled or expired (`export_already_finished`, with `state`).',
    ),
  },
} as const;

export const listDownloadsSchema = {
  tags: ['exports'],
  operationId: 'listExportDownloads',
  summary: 'Who downloaded the file of one of your exports',
  description:
    'Every download is counted (`download_count`); the latest 50 are listed in detail, newest first: when, how ' +
    '(`api`, `email_link`, `cli`, `sdk`), from which address and with which User-Agent. The record is deleted with the export.',
  params: jobIdParams,
  response: {
    200: {
      description: 'The downloads.',
      type: 'object',
      additionalProperties: false,
      required: ['download_count', 'items'],
      properties: {
        download_count: { type: 'integer', minimum: 0 },
        last_downloaded_at: { type: 'string', format: 'date-time' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['at', 'via', 'client_address'],
            properties: {
              at: { type: 'string', format: 'date-time' },
              via: { type: 'string', enum: [...DOWNLOAD_CHANNELS], description: 'How the download was asked for.' },
              client_address: { type: 'string', description: 'The client address the API saw.' },
              user_agent: { type: 'string', description: 'The User-Agent sent, cut at 512 characters.' },
            },
          },
        },
      },
    },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    404: problemResponse('No export with this id belongs to you (`export_not_found`).'),
  },
} as const;

export const revokeLinksSchema = {
  tags: ['exports'],
  operationId: 'revokeExportLink',
  summary: 'Stop the download link emailed for one of your exports',
  description:
    'The link in the export email stops working at once (it then shows that it was revoked); downloading through ' +
    'the API, the CLI or the SDK still works.',
  params: jobIdParams,
  response: {
    204: { description: 'Revoked.', type: 'null' },
    ...commonProblemResponses(),
    ...rateLimitProblemResponse(),
    404: problemResponse('No export with this id belongs to you (`export_not_found`).'),
  },
} as const;
