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
 * straight to the export pipeline (export-handler.ts). The consumer receives
 * this as its handler (wired in worker.ts).
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
    const { jobId, userId } = parsed.message;
    const log = context.log.child({ jobId, userId, trigger: parsed.message.trigger });
    return deps.runExport({ ...context, log }, jobId, userId, shutdown);
  };
}
