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
  /** The webhook queue's DLQ: messages the worker could not handle at all. */
  readonly webhookDeadLetterQueueName: string;
  readonly loadBalancerArnSuffix: string;
  readonly targetGroupArnSuffix: string;
  readonly databaseIdentifier: string;
  readonly clusterName: string;
  /** ECS service names by the alarm id's prefix (`api`, `worker`). */
  readonly serviceNames: Readonly<Record<'api' | 'worker', string>>;
  /** DynamoDB table names by core's table key (one throttle alarm each). */
  readonly tableNames: Readonly<Record<string, string>>;
  readonly scheduleGroupName: string;
}

/** pino's numeric levels: 50 = error, 60 = fatal. The services log JSON, one object per line. */
export const ERROR_LOG_PATTERN = '{ $.level >= 50 }';
/** The line the API logs for every failed readiness check (services/api/src/routes/health). */
export const READINESS_FAILURE_LOG_PATTERN = '{ $.msg = "readiness check failed" }';

/**
 * RDS for PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000).
 * DBInstanceClassMemory is a little below the class's memory, so this slightly overestimates.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.MaxConnections
 */
export function defaultMaxConnections(memoryGiB: number): number {
  return Math.min(Math.floor((memoryGiB * 1024 ** 3) / 9_531_392), 5000);
}

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

    this.alarm('webhook-dlq-not-empty', {
      alarmDescription:
        'Webhook messages reached their dead-letter queue: the worker could not read them, or SQS gave up on them. Read them, fix, then redrive.',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: targets.webhookDeadLetterQueueName },
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
      alarmDescription: 'No API task passes the liveness check (/healthz): the tasks do not start or do not answer.',
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

    const maxConnections = defaultMaxConnections(env.database.instanceMemoryGiB);
    this.alarm('database-connections-high', {
      alarmDescription:
        `PostgreSQL has more than ${thresholds.databaseConnectionsPercent}% of its ${maxConnections} default connections (${env.database.instanceClass}) open: ` +
        'a connection leak or too many tasks; new connections will be refused at the limit.',
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnections',
      dimensions: { DBInstanceIdentifier: targets.databaseIdentifier },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: Math.floor((maxConnections * thresholds.databaseConnectionsPercent) / 100),
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.alarm('database-memory-low', {
      alarmDescription: `PostgreSQL has less than ${thresholds.databaseFreeableMemoryPercent}% of its ${env.database.instanceMemoryGiB} GiB freeable: it will swap and slow down.`,
      namespace: 'AWS/RDS',
      metricName: 'FreeableMemory',
      dimensions: { DBInstanceIdentifier: targets.databaseIdentifier },
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 3,
      threshold: Math.floor((env.database.instanceMemoryGiB * 1024 ** 3 * thresholds.databaseFreeableMemoryPercent) / 100),
      comparisonOperator: 'LessThanThreshold',
    });

    // TargetResponseTime: seconds from the request leaving the load balancer to the response headers.
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
    this.alarm('api-latency-p99', {
      alarmDescription: `API p99 response time above ${thresholds.apiP99LatencySeconds} s for 15 minutes (time from the load balancer to the task's answer).`,
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: { LoadBalancer: targets.loadBalancerArnSuffix, TargetGroup: targets.targetGroupArnSuffix },
      extendedStatistic: 'p99',
      period: 300,
      evaluationPeriods: 3,
      threshold: thresholds.apiP99LatencySeconds,
      comparisonOperator: 'GreaterThanThreshold',
    });

    this.readinessAlarm();
    this.emailReputationAlarms();
    this.schedulerAlarms(targets.scheduleGroupName);
    this.runningTasksAlarms(targets.clusterName, targets.serviceNames);
    this.tableThrottleAlarms(targets.tableNames);
  }

  /**
   * Readiness feeds this alarm, not the load balancer. Every API task's
   * container health check asks its own /readyz every 15 s, and the API logs
   * each failed check; a metric filter counts those lines. Chosen over a
   * Route 53 health check on /readyz: that would probe from the internet
   * (publishing which dependency is down to anyone), reach one task per probe
   * through the ALB rather than every task, and publish its metrics only in
   * us-east-1, where the alarm and a second SNS topic would have to live.
   * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html
   */
  private readinessAlarm(): void {
    const env = this.deployment.environment;
    const namespace = `Memberships/${env.name}`;
    new CloudwatchLogMetricFilter(this, 'api-readiness-filter', {
      name: `${env.prefix}-api-readiness-failures`,
      logGroupName: this.apiLogGroup.name,
      pattern: READINESS_FAILURE_LOG_PATTERN,
      metricTransformation: { name: 'ApiReadinessFailures', namespace, value: '1', defaultValue: '0', unit: 'Count' },
    });
    this.alarm('api-readiness', {
      alarmDescription:
        'API tasks report a dependency down (/readyz). Traffic keeps flowing (the load balancer checks liveness only): ' +
        'look for "readiness check failed" in the API log group, its `check` field names DynamoDB, SQS or PostgreSQL.',
      namespace,
      metricName: 'ApiReadinessFailures',
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: env.alarms.apiReadinessFailuresPerFiveMinutes,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  }

  /**
   * SES reputation, account-wide (what AWS enforces on). AWS reviews an
   * account at a 5 % bounce or 0.1 % complaint rate and may pause sending at
   * 10 % / 0.5 %; the thresholds page well below those.
   * https://docs.aws.amazon.com/ses/latest/dg/reputationdashboard-cloudwatch-alarm.html
   */
  private emailReputationAlarms(): void {
    const thresholds = this.deployment.environment.alarms;
    for (const [id, metricName, threshold] of [
      ['ses-bounce-rate', 'Reputation.BounceRate', thresholds.sesBounceRate],
      ['ses-complaint-rate', 'Reputation.ComplaintRate', thresholds.sesComplaintRate],
    ] as const) {
      this.alarm(id, {
        alarmDescription: `SES ${metricName} above ${threshold * 100} %: AWS may pause sending for the account. Check the suppression list and who receives exports.`,
        namespace: 'AWS/SES',
        metricName,
        statistic: 'Maximum',
        period: 900,
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
  }

  /**
   * Export schedules that did not reach the queue: target errors (the
   * scheduler role or the queue refused) and ticks sent to the DLQ after
   * Scheduler's retries, per schedule group.
   * https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html
   */
  private schedulerAlarms(scheduleGroupName: string): void {
    for (const [id, metricName, description] of [
      [
        'scheduler-target-errors',
        'TargetErrorCount',
        'EventBridge Scheduler could not deliver export ticks to the queue (role or queue refused).',
      ],
      [
        'scheduler-dead-lettered',
        'InvocationsSentToDeadLetterCount',
        'Export ticks went to the dead-letter queue: those subscriptions missed a month.',
      ],
    ] as const) {
      this.alarm(id, {
        alarmDescription: description,
        namespace: 'AWS/Scheduler',
        metricName,
        dimensions: { ScheduleGroup: scheduleGroupName },
        statistic: 'Sum',
        period: 300,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
  }

  /**
   * Fewer tasks running than ECS wants, for longer than a deployment or a
   * scale-out takes: tasks crash, fail their health check or cannot be
   * placed. Container Insights metrics (enabled on the cluster).
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
   */
  private runningTasksAlarms(clusterName: string, serviceNames: AlarmTargets['serviceNames']): void {
    const minutes = this.deployment.environment.alarms.tasksBelowDesiredMinutes;
    for (const [service, serviceName] of Object.entries(serviceNames)) {
      const metric = (metricName: string) => ({
        namespace: 'ECS/ContainerInsights',
        metricName,
        period: 60,
        stat: 'Average',
        dimensions: { ClusterName: clusterName, ServiceName: serviceName },
      });
      this.alarm(`${service}-tasks-below-desired`, {
        alarmDescription: `The ${service} service has run fewer tasks than desired for ${minutes} minutes: look at its stopped tasks' reasons.`,
        metricQuery: [
          { id: 'running', returnData: false, metric: metric('RunningTaskCount') },
          { id: 'desired', returnData: false, metric: metric('DesiredTaskCount') },
          { id: 'missing', label: 'Tasks below desired', expression: 'desired - running', returnData: true },
        ],
        evaluationPeriods: minutes,
        datapointsToAlarm: minutes,
        threshold: 0,
        comparisonOperator: 'GreaterThanThreshold',
        // No data at all means Container Insights lost the service: worth a look too.
        treatMissingData: 'breaching',
      });
    }
  }

  /**
   * Throttled reads and writes per table. On-demand tables throttle only past
   * their per-partition or table limits, so any sustained count is a hot key
   * or a runaway client.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
   */
  private tableThrottleAlarms(tableNames: AlarmTargets['tableNames']): void {
    const threshold = this.deployment.environment.alarms.dynamoDbThrottlesPerFiveMinutes;
    for (const [key, tableName] of Object.entries(tableNames)) {
      const metric = (metricName: string) => ({
        namespace: 'AWS/DynamoDB',
        metricName,
        period: 300,
        stat: 'Sum',
        dimensions: { TableName: tableName },
      });
      this.alarm(`dynamodb-throttles-${key}`, {
        alarmDescription: `DynamoDB throttles requests to the ${key} table (more than ${threshold} per 5 minutes).`,
        metricQuery: [
          { id: 'reads', returnData: false, metric: metric('ReadThrottleEvents') },
          { id: 'writes', returnData: false, metric: metric('WriteThrottleEvents') },
          { id: 'throttles', label: 'Throttled reads and writes', expression: 'FILL(reads, 0) + FILL(writes, 0)', returnData: true },
        ],
        evaluationPeriods: 1,
        threshold,
        comparisonOperator: 'GreaterThanThreshold',
      });
    }
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
