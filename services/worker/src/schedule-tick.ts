import { exportOptionsOf, scheduledJobId, type ExportJob, type ExportSchedule, type ExportScheduledV1 } from '@memberships/core/contract';
import type { JobStore, ScheduleStore } from '@memberships/core/dynamodb';
import type { HandleOutcome } from './consumer';
import { inStage } from './errors';
import type { FailureHandler } from './failure-handler';
import type { ReceivedMessage } from './message-actions';

/**
 * A schedule tick (`export.scheduled`, sent by EventBridge Scheduler to the
 * export queue) becomes a job, then takes the path of every export. The job
 * id is derived from the schedule and the scheduled time, so a tick
 * delivered twice (or retried by the Scheduler under another execution id)
 * is one job and one email.
 */

/** Why a schedule tick creates no job; logged with `skipping scheduled export`. */
export type ScheduleSkipReason = 'schedule_not_found' | 'schedule_paused' | 'schedule_user_mismatch';

/** Why a tick of `schedule` (as stored now) for `userId` must create no job; undefined when it may. */
export function scheduleSkipReason(schedule: ExportSchedule | undefined, userId: string): ScheduleSkipReason | undefined {
  if (!schedule) return 'schedule_not_found';
  if (schedule.userId !== userId) return 'schedule_user_mismatch';
  if (schedule.state !== 'active') return 'schedule_paused';
  return undefined;
}

/** The export pipeline (ExportHandler.exportJob): claim → export → email → complete; `onSucceeded` after the job is recorded done. */
export type RunExport = (
  context: ReceivedMessage,
  jobId: string,
  userId: string,
  shutdown: AbortSignal,
  onSucceeded?: () => Promise<void>,
) => Promise<HandleOutcome>;

export interface ScheduleTickDependencies {
  readonly jobs: Pick<JobStore, 'get' | 'create'>;
  readonly schedules: Pick<ScheduleStore, 'get' | 'markFired'>;
  readonly failures: Pick<FailureHandler, 'failed'>;
  readonly runExport: RunExport;
}

export class ScheduleTickHandler {
  constructor(private readonly deps: ScheduleTickDependencies) {}

  /**
   * The tick's job exists when an earlier delivery created it: then it runs
   * on (or is acknowledged as done) whatever happened to the schedule since,
   * so a pause never strands a half-done tick. Otherwise the schedule must
   * still exist, be active and belong to the user the message names; if
   * not, the tick is skipped and acknowledged (a Scheduler schedule can
   * outlive its record for a moment, and a pause reaches the Scheduler
   * before the record). Else the job is created with the schedule's export
   * options as they are now (the tick's message carries none), without the
   * user's active-export guard so that a tick and an on-demand export never
   * swallow each other.
   */
  async handle(context: ReceivedMessage, tick: ExportScheduledV1, shutdown: AbortSignal): Promise<HandleOutcome> {
    const jobId = scheduledJobId(tick.scheduleId, tick.scheduledTime);
    const scheduledAt = new Date(tick.scheduledTime).toISOString();
    const log = context.log.child({
      jobId,
      userId: tick.userId,
      trigger: 'schedule',
      scheduleId: tick.scheduleId,
      scheduledTime: scheduledAt,
      ...(tick.executionId ? { executionId: tick.executionId } : {}),
    });
    const withJob = { ...context, log };

    let existing: ExportJob | undefined;
    let schedule: ExportSchedule | undefined;
    try {
      existing = await inStage('jobs', () => this.deps.jobs.get(jobId));
      if (!existing) schedule = await inStage('schedules', () => this.deps.schedules.get(tick.scheduleId));
    } catch (error) {
      return this.deps.failures.failed(withJob, jobId, false, error, { userId: tick.userId });
    }

    if (existing) {
      if (existing.userId !== tick.userId) return skipTick(withJob, 'schedule_user_mismatch');
    } else {
      const skip = scheduleSkipReason(schedule, tick.userId);
      if (skip) return skipTick(withJob, skip);
      try {
        const { created } = await inStage('jobs', () =>
          this.deps.jobs.create({
            userId: tick.userId,
            trigger: 'schedule',
            jobId,
            scheduleId: tick.scheduleId,
            scheduledAt,
            // A schedule made before options existed has none: its exports are the default file, as before.
            options: exportOptionsOf(schedule!),
            skipActiveGuard: true,
          }),
        );
        log.info({ created }, created ? 'scheduled export job created' : 'scheduled export job exists already');
      } catch (error) {
        return this.deps.failures.failed(withJob, jobId, false, error, { userId: tick.userId });
      }
    }
    return this.deps.runExport(withJob, jobId, tick.userId, shutdown, () => this.markFired(withJob, tick.scheduleId, scheduledAt));
  }

  /** The schedule's lastFiredAt; the export is done either way, so a failure here is only logged. */
  private async markFired(context: ReceivedMessage, scheduleId: string, scheduledAt: string): Promise<void> {
    try {
      await this.deps.schedules.markFired(scheduleId, scheduledAt);
    } catch (error) {
      context.log.warn({ err: error }, 'could not record the tick on the schedule; the export itself succeeded');
    }
  }
}

function skipTick(context: ReceivedMessage, reason: ScheduleSkipReason): HandleOutcome {
  // A tick for another user's schedule means a wrong template or a forged message: worth a look.
  context.log[reason === 'schedule_user_mismatch' ? 'warn' : 'info']({ skipReason: reason }, 'skipping scheduled export');
  return 'ack';
}
