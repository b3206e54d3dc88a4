import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type GetScheduleCommandOutput,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import {
  DomainError,
  scheduleExpression,
  scheduleIdFromSchedulerName,
  schedulerScheduleName,
  scheduleTargetInput,
  type ExportSchedule,
} from '@memberships/core/contract';
import type { ScheduleSettings } from '../config';

/** Retries of one tick's delivery to the queue (Scheduler's own retries, before the dead-letter queue). */
export const TARGET_RETRY_POLICY = Object.freeze({ MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 });

/** A Scheduler call failed (after the SDK's own retries); `operation` says which. */
export class SchedulerCallError extends DomainError {
  constructor(
    readonly operation: string,
    readonly scheduleId: string | undefined,
    cause: unknown,
  ) {
    super(
      'scheduler_call_failed',
      `EventBridge Scheduler ${operation}${scheduleId ? ` of export schedule ${scheduleId}` : ''} failed: ${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** The Scheduler's side of one export subscription, in the few members we set. */
export type SchedulerDefinition = Omit<CreateScheduleCommandInput, 'ClientToken' | 'FlexibleTimeWindow' | 'Target'> & {
  Name: string;
  GroupName: string;
  FlexibleTimeWindow: NonNullable<CreateScheduleCommandInput['FlexibleTimeWindow']>;
  Target: NonNullable<CreateScheduleCommandInput['Target']>;
};

/** A schedule in the group, as ListSchedules shows it. */
export interface SchedulerEntry {
  readonly name: string;
  /** The export schedule id in the name; undefined for a schedule that is not one of ours. */
  readonly scheduleId: string | undefined;
  readonly state: string | undefined;
}

/**
 * The small adapter between an ExportSchedule record and its EventBridge
 * Scheduler schedule `export-<id>` in the schedule group: the record is the
 * source of truth, `definition()` derives the full Scheduler definition from
 * it, and every write sends that whole definition (UpdateSchedule replaces
 * everything, so nothing of an older definition survives).
 *
 * Writes are idempotent so callers can simply retry: create of an existing
 * schedule updates it, update of a missing one creates it, delete of a
 * missing one is a no-op. Every failure is a SchedulerCallError.
 */
export class ExportScheduler {
  constructor(
    private readonly client: SchedulerClient,
    readonly settings: Pick<ScheduleSettings, 'groupName' | 'roleArn' | 'queueArn' | 'deadLetterArn' | 'flexibleWindowMinutes'>,
  ) {}

  /** The Scheduler schedule an ExportSchedule stands for. */
  definition(schedule: ExportSchedule): SchedulerDefinition {
    return {
      Name: schedulerScheduleName(schedule.id),
      GroupName: this.settings.groupName,
      ScheduleExpression: scheduleExpression(schedule),
      ScheduleExpressionTimezone: schedule.timeZone,
      // Millions of schedules on the 1st at 06:00 must not all fire in the same second.
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: this.settings.flexibleWindowMinutes },
      State: schedule.state === 'active' ? 'ENABLED' : 'DISABLED',
      Description: `Monthly memberships export of user ${schedule.userId}`,
      Target: {
        Arn: this.settings.queueArn,
        RoleArn: this.settings.roleArn,
        Input: scheduleTargetInput(schedule),
        RetryPolicy: { ...TARGET_RETRY_POLICY },
        DeadLetterConfig: { Arn: this.settings.deadLetterArn },
      },
      ActionAfterCompletion: 'NONE',
    };
  }

  /**
   * CreateSchedule. The ClientToken (schedule id and version) makes the SDK's
   * retry of a create whose answer was lost succeed instead of conflicting;
   * a schedule that exists anyway (a reconciler or an earlier attempt made it)
   * is brought to this definition.
   */
  async create(schedule: ExportSchedule): Promise<void> {
    try {
      await this.client.send(new CreateScheduleCommand({ ...this.definition(schedule), ClientToken: clientToken('c', schedule) }));
    } catch (error) {
      if (error instanceof ConflictException) return this.update(schedule);
      throw new SchedulerCallError('CreateSchedule', schedule.id, error);
    }
  }

  /** UpdateSchedule with the full definition; creates the schedule when it is missing. */
  async update(schedule: ExportSchedule): Promise<void> {
    try {
      await this.client.send(new UpdateScheduleCommand({ ...this.definition(schedule), ClientToken: clientToken('u', schedule) }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw new SchedulerCallError('UpdateSchedule', schedule.id, error);
      try {
        await this.client.send(new CreateScheduleCommand({ ...this.definition(schedule), ClientToken: clientToken('c', schedule) }));
      } catch (createError) {
        throw new SchedulerCallError('CreateSchedule', schedule.id, createError);
      }
    }
  }

  /** DeleteSchedule; returns false when there was none (that is fine: the goal is that there is none). */
  async delete(scheduleId: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: schedulerScheduleName(scheduleId), GroupName: this.settings.groupName }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw new SchedulerCallError('DeleteSchedule', scheduleId, error);
    }
  }

  /** GetSchedule; undefined when there is none. */
  async get(scheduleId: string): Promise<GetScheduleCommandOutput | undefined> {
    try {
      return await this.client.send(
        new GetScheduleCommand({ Name: schedulerScheduleName(scheduleId), GroupName: this.settings.groupName }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw new SchedulerCallError('GetSchedule', scheduleId, error);
    }
  }

  /** Every `export-*` schedule of the group, page by page. */
  async *list(): AsyncGenerator<SchedulerEntry> {
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListSchedulesCommand({ GroupName: this.settings.groupName, NamePrefix: 'export-', MaxResults: 100, NextToken: nextToken }),
        );
      } catch (error) {
        throw new SchedulerCallError('ListSchedules', undefined, error);
      }
      for (const summary of page.Schedules ?? []) {
        if (!summary.Name) continue;
        yield { name: summary.Name, scheduleId: scheduleIdFromSchedulerName(summary.Name), state: summary.State };
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }

  /**
   * Whether the Scheduler's schedule is what `schedule` asks for, in every
   * member we set. The reconciler repairs a schedule that differs.
   */
  matches(schedule: ExportSchedule, actual: GetScheduleCommandOutput): boolean {
    const wanted = this.definition(schedule);
    const target = actual.Target;
    return (
      actual.ScheduleExpression === wanted.ScheduleExpression &&
      (actual.ScheduleExpressionTimezone ?? 'UTC') === wanted.ScheduleExpressionTimezone &&
      actual.State === wanted.State &&
      actual.FlexibleTimeWindow?.Mode === wanted.FlexibleTimeWindow.Mode &&
      actual.FlexibleTimeWindow?.MaximumWindowInMinutes === wanted.FlexibleTimeWindow.MaximumWindowInMinutes &&
      (actual.ActionAfterCompletion ?? 'NONE') === wanted.ActionAfterCompletion &&
      target?.Arn === wanted.Target.Arn &&
      target?.RoleArn === wanted.Target.RoleArn &&
      target?.Input === wanted.Target.Input &&
      target?.RetryPolicy?.MaximumRetryAttempts === TARGET_RETRY_POLICY.MaximumRetryAttempts &&
      target?.RetryPolicy?.MaximumEventAgeInSeconds === TARGET_RETRY_POLICY.MaximumEventAgeInSeconds &&
      target?.DeadLetterConfig?.Arn === wanted.Target.DeadLetterConfig?.Arn
    );
  }
}

/**
 * Idempotency token of a write: the same for every retry of one write of one
 * version (so a retried create whose answer was lost is not a conflict), and
 * different for the next version. At most 64 characters: a UUID and a number.
 */
function clientToken(kind: 'c' | 'u', schedule: ExportSchedule): string {
  return `${kind}-${schedule.id}-${schedule.version}`;
}
