import { SchedulerSchedule } from '@cdktn/provider-aws/lib/scheduler-schedule';
import { SchedulerScheduleGroup } from '@cdktn/provider-aws/lib/scheduler-schedule-group';
import { EXPIRY_SWEEP_SCHEDULE, expirySweepTargetInput } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { ServiceRole } from './iam';

export interface SchedulerProps {
  readonly deployment: Deployment;
  readonly queueArn: string;
  /** Every schedule names this queue as its dead-letter target; Scheduler sends there with the same role. */
  readonly deadLetterQueueArn: string;
  /** The webhook queue, which the expiry sweep's hourly tick goes to, and its dead-letter queue. */
  readonly webhookQueueArn: string;
  readonly webhookDeadLetterQueueArn: string;
}

/** A tick older than this is not delivered: the next hour's tick sweeps the same hours and more. */
const EXPIRY_SWEEP_MAX_EVENT_AGE_SECONDS = 3600;

/**
 * EventBridge Scheduler: the export subscriptions' group (one schedule per
 * subscription, created by the API, targeting the export queue), and the
 * maintenance group with the platform's own schedule, the hourly expiry
 * sweep (an `expiry.sweep` message to the webhook queue, from which the
 * worker emits `export.expired`). The sweep lives in a group of its own: the
 * API may manage schedules of the subscriptions' group only, and the
 * reconciler deletes the schedules there that have no subscription.
 *
 * One target role for both: it can do exactly this, send messages to the
 * two queues (and their dead-letter queues), and only schedules of these two
 * groups in this account may assume it. (A subscription's schedule could name
 * the webhook queue with it, but only the API creates those, and it may send
 * to that queue itself.)
 */
export class Scheduler extends Construct {
  readonly group: SchedulerScheduleGroup;
  readonly maintenanceGroup: SchedulerScheduleGroup;
  readonly role: ServiceRole;
  readonly expirySweep: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);
    const { deployment } = props;
    // The name the API is told (SCHEDULER_GROUP_NAME) and creates schedules in.
    const groupName = deployment.names.scheduleGroup;

    this.group = new SchedulerScheduleGroup(this, 'schedule-group', { name: groupName });
    this.maintenanceGroup = new SchedulerScheduleGroup(this, 'maintenance-group', { name: deployment.names.maintenanceScheduleGroup });

    this.role = new ServiceRole(this, 'target-role', {
      name: `${deployment.environment.prefix}-scheduler`,
      description: 'Assumed by EventBridge Scheduler to deliver export schedules and the expiry sweep to their queues.',
      servicePrincipal: 'scheduler.amazonaws.com',
      sourceAccount: deployment.accountId,
      // AWS's confused-deputy guidance for EventBridge Scheduler: aws:SourceArn is the schedule
      // group's ARN (not a schedule's), with aws:SourceAccount.
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
      sourceArn: [this.group.arn, this.maintenanceGroup.arn],
      statements: [
        { sid: 'DeliverToExportQueue', actions: ['sqs:SendMessage'], resources: [props.queueArn] },
        // A tick Scheduler cannot deliver goes to the DLQ, sent with this role (Scheduler's DLQ docs).
        { sid: 'DeadLetterUndeliveredTicks', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueueArn] },
        { sid: 'DeliverExpirySweep', actions: ['sqs:SendMessage'], resources: [props.webhookQueueArn] },
        { sid: 'DeadLetterUndeliveredSweeps', actions: ['sqs:SendMessage'], resources: [props.webhookDeadLetterQueueArn] },
      ],
    });

    this.expirySweep = new SchedulerSchedule(this, 'expiry-sweep', {
      name: EXPIRY_SWEEP_SCHEDULE.name,
      groupName: this.maintenanceGroup.name,
      description: 'Hourly: the worker emits export.expired for the export files that expired in the hours before.',
      scheduleExpression: EXPIRY_SWEEP_SCHEDULE.expression,
      // On the hour's tick, not spread: the sweep reads the hours that ended before the tick.
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: props.webhookQueueArn,
        roleArn: this.role.arn,
        input: expirySweepTargetInput(),
        retryPolicy: { maximumEventAgeInSeconds: EXPIRY_SWEEP_MAX_EVENT_AGE_SECONDS },
        deadLetterConfig: { arn: props.webhookDeadLetterQueueArn },
      },
      // Scheduler checks the role when the schedule is made: its permissions first.
      dependsOn: [this.role.policy],
    });
  }
}
