import { bodyProblemResponses, commonProblemResponses, problemResponse, retryAfterHeader } from '../../schemas/problem';

export interface TokenRequestBody {
  readonly email: string;
  readonly password: string;
}

export interface RefreshTokenBody {
  readonly refresh_token: string;
}

const noStore = {
  'cache-control': { type: 'string', description: '`no-store`: tokens must not be cached.' },
} as const;

const tokenSetResponse = (description: string) => ({ description, headers: noStore, $ref: 'TokenSet#' }) as const;

const refreshTokenBody = {
  type: 'object',
  additionalProperties: false,
  required: ['refresh_token'],
  properties: {
    refresh_token: { type: 'string', minLength: 1, maxLength: 256, description: 'The refresh token of the last login or refresh.' },
  },
} as const;

export const createTokenSchema = {
  tags: ['auth'],
  operationId: 'createAccessToken',
  summary: 'Log in: exchange email and password for tokens',
  description:
    'Returns a short-lived JWT access token (ES256) to send as `Authorization: Bearer <token>` and a refresh ' +
    'token (30 days) for `POST /v1/auth/refresh`. An unknown email and a wrong password give the same answer. ' +
    'Failed logins are limited per account and per client address: past the limit the answer is 429 ' +
    '`too_many_attempts` with `Retry-After`, whether or not the account exists.',
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
    200: tokenSetResponse('Logged in.'),
    ...commonProblemResponses(),
    401: problemResponse('Unknown email or wrong password (`invalid_credentials`).'),
    ...bodyProblemResponses(),
    429: problemResponse(
      'Too many failed logins for this account or from this address (`too_many_attempts`), or too many logins ' +
        'from this address (`rate_limited`); see `Retry-After`.',
      retryAfterHeader,
    ),
  },
} as const;

export const refreshTokenSchema = {
  tags: ['auth'],
  operationId: 'refreshAccessToken',
  summary: 'Exchange a refresh token for new tokens',
  description:
    'Rotates the refresh token: the one sent stops working and a new one is returned with a new access token, ' +
    'whose scopes are read from the account as it is now. Sending a refresh token that was already used revokes ' +
    'every token of its login (someone else has it), so the latest refresh token stops working too.',
  body: refreshTokenBody,
  response: {
    200: tokenSetResponse('New tokens; the refresh token sent is used up.'),
    ...commonProblemResponses(),
    401: problemResponse('The refresh token is unknown, expired, used already or revoked (`invalid_refresh_token`): log in again.'),
    ...bodyProblemResponses(),
  },
} as const;

export const logoutSchema = {
  tags: ['auth'],
  operationId: 'logout',
  summary: 'Log out: revoke a refresh token and its whole login',
  description:
    'Revokes the refresh token and every token refreshed from the same login. Answers 204 also for a token that ' +
    'is unknown or revoked already. Access tokens issued before stay valid until they expire (5 minutes).',
  body: refreshTokenBody,
  response: {
    204: { description: 'Logged out.', type: 'null' },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
  },
} as const;
