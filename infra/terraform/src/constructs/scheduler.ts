import { SchedulerScheduleGroup } from '@cdktn/provider-aws/lib/scheduler-schedule-group';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { ServiceRole } from './iam';

export interface SchedulerProps {
  readonly deployment: Deployment;
  readonly queueArn: string;
  /** Every schedule names this queue as its dead-letter target; Scheduler sends there with the same role. */
  readonly deadLetterQueueArn: string;
}

/**
 * Monthly export subscriptions: one EventBridge Scheduler schedule
 * per subscription lives in this group and targets the export queue through
 * this role. The role can do exactly one thing, send messages to the export
 * queue (and its dead-letter queue), and only schedules of this group in this
 * account may assume it.
 */
export class Scheduler extends Construct {
  readonly group: SchedulerScheduleGroup;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: SchedulerProps) {
    super(scope, id);
    const { deployment } = props;
    // The name the API is told (SCHEDULER_GROUP_NAME) and creates schedules in.
    const groupName = deployment.names.scheduleGroup;

    this.group = new SchedulerScheduleGroup(this, 'schedule-group', { name: groupName });

    this.role = new ServiceRole(this, 'target-role', {
      name: `${deployment.environment.prefix}-scheduler`,
      description: 'Assumed by EventBridge Scheduler to deliver export schedules to the export queue.',
      servicePrincipal: 'scheduler.amazonaws.com',
      sourceAccount: deployment.accountId,
      // AWS's confused-deputy guidance for EventBridge Scheduler: aws:SourceArn is the schedule
      // group's ARN (not a schedule's), with aws:SourceAccount.
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
      sourceArn: this.group.arn,
      statements: [
        { sid: 'DeliverToExportQueue', actions: ['sqs:SendMessage'], resources: [props.queueArn] },
        // A tick Scheduler cannot deliver goes to the DLQ, sent with this role (Scheduler's DLQ docs).
        { sid: 'DeadLetterUndeliveredTicks', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueueArn] },
      ],
    });
  }
}
