import { commonProblemResponses, problemResponse } from '../../schemas/problem';

const internalErrorResponse = commonProblemResponses()[500];

export const CHECK_OUTCOMES = ['ok', 'failed', 'timeout'] as const;
export type CheckOutcome = (typeof CHECK_OUTCOMES)[number];

export const livenessSchema = {
  tags: ['health'],
  operationId: 'getLiveness',
  summary: 'Liveness: the process serves HTTP',
  description: 'Checks no dependency: restart the task only when this fails.',
  response: {
    200: {
      description: 'Alive.',
      type: 'object',
      additionalProperties: false,
      required: ['status'],
      properties: { status: { type: 'string', enum: ['ok'] } },
    },
    500: internalErrorResponse,
  },
} as const;

export const readinessSchema = {
  tags: ['health'],
  operationId: 'getReadiness',
  summary: 'Readiness: the dependencies answer',
  description: 'Checks DynamoDB (jobs table), SQS (export queue) and PostgreSQL in parallel, each with a short timeout.',
  response: {
    200: {
      description: 'Ready to serve traffic.',
      type: 'object',
      additionalProperties: false,
      required: ['status', 'checks'],
      properties: {
        status: { type: 'string', enum: ['ready'] },
        checks: {
          type: 'object',
          additionalProperties: false,
          required: ['dynamodb', 'sqs', 'postgres'],
          properties: {
            dynamodb: { type: 'string', enum: [...CHECK_OUTCOMES] },
            sqs: { type: 'string', enum: [...CHECK_OUTCOMES] },
            postgres: { type: 'string', enum: [...CHECK_OUTCOMES] },
          },
        },
      },
    },
    500: internalErrorResponse,
    503: problemResponse('A dependency failed or timed out (`not_ready`); `checks` says which.'),
  },
} as const;
