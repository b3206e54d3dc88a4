/** The body of a successful login or refresh (see plugins/sessions.ts). */
export const tokenSetSchema = {
  $id: 'TokenSet',
  type: 'object',
  description:
    'An access token to send as `Authorization: Bearer <access_token>`, and a refresh token to get the next ' +
    'one from `POST /v1/auth/refresh`. The refresh token is single-use: each refresh returns a new one.',
  additionalProperties: false,
  required: ['access_token', 'refresh_token', 'token_type', 'expires_in', 'refresh_expires_in'],
  properties: {
    access_token: { type: 'string', description: 'JWT access token (ES256).' },
    refresh_token: { type: 'string', description: 'Opaque refresh token (43 characters, base64url). Keep it secret.' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', minimum: 0, description: 'Seconds until the access token expires.' },
    refresh_expires_in: { type: 'integer', minimum: 0, description: 'Seconds until the refresh token expires.' },
  },
} as const;
