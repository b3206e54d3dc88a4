import { emailsDownloadLinks, type Scope, type User } from '@memberships/core/contract';

/** The public JSON of a user; see schemas/user.ts. */
export interface UserResource {
  readonly id: string;
  readonly email: string;
  readonly scopes: readonly Scope[];
  readonly profile: Readonly<Record<string, unknown>>;
  readonly created_at: string;
  readonly emailed_download_links: boolean;
}

/** Field by field, so the password hash (or anything added to the record later) never leaves the API. */
export function toUserResource(user: User): UserResource {
  return {
    id: user.id,
    email: user.email,
    scopes: user.scopes,
    profile: user.profile,
    created_at: user.createdAt,
    emailed_download_links: emailsDownloadLinks(user),
  };
}
