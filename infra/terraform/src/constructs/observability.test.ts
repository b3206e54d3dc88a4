import { tables } from '@memberships/core/contract';
import { environments } from '../environments';
import { ref, resourceAt, resourcesOf, synthesize, type Block } from '../testing/terraform-json';
import { defaultMaxConnections } from './observability';

describe.each(environments.map((env) => [env.name, env] as const))('%s alarms', (_name, env) => {
  const synth = synthesize(env);
  const alarms = resourcesOf(synth, 'aws_cloudwatch_metric_alarm').map(({ body }) => body);
  const named = (id: string) => {
    const alarm = alarms.find((a) => a.alarm_name === `${env.prefix}-${id}`);
    if (!alarm) throw new Error(`no alarm ${id}`);
    return alarm;
  };
  const thresholds = env.alarms;
  const db = resourceAt(synth, 'aws_db_instance', 'database/instance').name;
  const lb = resourceAt(synth, 'aws_lb', 'api-service/load-balancer').name;
  const tg = resourceAt(synth, 'aws_lb_target_group', 'api-service/target-group').name;

  it('pages on SES bounce and complaint rates well below the rates at which AWS pauses sending (10 % / 0.5 %)', () => {
    expect(named('ses-bounce-rate')).toMatchObject({
      namespace: 'AWS/SES',
      metric_name: 'Reputation.BounceRate',
      threshold: thresholds.sesBounceRate,
    });
    expect(named('ses-complaint-rate')).toMatchObject({
      namespace: 'AWS/SES',
      metric_name: 'Reputation.ComplaintRate',
      threshold: thresholds.sesComplaintRate,
    });
    // Below AWS's review lines (5 % / 0.1 %), not only its pause lines.
    expect(thresholds.sesBounceRate).toBeLessThan(0.05);
    expect(thresholds.sesComplaintRate).toBeLessThan(0.001);
  });

  it('pages on Scheduler target errors and dead-lettered ticks of the export schedule group', () => {
    const group = ref(
      'aws_scheduler_schedule_group',
      resourceAt(synth, 'aws_scheduler_schedule_group', 'scheduler/schedule-group').name,
      'name',
    );
    for (const [id, metric] of [
      ['scheduler-target-errors', 'TargetErrorCount'],
      ['scheduler-dead-lettered', 'InvocationsSentToDeadLetterCount'],
    ]) {
      expect(named(id!)).toMatchObject({
        namespace: 'AWS/Scheduler',
        metric_name: metric,
        dimensions: { ScheduleGroup: group },
        threshold: 0,
        comparison_operator: 'GreaterThanThreshold',
      });
    }
  });

  it.each(['api', 'worker'])('pages when the %s service runs fewer tasks than desired (Container Insights, metric math)', (service) => {
    const alarm = named(`${service}-tasks-below-desired`);
    const queries = Object.fromEntries((alarm.metric_query as Block[]).map((q) => [q.id, q]));
    const ecs = resourceAt(synth, 'aws_ecs_service', `${service}-service/service`).name;
    const cluster = resourceAt(synth, 'aws_ecs_cluster', 'ecs-cluster/cluster').name;
    for (const [id, metric] of [
      ['running', 'RunningTaskCount'],
      ['desired', 'DesiredTaskCount'],
    ]) {
      expect(queries[id!]?.metric).toMatchObject({
        namespace: 'ECS/ContainerInsights',
        metric_name: metric,
        dimensions: { ClusterName: ref('aws_ecs_cluster', cluster, 'name'), ServiceName: ref('aws_ecs_service', ecs, 'name') },
      });
    }
    expect(queries.missing).toMatchObject({ expression: 'desired - running', return_data: true });
    expect(alarm).toMatchObject({
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      evaluation_periods: thresholds.tasksBelowDesiredMinutes,
    });
    expect(resourceAt(synth, 'aws_ecs_cluster', 'ecs-cluster/cluster').body.setting).toEqual([
      { name: 'containerInsights', value: 'enabled' },
    ]);
  });

  it.each(Object.keys(tables))('pages on DynamoDB throttles of the %s table', (key) => {
    const table = resourcesOf(synth, 'aws_dynamodb_table').find(({ path }) =>
      path.endsWith(`/tables/${tables[key as keyof typeof tables].logicalName}`),
    )!;
    const queries = named(`dynamodb-throttles-${key}`).metric_query as Block[];
    const metrics = queries.filter((q) => q.metric).map((q) => q.metric as Block);
    expect(metrics.map((m) => m.metric_name).sort()).toEqual(['ReadThrottleEvents', 'WriteThrottleEvents']);
    for (const metric of metrics) expect(metric.dimensions).toEqual({ TableName: ref('aws_dynamodb_table', table.name, 'name') });
  });

  it('pages on API p99 latency from the load balancer', () => {
    expect(named('api-latency-p99')).toMatchObject({
      namespace: 'AWS/ApplicationELB',
      metric_name: 'TargetResponseTime',
      extended_statistic: 'p99',
      threshold: thresholds.apiP99LatencySeconds,
      dimensions: { LoadBalancer: ref('aws_lb', lb, 'arn_suffix'), TargetGroup: ref('aws_lb_target_group', tg, 'arn_suffix') },
    });
  });

  it("pages on RDS connections against the instance class's default max_connections, and on low freeable memory", () => {
    const max = defaultMaxConnections(env.database.instanceMemoryGiB);
    expect(named('database-connections-high')).toMatchObject({
      namespace: 'AWS/RDS',
      metric_name: 'DatabaseConnections',
      dimensions: { DBInstanceIdentifier: ref('aws_db_instance', db, 'identifier') },
      threshold: Math.floor((max * thresholds.databaseConnectionsPercent) / 100),
    });
    expect(named('database-memory-low')).toMatchObject({
      metric_name: 'FreeableMemory',
      comparison_operator: 'LessThanThreshold',
      threshold: Math.floor((env.database.instanceMemoryGiB * 1024 ** 3 * thresholds.databaseFreeableMemoryPercent) / 100),
    });
  });

  it('pages on readiness failures, counted from the line the API logs for each failed /readyz check', () => {
    const filter = resourceAt(synth, 'aws_cloudwatch_log_metric_filter', 'observability/api-readiness-filter').body;
    const logGroup = resourceAt(synth, 'aws_cloudwatch_log_group', 'observability/api-log-group').name;
    expect(filter).toMatchObject({
      pattern: '{ $.msg = "readiness check failed" }',
      log_group_name: ref('aws_cloudwatch_log_group', logGroup, 'name'),
    });
    const transformation = filter.metric_transformation as Block;
    expect(named('api-readiness')).toMatchObject({
      namespace: transformation.namespace,
      metric_name: transformation.name,
      threshold: thresholds.apiReadinessFailuresPerFiveMinutes,
    });
  });
});

describe('defaultMaxConnections', () => {
  it("follows RDS for PostgreSQL's formula: memory / 9531392, at most 5000", () => {
    expect(defaultMaxConnections(4)).toBe(450);
    expect(defaultMaxConnections(16)).toBe(1802);
    expect(defaultMaxConnections(512)).toBe(5000);
  });
});
