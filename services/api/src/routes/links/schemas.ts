import { JOB_ID_PATTERN } from '@memberships/core/contract';
import { PROBLEM_CONTENT_TYPE } from '../../schemas/problem';

export interface LinkQuery {
  readonly token: string;
}

export interface LinkParams {
  readonly id: string;
}

const TOKEN_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 1024, description: 'The signed token of the emailed link.' } },
} as const;

const params = (description: string, pattern?: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 200, ...(pattern ? { pattern } : {}), description } },
  }) as const;

/** A problem, as a page to a browser (Accept: text/html) and as problem details to anything else. */
function linkProblem(description: string) {
  return {
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } },
      'text/html': { schema: { type: 'string' } },
    },
  } as const;
}

const page = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } }) as const;

const refusals = {
  400: linkProblem('The token is missing or malformed (`link_invalid`, `validation_failed`).'),
  403: linkProblem(
    'The token was altered or not signed by us (`link_invalid`), is for another export, subscription or account ' +
      '(`link_not_for_this_resource`), or was revoked (`link_revoked`).',
  ),
  410: linkProblem('The link has expired (`link_expired`), or the file was deleted after its retention (`export_file_expired`).'),
  429: linkProblem('Too many link requests from this address (`rate_limited`).'),
  500: linkProblem('Unexpected error (`internal_error`).'),
} as const;

export const fileLinkSchema = {
  tags: ['links'],
  operationId: 'openExportFileLink',
  summary: 'The download link of an export email',
  description:
    'What the export email links to when the file is too large to attach. The token is bound to the export, its owner ' +
    'and the end of the file retention; each use is recorded (`via: email_link`) and answered with a redirect to a ' +
    'URL of the file valid for 5 minutes, so the link keeps working for as long as the file is kept. Needs no access token.',
  params: params('Export id.', JOB_ID_PATTERN),
  querystring: TOKEN_QUERY,
  response: {
    302: {
      description: 'Redirect to the file.',
      headers: { location: { type: 'string', description: 'URL of the CSV file, valid for 5 minutes.' } },
      type: 'null',
    },
    ...refusals,
    404: linkProblem('The export no longer exists (`export_not_found`).'),
    409: linkProblem('The export has no file (`export_not_ready`, `export_failed`).'),
  },
} as const;

export const pauseLinkPageSchema = {
  tags: ['links'],
  operationId: 'openSchedulePauseLink',
  summary: 'The pause link of a monthly export email',
  description:
    'A page asking to confirm the pause with one button (a GET never changes anything: mail scanners open links). ' +
    'Needs no access token.',
  params: params('Schedule id.'),
  querystring: TOKEN_QUERY,
  response: { 200: page('The confirmation page.'), ...refusals, 404: linkProblem('The subscription no longer exists.') },
} as const;

export const pauseLinkSchema = {
  tags: ['links'],
  operationId: 'pauseScheduleByLink',
  summary: 'Pause a monthly export from its email (one-click)',
  description:
    "The confirmation page's button, and RFC 8058 one-click unsubscribe: mail clients POST " +
    '`List-Unsubscribe=One-Click` here from the `List-Unsubscribe` header of the monthly email. The body is not ' +
    'needed (the token is in the URL). Pausing a paused subscription changes nothing.',
  params: params('Schedule id.'),
  querystring: TOKEN_QUERY,
  response: {
    200: {
      description: 'Paused: a page to a browser, JSON to anything else.',
      content: {
        'text/html': { schema: { type: 'string' } },
        'application/json': {
          schema: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'state'],
            properties: { id: { type: 'string' }, state: { type: 'string', enum: ['paused'] } },
          },
        },
      },
    },
    ...refusals,
    404: linkProblem('The subscription no longer exists.'),
    503: linkProblem('The Scheduler could not be changed; nothing changed (`scheduler_unavailable`). Try again.'),
  },
} as const;
