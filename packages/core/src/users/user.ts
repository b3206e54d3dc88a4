export const SCOPES = ['exports:read', 'exports:write', 'schedules:read', 'schedules:write', 'users:admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes a newly created member account gets. */
export const DEFAULT_SCOPES: readonly Scope[] = ['exports:read', 'exports:write', 'schedules:read', 'schedules:write'];

export interface User {
  readonly id: string;
  /** Lower-cased; unique across users. Exports are only ever sent here. */
  readonly email: string;
  readonly passwordHash: string;
  readonly scopes: readonly Scope[];
  /** Free-form profile document (display name, locale, ...). */
  readonly profile: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
