import type { ScheduleExpression } from './schedule-expression';

/** The group every account has; it cannot be deleted. */
export const DEFAULT_GROUP = 'default';

/** What AWS applies when a schedule has no RetryPolicy. */
export const DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

export type FlexibleTimeWindow = { readonly Mode: 'OFF' } | { readonly Mode: 'FLEXIBLE'; readonly MaximumWindowInMinutes: number };

/** A schedule's target in the wire shape (AWS casing), with defaults applied. */
export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy: { readonly MaximumEventAgeInSeconds: number; readonly MaximumRetryAttempts: number };
  readonly DeadLetterConfig?: { readonly Arn: string };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
}

/** Everything CreateSchedule/UpdateSchedule set (UpdateSchedule replaces all of it). */
export interface ScheduleDefinition {
  readonly expression: ScheduleExpression;
  /** As given; undefined means UTC. */
  readonly timeZone: string | undefined;
  readonly flexibleTimeWindow: FlexibleTimeWindow;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly target: ScheduleTarget;
  readonly startDate: Date | undefined;
  readonly endDate: Date | undefined;
  readonly description: string | undefined;
  readonly kmsKeyArn: string | undefined;
  readonly actionAfterCompletion: 'NONE' | 'DELETE';
}

export interface ScheduleRecord {
  /** Distinguishes a schedule from an earlier one of the same name that was deleted. */
  readonly incarnation: number;
  readonly name: string;
  readonly groupName: string;
  readonly arn: string;
  readonly creationDate: Date;
  readonly clientToken: string | undefined;
  definition: ScheduleDefinition;
  lastModificationDate: Date;
  /** Occurrences up to this instant (ms) have been turned into firings or skipped; never moves back. */
  evaluatedUntilMs: number;
  /** Where a rate expression counts from: the start date, else when the definition was last set. */
  anchorMs: number;
}

export interface GroupRecord {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: Date;
  readonly lastModificationDate: Date;
  readonly clientToken: string | undefined;
  readonly tags: ReadonlyArray<{ readonly Key: string; readonly Value: string }>;
}

export interface ArnContext {
  readonly region: string;
  readonly accountId: string;
}

export const scheduleArn = (context: ArnContext, groupName: string, name: string): string =>
  `arn:aws:scheduler:${context.region}:${context.accountId}:schedule/${groupName}/${name}`;

export const groupArn = (context: ArnContext, name: string): string =>
  `arn:aws:scheduler:${context.region}:${context.accountId}:schedule-group/${name}`;

/** `2026-03-01T05:00:00Z`: the format of `<aws.scheduler.scheduled-time>` (seconds precision). */
export function isoSeconds(instantMs: number): string {
  return new Date(instantMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
