import { CloudwatchEventArchive } from '@cdktn/provider-aws/lib/cloudwatch-event-archive';
import { CloudwatchEventBus } from '@cdktn/provider-aws/lib/cloudwatch-event-bus';
import { CloudwatchEventRule } from '@cdktn/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktn/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogResourcePolicy } from '@cdktn/provider-aws/lib/cloudwatch-log-resource-policy';
import { EVENT_SOURCE, eventBus } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { policyDocument } from './iam';

export interface EventBusProps {
  readonly deployment: Deployment;
}

/** Detail type of the example rule: the events an operator most wants to see. */
export const EXAMPLE_RULE_DETAIL_TYPE = 'export.failed';

/**
 * The platform's EventBridge bus of completion events: the worker puts one
 * event per job and final state on it (source EVENT_SOURCE, detail-type the
 * event type, detail the same JSON a webhook receives). An archive keeps
 * them for eventBus.archiveRetentionDays, so an event can be replayed to a
 * rule added later. Operators route events with rules of their own; one
 * example rule sends every failed export to a log group, which is also
 * where to look when a user asks why an export failed.
 *
 * A CloudWatch Logs target is written with a resource policy on the log
 * group's side, not a role (EventBridge creates the stream and puts the
 * events itself):
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-cloudwatchlogs-permissions
 */
export class EventBus extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly archive: CloudwatchEventArchive;
  readonly exportFailures: { readonly rule: CloudwatchEventRule; readonly logGroup: CloudwatchLogGroup };

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;

    this.bus = new CloudwatchEventBus(this, 'bus', {
      name: deployment.names.eventBus,
      description: 'Completion events of export jobs (memberships.exports)',
    });

    this.archive = new CloudwatchEventArchive(this, 'archive', {
      name: deployment.names.eventBus,
      description: `Every completion event, kept ${eventBus.archiveRetentionDays} days for replay`,
      eventSourceArn: this.bus.arn,
      retentionDays: eventBus.archiveRetentionDays,
      eventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
    });

    const logGroup = new CloudwatchLogGroup(this, 'export-failures-log-group', {
      name: `/memberships/${env.name}/export-failures`,
      retentionInDays: env.logRetentionDays,
    });
    const rule = new CloudwatchEventRule(this, 'export-failures-rule', {
      name: `${env.prefix}-export-failures`,
      description: 'Example rule: every failed export, to a log group',
      eventBusName: this.bus.name,
      eventPattern: JSON.stringify({ source: [EVENT_SOURCE], 'detail-type': [EXAMPLE_RULE_DETAIL_TYPE] }),
    });
    new CloudwatchEventTarget(this, 'export-failures-target', {
      rule: rule.name,
      eventBusName: this.bus.name,
      targetId: 'export-failures-log-group',
      // No role: CloudWatch Logs targets are authorised by the resource policy below.
      arn: logGroup.arn,
    });
    new CloudwatchLogResourcePolicy(this, 'export-failures-log-policy', {
      policyName: `${env.prefix}-events-to-export-failures`,
      policyDocument: policyDocument(this, 'export-failures-log-policy-document', [
        {
          sid: 'EventBridgeWritesExportFailures',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          principals: [{ type: 'Service', identifiers: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] }],
          // `<group arn>:*`: the group and its streams, nothing else.
          resources: [`${logGroup.arn}:*`],
        },
      ]).json,
    });
    this.exportFailures = { rule, logGroup };
  }
}
