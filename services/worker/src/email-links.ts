import { PAUSE_LINK_DAYS, signLink } from '@memberships/core/contract';
import type { LinkKeySource } from '@memberships/core/dynamodb';

/**
 * The signed links the worker's emails carry, pointing at the API
 * (PUBLIC_API_URL), not at S3: the API checks the token and answers each
 * click with a fresh 5-minute presigned URL, so a link works for the file's
 * whole retention, long after this task's credentials (which would sign an
 * S3 URL) have expired. Tokens: core's links/signed-link.ts.
 */

const DAY_MS = 86_400_000;

export interface EmailLinksOptions {
  readonly keys: Pick<LinkKeySource, 'keyring'>;
  /** The API's public base URL, without a trailing slash. */
  readonly publicApiUrl: string;
  /** FILE_RETENTION_DAYS: a download link ends with the file. */
  readonly fileRetentionDays: number;
}

export interface SignedUrl {
  readonly url: string;
  readonly expiresAt: Date;
}

export class EmailLinks {
  constructor(private readonly options: EmailLinksOptions) {}

  /** The download link of a job's file, valid until the file's retention ends (counted from `at`, the send). */
  async download(job: { readonly id: string; readonly userId: string }, at: Date): Promise<SignedUrl> {
    const expiresAt = new Date(at.getTime() + this.options.fileRetentionDays * DAY_MS);
    const token = await this.sign('download', job.id, job.userId, expiresAt, at);
    return { url: this.url(`/v1/exports/${encodeURIComponent(job.id)}/file`, token), expiresAt };
  }

  /** The one-click pause link of a monthly subscription (the email's link and its List-Unsubscribe header). */
  async pause(scheduleId: string, userId: string, at: Date): Promise<SignedUrl> {
    const expiresAt = new Date(at.getTime() + PAUSE_LINK_DAYS * DAY_MS);
    const token = await this.sign('pause', scheduleId, userId, expiresAt, at);
    return { url: this.url(`/v1/export-schedules/${encodeURIComponent(scheduleId)}/pause-link`, token), expiresAt };
  }

  private async sign(purpose: 'download' | 'pause', subject: string, userId: string, expiresAt: Date, at: Date): Promise<string> {
    const { current } = await this.options.keys.keyring();
    return signLink({ purpose, subject, userId, expiresAt }, current, at);
  }

  private url(path: string, token: string): string {
    return `${this.options.publicApiUrl}${path}?token=${encodeURIComponent(token)}`;
  }
}
