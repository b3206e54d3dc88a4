import { listEmails, type SesEmail } from '@memberships/local-platform';

/**
 * Watches the SES stand-in's mailbox during a phase: when each email
 * arrived, and which export job it is about (the export email names its job,
 * "Export job: <id>", mailer.ts). The mailbox stamps an email with whole
 * seconds only, so the watcher polls often and takes the earlier of "first
 * seen" and the end of the stamped second: never later than the arrival by
 * more than one poll, never earlier than the stamp.
 */

export interface ArrivedEmail {
  readonly messageId: string;
  /** Undefined for an email that names no job (none should arrive during a phase). */
  readonly jobId: string | undefined;
  readonly to: string;
  /** Epoch ms. */
  readonly arrivedAtMs: number;
}

export interface MailboxWatch {
  /** Every email seen so far, in the order seen. */
  emails(): readonly ArrivedEmail[];
  /** Resolves once `count` emails have arrived; rejects after `timeoutMs`. */
  waitForCount(count: number, timeoutMs: number): Promise<void>;
  /** One more read after the last (late duplicates would show), then stops polling. */
  stop(): Promise<void>;
}

const JOB_LINE = /Export job: (\S+)/;

function jobIdOf(email: SesEmail): string | undefined {
  return JOB_LINE.exec(email.body.text ?? '')?.[1] ?? JOB_LINE.exec(email.body.html ?? '')?.[1] ?? JOB_LINE.exec(email.subject)?.[1];
}

/** Starts polling `sesEndpoint` every `intervalMs` for emails received at or after `sinceMs`. */
export function watchMailbox(sesEndpoint: string, sinceMs: number, intervalMs = 200): MailboxWatch {
  const seen = new Map<string, ArrivedEmail>();
  let newestStampSeconds = Math.floor(sinceMs / 1000);
  let stopped = false;
  let lastError: unknown;

  const poll = async (): Promise<void> => {
    // From the newest stamped second seen, which is read again (and deduplicated): the stand-in stamps an email
    // with the second it stores it in and appends it, so any email stored after this read has a stamp at least
    // the read's second, itself at least that newest. Reading further back only re-reads emails already seen,
    // attachments and all: CPU of the stand-in and this process taken from the very phase it measures.
    const since = Math.max(Math.floor(sinceMs / 1000), newestStampSeconds);
    const batch = await listEmails(sesEndpoint, { sinceEpochSeconds: since });
    const now = Date.now();
    for (const email of batch) {
      if (seen.has(email.messageId)) continue;
      newestStampSeconds = Math.max(newestStampSeconds, email.at);
      seen.set(email.messageId, {
        messageId: email.messageId,
        jobId: jobIdOf(email),
        to: email.destination.to.join(','),
        arrivedAtMs: Math.min(now, email.at * 1000 + 999),
      });
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await poll().catch((error: unknown) => {
        lastError = error;
      });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();

  return {
    emails: () => [...seen.values()],
    async waitForCount(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (seen.size < count) {
        if (Date.now() > deadline) {
          const why = lastError instanceof Error ? ` (last mailbox error: ${lastError.message})` : '';
          throw new Error(`${seen.size} of ${count} emails arrived within ${Math.round(timeoutMs / 1000)} s${why}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
    async stop() {
      stopped = true;
      await loop;
      await poll();
    },
  };
}
