export const SCOPES = [
  'exports:read',
  'exports:write',
  'schedules:read',
  'schedules:write',
  'webhooks:read',
  'webhooks:write',
  'users:admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes a newly created member account gets. */
export const DEFAULT_SCOPES: readonly Scope[] = [
  'exports:read',
  'exports:write',
  'schedules:read',
  'schedules:write',
  'webhooks:read',
  'webhooks:write',
];

export interface User {
  readonly id: string;
  /** Lower-cased; unique across users. Exports are only ever sent here. */
  readonly email: string;
  readonly passwordHash: string;
  readonly scopes: readonly Scope[];
  /** Free-form profile document (display name, locale, ...). */
  readonly profile: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  /**
   * Whether an export too large to attach is emailed as a signed link
   * (absent: yes). Off, the email only says the export is ready and where
   * to download it (app, CLI, SDK), and links emailed earlier stop working.
   */
  readonly emailedDownloadLinks?: boolean | undefined;
}

/** Whether the account gets download links by email (the default). */
export function emailsDownloadLinks(user: Pick<User, 'emailedDownloadLinks'>): boolean {
  return user.emailedDownloadLinks !== false;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
