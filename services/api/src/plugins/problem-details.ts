import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem, ValidationFailedError } from '../errors';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, type FieldError, type ProblemDocument } from '../schemas/problem';

/**
 * Every error leaves the API as `application/problem+json` (RFC 9457) with a
 * stable `code`: our own HttpProblem errors, Fastify's errors (validation,
 * body parsing, unknown routes) and anything unexpected. Unexpected errors
 * become a bare 500 whose details go to the log only.
 */

interface ProblemSpec {
  readonly status: number;
  /** Default: error for 5xx, info otherwise. */
  readonly logLevel?: 'info' | 'warn' | 'error';
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Fastify's own errors we answer with a specific problem; the rest fall back by status. */
const FASTIFY_ERRORS: Readonly<Record<string, Omit<ProblemSpec, 'status'> & { status: number }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    title: 'Unsupported media type',
    detail: 'Send the request body as application/json.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    title: 'Payload too large',
    detail: 'The request body is larger than this API accepts.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    title: 'Invalid Content-Length',
    detail: 'The request body size does not match its Content-Length header.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    title: 'Malformed JSON',
    detail: 'The body is empty but Content-Type says application/json.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    title: 'Malformed JSON',
    detail: 'The request body is not valid JSON.',
  },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', title: 'Bad URL', detail: 'The request URL is malformed.' },
};

const GENERIC_TITLES: Readonly<Record<number, [code: string, title: string]>> = {
  400: ['bad_request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  406: ['not_acceptable', 'Not acceptable'],
  408: ['request_timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'Payload too large'],
  414: ['uri_too_long', 'URI too long'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  429: ['too_many_requests', 'Too many requests'],
  431: ['request_header_fields_too_large', 'Request header fields too large'],
  503: ['service_unavailable', 'Service unavailable'],
};

const INTERNAL_ERROR: ProblemSpec = {
  status: 500,
  code: 'internal_error',
  title: 'Internal server error',
  detail: 'An unexpected error occurred. Quote the request id when reporting it.',
};

export function problemDocument(spec: ProblemSpec, request: FastifyRequest): ProblemDocument {
  return {
    ...spec.extensions,
    type: `${PROBLEM_TYPE_BASE}${spec.code}`,
    title: spec.title,
    status: spec.status,
    detail: spec.detail,
    instance: request.url,
    code: spec.code,
    request_id: request.id,
  };
}

export function sendProblem(reply: FastifyReply, spec: ProblemSpec): FastifyReply {
  return reply
    .code(spec.status)
    .headers({ ...spec.headers })
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemDocument(spec, reply.request));
}

/** Decides which problem an error is; exported for the framework-error hook in app.ts. */
export function problemFor(error: unknown): ProblemSpec {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      code: error.code,
      title: error.title,
      detail: error.message,
      headers: error.headers,
      extensions: error.extensions,
      logLevel: error.logLevel,
    };
  }
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) return problemFor(new ValidationFailedError(fieldErrors(fastifyError as FastifyError)));
  const known = fastifyError?.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) return known;
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, title] = GENERIC_TITLES[status] ?? ['client_error', 'Client error'];
    return { status, code, title, detail: title };
  }
  return INTERNAL_ERROR;
}

/** Turns Ajv errors into `{in, field, message}`, naming the field even for required/unknown ones. */
function fieldErrors(error: FastifyError): FieldError[] {
  const part = error.validationContext ?? 'body';
  return (error.validation ?? []).map((issue) => {
    const params = issue.params as Record<string, unknown>;
    let path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (issue.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = path ? `${path}.${params.missingProperty}` : params.missingProperty;
      return { in: part, field: path, message: 'is required' };
    } else if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = path ? `${path}.${params.additionalProperty}` : params.additionalProperty;
      return { in: part, field: path, message: 'is not an allowed field' };
    }
    return { in: part, field: path, message: issue.message ?? 'is invalid' };
  });
}

export default fp(
  async (app) => {
    app.setErrorHandler((error, request, reply) => {
      const problem = problemFor(error);
      const level = problem.logLevel ?? (problem.status >= 500 ? 'error' : 'info');
      if (problem.status >= 500) {
        // The client gets a generic answer; the cause is only logged.
        request.log[level]({ err: error, code: problem.code }, 'request failed');
      } else {
        request.log[level]({ code: problem.code, status: problem.status }, problem.detail);
      }
      return sendProblem(reply, problem);
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, {
        status: 404,
        code: 'route_not_found',
        title: 'Not found',
        detail: `There is no route ${request.method} ${request.url.split('?')[0]}.`,
      }),
    );
  },
  { name: 'problem-details' },
);
