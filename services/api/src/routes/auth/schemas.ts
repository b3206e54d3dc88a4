import { bodyProblemResponses, commonProblemResponses, problemResponse } from '../../schemas/problem';

export interface TokenRequestBody {
  readonly email: string;
  readonly password: string;
}

export interface TokenResponseBody {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

export const createTokenSchema = {
  tags: ['auth'],
  operationId: 'createAccessToken',
  summary: 'Log in: exchange email and password for an access token',
  description:
    'Returns a short-lived JWT access token (ES256) to send as `Authorization: Bearer <token>`. ' +
    'An unknown email and a wrong password give the same answer.',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', minLength: 3, maxLength: 320, description: 'The account email address (case-insensitive).' },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
  response: {
    200: {
      description: 'Logged in.',
      headers: {
        'cache-control': { type: 'string', description: '`no-store`: tokens must not be cached.' },
      },
      type: 'object',
      additionalProperties: false,
      required: ['access_token', 'token_type', 'expires_in'],
      properties: {
        access_token: { type: 'string', description: 'JWT access token.' },
        token_type: { type: 'string', enum: ['Bearer'] },
        expires_in: { type: 'integer', description: 'Seconds until the access token expires.' },
      },
    },
    ...commonProblemResponses(),
    401: problemResponse('Unknown email or wrong password (`invalid_credentials`).'),
    ...bodyProblemResponses(),
  },
} as const;
