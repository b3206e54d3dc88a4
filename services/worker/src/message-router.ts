import type { Message } from '@aws-sdk/client-sqs';
import { EXPORT_SCHEDULED, parseMessage } from '@memberships/core/contract';
import type { Logger } from 'pino';
import type { HandleOutcome, MessageHandler } from './consumer';
import type { FailureHandler } from './failure-handler';
import type { ReceivedMessage } from './message-actions';
import { attemptNumber } from './retry-policy';
import type { RunExport, ScheduleTickHandler } from './schedule-tick';

/**
 * Which path a message takes, and nothing more: an unreadable one is
 * rejected, a schedule tick goes to schedule-tick.ts, an `export.requested`
 * (version 1 from before options, or 2 with them) straight to the export
 * pipeline (export-handler.ts), which makes the file the job record's options
 * say. A version 2 message's options are logged once with the job: what the
 * API asked for, to hold against the record when the two seem to disagree.
 * The consumer receives this as its handler (wired in worker.ts).
 */

export interface MessageRouterDependencies {
  readonly runExport: RunExport;
  readonly ticks: Pick<ScheduleTickHandler, 'handle'>;
  readonly failures: Pick<FailureHandler, 'unreadable'>;
  readonly logger: Logger;
}

export function messageRouter(deps: MessageRouterDependencies): MessageHandler {
  return async (message: Message, shutdown: AbortSignal): Promise<HandleOutcome> => {
    const receiveCount = attemptNumber(message.Attributes?.ApproximateReceiveCount);
    const context: ReceivedMessage = {
      message,
      receiveCount,
      log: deps.logger.child({ messageId: message.MessageId, receiveCount }),
    };
    const parsed = parseMessage(message.Body);
    if (!parsed.ok) return deps.failures.unreadable(context, parsed);
    if (parsed.message.type === EXPORT_SCHEDULED) return deps.ticks.handle(context, parsed.message, shutdown);
    const { jobId, userId, version } = parsed.message;
    const log = context.log.child({ jobId, userId, trigger: parsed.message.trigger, messageVersion: version });
    // Once, not on every line of the job: what the API asked for, to hold against what the record made.
    if (parsed.message.version === 2) log.info({ requestedOptions: parsed.message.options }, 'export requested with options');
    return deps.runExport({ ...context, log }, jobId, userId, shutdown);
  };
}
