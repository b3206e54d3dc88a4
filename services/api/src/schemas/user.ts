import { SCOPES } from '@memberships/core/contract';

/** The public shape of a user: never the password hash. */
export const userSchema = {
  $id: 'User',
  type: 'object',
  description: 'A user account.',
  additionalProperties: false,
  required: ['id', 'email', 'scopes', 'profile', 'created_at'],
  properties: {
    id: { type: 'string', description: 'User id.' },
    email: { type: 'string', description: 'Lower-cased email address; unique. Exports are only ever sent here.' },
    scopes: {
      type: 'array',
      items: { type: 'string', enum: [...SCOPES] },
      description: 'What the user may do; access tokens carry these.',
    },
    profile: { type: 'object', additionalProperties: true, description: 'Free-form profile (display name, locale...).' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;
