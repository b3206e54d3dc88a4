import { commonProblemResponses } from '../../schemas/problem';

export const openApiDocumentSchema = {
  tags: ['docs'],
  operationId: 'getOpenApiDocument',
  summary: 'This API as an OpenAPI 3.1 document',
  description: 'The document clients and SDKs are generated from; Swagger UI at `/docs` renders it.',
  response: {
    200: {
      description: 'The OpenAPI document.',
      type: 'object',
      additionalProperties: true,
      required: ['openapi', 'info', 'paths'],
      properties: {
        openapi: { type: 'string' },
        info: { type: 'object', additionalProperties: true },
        paths: { type: 'object', additionalProperties: true },
      },
    },
    500: commonProblemResponses()[500],
  },
} as const;
