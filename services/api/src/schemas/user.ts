import { SCOPES } from '@memberships/core/contract';

/** The public shape of a user: never the password hash. */
export const userSchema = {
  $id: 'User',
  type: 'object',
  description: 'A user account.',
  additionalProperties: false,
  required: ['id', 'email', 'scopes', 'profile', 'created_at', 'emailed_download_links'],
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
    emailed_download_links: {
      type: 'boolean',
      description:
        'Whether an export too large to attach is emailed as a download link (default true). When false the email only says ' +
        'the export is ready and to download it in the app, CLI or SDK, and links emailed before stop working.',
    },
  },
} as const;
