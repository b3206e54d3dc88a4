import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktn/provider-aws/lib/cloudwatch-log-metric-filter';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription';
import { Fn, Op, Token } from 'cdktn';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';

export interface ObservabilityProps {
  readonly deployment: Deployment;
  /** Email subscribed to the alarm topic; empty for none. */
  readonly alarmEmail: string;
}

export interface AlarmTargets {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly databaseIdentifier: string;
}

/** pino's numeric levels: 50 = error, 60 = fatal. The services log JSON, one object per line. */
export const ERROR_LOG_PATTERN = '{ $.level >= 50 }';

/**
 * Logs and alarms. The log groups exist before the task definitions that
 * write to them, with a retention so logs do not pile up forever. Every
 * alarm notifies one SNS topic (and recovers to it, so the all-clear arrives
 * too). The topic is not KMS-encrypted on purpose: CloudWatch cannot publish
 * to a topic encrypted with the AWS-managed SNS key, and alarm messages hold
 * no customer data.
 */
export class Observability extends Construct {
  readonly alarmTopic: SnsTopic;
  readonly apiLogGroup: CloudwatchLogGroup;
  readonly workerLogGroup: CloudwatchLogGroup;
  readonly alarms: CloudwatchMetricAlarm[] = [];
  private readonly deployment: Deployment;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.deployment = props.deployment;
    const env = props.deployment.environment;

    this.alarmTopic = new SnsTopic(this, 'alarm-topic', { name: `${env.prefix}-alarms` });
    new SnsTopicSubscription(this, 'alarm-email', {
      // No subscription while the variable is empty.
      count: Token.asNumber(Fn.conditional(Op.eq(props.alarmEmail, ''), 0, 1)),
      topicArn: this.alarmTopic.arn,
      protocol: 'email',
      endpoint: props.alarmEmail,
    });

    this.apiLogGroup = new CloudwatchLogGroup(this, 'api-log-group', {
      name: `/ecs/${env.prefix}/api`,
      retentionInDays: env.logRetentionDays,
    });
    this.workerLogGroup = new CloudwatchLogGroup(this, 'worker-log-group', {
      name: `/ecs/${env.prefix}/worker`,
      retentionInDays: env.logRetentionDays,
    });
  }

  /** Adds the alarms once the things they watch exist. */
  addAlarms(targets: AlarmTargets): void {
    const env = this.deployment.environment;
    const thresholds = env.alarms;
    const namespace = `Memberships/${env.name}`;

    this.alarm('dlq-not-empty', {
      alarmDescription:
        'Export requests reached the dead-letter queue: their jobs failed. Read the messages (message attributes name the reason), fix, then redrive.',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: targets.deadLetterQueueName },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('oldest-message-age', {
      alarmDescription: `An export request has waited more than ${thresholds.oldestMessageAgeSeconds} s: workers are not keeping up or not consuming.`,
      namespace: 'AWS/SQS',
      metricName: 'ApproximateAgeOfOldestMessage',
      dimensions: { QueueName: targets.queueName },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      threshold: thresholds.oldestMessageAgeSeconds,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('alb-5xx', {
      alarmDescription: 'The load balancer itself answers 5xx (no healthy API task, or tasks refusing connections).',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: { LoadBalancer: targets.loadBalancerArnSuffix },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: thresholds.loadBalancer5xxPerFiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('api-target-5xx', {
      alarmDescription: 'API tasks answer 5xx: look for level-50 lines in the API log group.',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: targets.loadBalancerArnSuffix, TargetGroup: targets.targetGroupArnSuffix },
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: thresholds.api5xxPerFiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('api-no-healthy-targets', {
      alarmDescription: 'No API task passes the readiness check (/readyz): a dependency is down or the tasks do not start.',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HealthyHostCount',
      dimensions: { LoadBalancer: targets.loadBalancerArnSuffix, TargetGroup: targets.targetGroupArnSuffix },
      statistic: 'Minimum',
      period: 60,
      evaluationPeriods: 3,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      treatMissingData: 'breaching',
    });

    new CloudwatchLogMetricFilter(this, 'worker-error-filter', {
      name: `${env.prefix}-worker-errors`,
      logGroupName: this.workerLogGroup.name,
      pattern: ERROR_LOG_PATTERN,
      metricTransformation: { name: 'WorkerErrors', namespace, value: '1', defaultValue: '0', unit: 'Count' },
    });
    this.alarm('worker-errors', {
      alarmDescription: 'The worker logged errors (level ≥ 50): failed exports, unreadable messages, lost leases.',
      namespace,
      metricName: 'WorkerErrors',
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: thresholds.workerErrorsPerFiveMinutes,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });

    this.alarm('database-cpu-high', {
      alarmDescription: `PostgreSQL CPU above ${thresholds.databaseCpuPercent}% for 15 minutes.`,
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: { DBInstanceIdentifier: targets.databaseIdentifier },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      threshold: thresholds.databaseCpuPercent,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('database-storage-low', {
      alarmDescription: `PostgreSQL has less than ${thresholds.databaseFreeStorageGiB} GiB free (storage autoscaling at its ceiling?).`,
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: { DBInstanceIdentifier: targets.databaseIdentifier },
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 1,
      threshold: thresholds.databaseFreeStorageGiB * 1024 ** 3,
      comparisonOperator: 'LessThanThreshold',
    });
  }

  private alarm(id: string, config: Omit<CloudwatchMetricAlarmConfig, 'alarmName'>): CloudwatchMetricAlarm {
    const alarm = new CloudwatchMetricAlarm(this, id, {
      alarmName: `${this.deployment.environment.prefix}-${id}`,
      treatMissingData: 'notBreaching',
      ...config,
      alarmActions: [this.alarmTopic.arn],
      okActions: [this.alarmTopic.arn],
    });
    this.alarms.push(alarm);
    return alarm;
  }
}
