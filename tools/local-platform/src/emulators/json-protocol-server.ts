import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The AWS JSON 1.1 protocol as the stand-ins written here speak it
 * (Secrets Manager, EventBridge): `POST /` with `X-Amz-Target:
 * <prefix>.<Operation>` and a JSON object body; answers are JSON with
 * `x-amzn-requestid`, and a rejection is `{ __type, message }` with
 * `x-amzn-errortype`, which is what the SDK clients turn into their named
 * exceptions. Each stand-in brings its operations; this is the framing.
 */

/** A rejection AWS would send: its `__type` and message. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type JsonInput = Record<string, unknown>;

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  errorType?: string,
  contentType = 'application/x-amz-json-1.1',
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}

export interface JsonService<O extends string> {
  /** The X-Amz-Target prefix: `secretsmanager`, `AWSEvents`. */
  readonly targetPrefix: string;
  readonly operations: readonly O[];
  /** The service's `__type` for an unexpected failure (InternalServiceError, InternalException). */
  readonly internalErrorType: string;
  readonly dispatch: (operation: O, input: JsonInput) => unknown;
}

/** Answers one JSON 1.1 request: the operation from its target, the input from its body, a ServiceError as AWS words it. */
export async function handleJsonRequest<O extends string>(
  service: JsonService<O>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const target = request.headers['x-amz-target'];
    const prefix = `${service.targetPrefix}.`;
    const operation = typeof target === 'string' && target.startsWith(prefix) ? target.slice(prefix.length) : undefined;
    if (request.method !== 'POST' || !operation)
      throw new ServiceError('UnknownOperationException', `Expected POST with X-Amz-Target: ${prefix}<Operation>.`);
    if (!(service.operations as readonly string[]).includes(operation))
      throw new ServiceError('UnknownOperationException', `${operation} is not supported by the local stand-in.`);
    const raw = await readBody(request);
    let input: unknown;
    try {
      input = raw === '' ? {} : JSON.parse(raw);
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
    sendJson(response, 200, service.dispatch(operation as O, input as JsonInput));
  } catch (error) {
    const failure = error instanceof ServiceError ? error : new ServiceError(service.internalErrorType, (error as Error).message, 500);
    sendJson(response, failure.status, { __type: failure.type, message: failure.message }, failure.type);
  }
}
