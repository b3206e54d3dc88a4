/**
 * RFC 9457 problem details, the body of every error response
 * (`Content-Type: application/problem+json`). Shared by all routes through
 * `$ref: 'Problem#'` so the OpenAPI document has it once, as a component.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs: `type` is `${PROBLEM_TYPE_BASE}${code}`; stable like `code`. */
export const PROBLEM_TYPE_BASE = 'https://memberships.example/problems/';

export interface FieldError {
  /** Which part of the request failed: body, querystring, params or headers. */
  readonly in: string;
  /** The failing field (e.g. `email`, `idempotency-key`); empty for the part as a whole. */
  readonly field: string;
  readonly message: string;
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: string;
  readonly request_id?: string;
  readonly [extension: string]: unknown;
}

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description:
    'An error, as RFC 9457 problem details. Branch on `code` (stable, machine-readable); `title` is the ' +
    'same for every occurrence of a problem type, `detail` explains this occurrence.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', description: 'Identifies the problem type; stable.' },
    title: { type: 'string', description: 'Short summary of the problem type.' },
    status: { type: 'integer', description: 'The HTTP status code.' },
    detail: { type: 'string', description: 'Explanation of this occurrence, for people.' },
    instance: { type: 'string', description: 'The request path that failed.' },
    code: { type: 'string', description: 'Stable machine-readable error code, e.g. `invalid_credentials`.' },
    request_id: { type: 'string', description: 'Request id (also in the X-Request-Id header); quote it when reporting a problem.' },
    errors: {
      type: 'array',
      description: 'For `validation_failed`: the field that failed and why.',
      items: {
        type: 'object',
        required: ['in', 'field', 'message'],
        properties: {
          in: { type: 'string', enum: ['body', 'querystring', 'params', 'headers'] },
          field: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
    state: { type: 'string', description: 'For `export_not_ready` and `export_failed`: the export state.' },
    reason: {
      type: 'string',
      enum: ['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'port_not_allowed', 'address_refused', 'dns_failed'],
      description: 'For `webhook_url_refused`: which rule the URL broke (`detail` explains it).',
    },
    retry_after: { type: 'integer', description: 'For 429 problems: seconds to wait before trying again (also in `Retry-After`).' },
    checks: {
      type: 'object',
      description: 'For `not_ready`: the outcome of each readiness check.',
      additionalProperties: { type: 'string', enum: ['ok', 'failed', 'timeout'] },
    },
  },
  additionalProperties: true,
} as const;

/** A response entry for an error status, for a route's `schema.response`. */
export function problemResponse(description: string, headers?: Readonly<Record<string, { type: string; description: string }>>) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } },
  } as const;
}

/** The Retry-After header of 429 and 503 answers. */
export const retryAfterHeader = {
  'retry-after': { type: 'integer', description: 'Seconds to wait before trying again.' },
} as const;

/**
 * Responses of an authenticated route (added by the auth plugin from the
 * route's `config.access`); 403 only when the route needs a scope.
 */
export function authProblemResponses(scope?: string) {
  return {
    401: problemResponse('Missing, malformed, expired or foreign access token (`authentication_required`, `invalid_token`).'),
    ...(scope ? { 403: problemResponse(`The access token lacks the scope \`${scope}\` (\`insufficient_scope\`).`) } : {}),
  };
}

/** 429 of a route with a request rate limit. */
export function rateLimitProblemResponse() {
  return {
    429: problemResponse('Too many requests from this user (`rate_limited`); `Retry-After` says when to try again.', retryAfterHeader),
  } as const;
}

/** Responses of routes that take a JSON body. */
export function bodyProblemResponses() {
  return {
    413: problemResponse('The body is larger than the limit (`payload_too_large`).'),
    415: problemResponse('The body is not `application/json` (`unsupported_media_type`).'),
  } as const;
}

/** Responses every route can give. */
export function commonProblemResponses() {
  return {
    400: problemResponse('The request is malformed or fails validation (`validation_failed`, `malformed_json`...).'),
    500: problemResponse('Unexpected error (`internal_error`); details are logged, not returned.'),
  } as const;
}
