import { SchedulerScheduleGroup } from '@cdktn/provider-aws/lib/scheduler-schedule-group';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { ServiceRole } from './iam';

export interface SchedulerProps {
  readonly deployment: Deployment;
  readonly queueArn: string;
}

/**
 * Monthly export subscriptions (issue 5): one EventBridge Scheduler schedule
 * per subscription lives in this group and targets the export queue through
 * this role. The role can do exactly one thing, send messages to the export
 * queue, and only schedules of this group in this account may assume it.
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
      sourceArnLike: `arn:${deployment.partition}:scheduler:${deployment.region}:${deployment.accountId}:schedule/${groupName}/*`,
      statements: [{ sid: 'DeliverToExportQueue', actions: ['sqs:SendMessage'], resources: [props.queueArn] }],
    });
  }
}
