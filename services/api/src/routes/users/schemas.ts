import { DEFAULT_SCOPES, EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, SCOPES, type Scope } from '@memberships/core/contract';
import { bodyProblemResponses, commonProblemResponses, problemResponse } from '../../schemas/problem';

export interface CreateUserBody {
  readonly email: string;
  readonly password: string;
  readonly scopes?: Scope[];
  readonly profile?: Record<string, unknown>;
}

export const getMeSchema = {
  tags: ['users'],
  operationId: 'getMe',
  summary: 'Get your own account',
  description: 'The account the access token belongs to, as stored now (scopes may have changed since the token was issued).',
  response: {
    200: { description: 'Your account.', $ref: 'User#' },
    ...commonProblemResponses(),
  },
} as const;

export interface UpdateMeBody {
  readonly emailed_download_links: boolean;
}

export const updateMeSchema = {
  tags: ['users'],
  operationId: 'updateMe',
  summary: 'Change your account settings',
  description:
    'Turns emailed download links on or off. Off: an export too large to attach is emailed without a link (download it ' +
    'in the app, with `memberships exports download <id>` or the SDK), and the links emailed before stop working.',
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['emailed_download_links'],
    properties: { emailed_download_links: { type: 'boolean' } },
  },
  response: {
    200: { description: 'Your account.', $ref: 'User#' },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
  },
} as const;

export const createUserSchema = {
  tags: ['admin'],
  operationId: 'createUser',
  summary: 'Create a user (administrators)',
  description:
    `Creates an account. The password must have ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters. ` +
    `Without \`scopes\` the account gets ${DEFAULT_SCOPES.map((scope) => `\`${scope}\``).join(', ')}.`,
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: EMAIL_MAX_LENGTH, description: 'Unique, case-insensitive.' },
      password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH },
      scopes: { type: 'array', uniqueItems: true, maxItems: SCOPES.length, items: { type: 'string', enum: [...SCOPES] } },
      profile: {
        type: 'object',
        additionalProperties: true,
        maxProperties: 50,
        description: 'Free-form profile document (display name, locale...).',
      },
    },
  },
  response: {
    201: { description: 'Created.', $ref: 'User#' },
    ...commonProblemResponses(),
    ...bodyProblemResponses(),
    409: problemResponse('A user with this email address exists (`email_taken`).'),
  },
} as const;
