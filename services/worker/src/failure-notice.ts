import type { ExportJob } from '@memberships/core/contract';
import type { JobStore, UserStore } from '@memberships/core/dynamodb';
import type { Logger } from 'pino';
import { describe } from './errors';
import { renderBody, requestedOn, type Block } from './email-body';
import type { ExportMailer } from './mailer';

/**
 * The email an owner gets when their export fails for good (a permanent
 * failure, or a passing one on its last attempt): what happened in plain
 * words, the job id, whether trying again makes sense, and for a monthly
 * export that next month's runs as planned. Written from the job's stable
 * error code only: no internal message or stack trace reaches the user.
 *
 * At most once: before sending, the right to send is taken with a
 * conditional write on the job (JobStore.claimFailureNotice: `failureNotice`
 * set only where it is absent, on a failed job). A duplicate delivery, a
 * second worker or a retry after the notice finds it taken and sends
 * nothing. The price is the other crash window: a worker that dies between
 * that write and SES accepting the email sends no notice at all — a missing
 * notice is the lesser harm (the job still reads failed in the app, API and
 * CLI), a repeated one is never possible. The notice is best effort: when
 * the owner cannot be found or SES refuses, it is logged with a stable
 * `noticeCode` and the failure is handled as without it.
 */

/** Why the export ended: decides whether the notice says "try again later" or what to do instead. */
export type FailureEnd = 'permanent' | 'attempts_exhausted';

export interface FailureNoticeInput {
  readonly jobId: string;
  /** When the job was requested (its createdAt). */
  readonly requestedAt: string;
  /** The job's stable error code. */
  readonly errorCode: string;
  readonly end: FailureEnd;
  /** A scheduled (monthly) export. */
  readonly scheduled: boolean;
}

export interface RenderedNotice {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What happened, per stable error code, as the owner reads it (completes "… did not complete: "). */
const WHAT_HAPPENED: Record<string, string> = {
  database_unavailable: 'the membership database could not be reached.',
  storage_unavailable: 'the export file could not be stored.',
  storage_rejected: 'the file storage refused the export file.',
  email_unavailable: 'the email service could not be reached to send the export.',
  email_rejected: 'the email service refused to send the export email.',
  jobs_unavailable: 'the record of the export could not be updated.',
  users_unavailable: 'your account could not be read.',
  schedules_unavailable: 'the monthly export schedule could not be read.',
  links_unavailable: 'the download link for the file could not be made.',
  invalid_data: 'some of your membership data could not be written to the file.',
  job_user_mismatch: 'the export request did not match your account, so nothing was exported.',
  export_integrity: 'the file did not match the data read, so it was not sent.',
  export_stalled: 'the export stopped making progress.',
};
const SOMETHING_WENT_WRONG = 'something went wrong on our side.';

/** What to do after a permanent failure, where trying again alone would meet the same. */
const WHAT_TO_DO: Record<string, string> = {
  invalid_data: 'Trying again will not help until the data is corrected: please contact support and quote the export job below.',
  email_rejected:
    'Check that the email address of your account is correct and can receive email, then request a new export; ' +
    'you can also download exports in the app or with the CLI.',
  job_user_mismatch: 'Request a new export from your account; if this happens again, contact support and quote the export job below.',
};
const CONTACT_SUPPORT = 'Trying again is unlikely to help: please contact support and quote the export job below.';
const TRY_AGAIN_LATER =
  'This was most likely a passing problem, and it lasted through every retry. Please try again later: request a new export in the app or with the CLI.';

export function failureNoticeSubject(requestedAt: string): string {
  return `Your memberships export of ${requestedOn(requestedAt)} did not complete`;
}

export function renderFailureNotice(input: FailureNoticeInput): RenderedNotice {
  const what = WHAT_HAPPENED[input.errorCode] ?? SOMETHING_WENT_WRONG;
  const advice = input.end === 'attempts_exhausted' ? TRY_AGAIN_LATER : (WHAT_TO_DO[input.errorCode] ?? CONTACT_SUPPORT);
  const blocks: Block[] = [
    { paragraph: ['Hello,'] },
    { paragraph: [`your memberships export of ${requestedOn(input.requestedAt)} did not complete: ${what}`] },
    { paragraph: [advice] },
  ];
  if (input.scheduled) {
    blocks.push({ paragraph: ['This was your monthly export: next month’s export will still run as planned.'] });
  }
  blocks.push({ facts: [`Export job: ${input.jobId}`, `Reason code: ${input.errorCode}`] });
  return { subject: failureNoticeSubject(input.requestedAt), ...renderBody(blocks) };
}

/** Stable codes of the notice's outcome, in the `noticeCode` log field. */
export type NoticeCode =
  | 'failure_notice_sent'
  | 'failure_notice_already_taken'
  | 'failure_notice_guard_failed'
  | 'failure_notice_user_not_found'
  | 'failure_notice_user_unreadable'
  | 'failure_notice_send_failed';

export interface FailureNotifierDependencies {
  readonly jobs: Pick<JobStore, 'claimFailureNotice'>;
  readonly users: Pick<UserStore, 'get'>;
  readonly mailer: Pick<ExportMailer, 'sendNotice'>;
  readonly workerId: string;
  readonly now?: () => Date;
}

export class FailureNotifier {
  constructor(private readonly deps: FailureNotifierDependencies) {}

  /** Sends the failed job's notice unless one was taken already. Never throws: the failure's handling goes on regardless. */
  async notify(log: Logger, jobId: string, end: FailureEnd): Promise<NoticeCode> {
    let job: ExportJob | undefined;
    try {
      job = await this.deps.jobs.claimFailureNotice(jobId, { at: (this.deps.now?.() ?? new Date()).toISOString(), by: this.deps.workerId });
    } catch (error) {
      return this.outcome(log, 'failure_notice_guard_failed', 'could not record the failure notice on the job; none sent', error);
    }
    if (!job) return this.outcome(log, 'failure_notice_already_taken', 'failure notice already sent (or the job is not failed); none sent');
    let to: string | undefined;
    try {
      to = (await this.deps.users.get(job.userId))?.email;
    } catch (error) {
      return this.outcome(log, 'failure_notice_user_unreadable', 'could not read the job’s owner; failure notice not sent', error);
    }
    if (!to) return this.outcome(log, 'failure_notice_user_not_found', 'the job’s owner does not exist; failure notice not sent');
    const notice = renderFailureNotice({
      jobId: job.id,
      requestedAt: job.createdAt,
      errorCode: job.error?.code ?? 'export_failed',
      end,
      scheduled: job.trigger === 'schedule',
    });
    try {
      const sent = await this.deps.mailer.sendNotice({ to, ...notice, kind: 'export-failed' });
      log.info({ noticeCode: 'failure_notice_sent', sesMessageId: sent.messageId }, 'failure notice sent to the job’s owner');
      return 'failure_notice_sent';
    } catch (error) {
      // Not retried: the guard is taken, and SES may have accepted it (at most once, see above).
      return this.outcome(log, 'failure_notice_send_failed', 'failure notice not sent: the email service failed', error);
    }
  }

  private outcome(log: Logger, code: NoticeCode, msg: string, error?: unknown): NoticeCode {
    if (error === undefined) log[code === 'failure_notice_already_taken' ? 'info' : 'warn']({ noticeCode: code }, msg);
    else log.warn({ noticeCode: code, detail: describe(error) }, msg);
    return code;
  }
}
