import { AppautoscalingPolicy } from '@cdktn/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktn/provider-aws/lib/appautoscaling-target';
import { EcsService } from '@cdktn/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktn/provider-aws/lib/ecs-task-definition';
import type { ITerraformDependable } from 'cdktn';
import { Construct } from 'constructs';
import { containerDefinitions, FARGATE_MAX_STOP_TIMEOUT_SECONDS, TMP_VOLUME } from './container-definition';
import type { Deployment } from './deployment';
import { workerBacklogTarget } from '../environments';

/**
 * The worker's liveness probe (services/worker/src/health-check.ts): exit 0
 * while the heartbeat its consumer loop writes to /tmp is not overdue. The
 * worker serves no port, so this is the only way ECS notices a worker that
 * still runs but no longer polls or extends the message in hand.
 */
export const WORKER_HEALTH_CHECK_COMMAND = ['CMD', 'node', '/app/services/worker/dist/health-check.js'] as const;

/**
 * How long an apply waits for the worker's rollout (the provider's default
 * is 20 minutes). A good rollout takes minutes: new tasks start and pass
 * their health check (30 s start period), old ones get up to 120 s to hand
 * back their job. A bad one should end with ECS's verdict, not Terraform's
 * timer: the circuit breaker needs at least 3 failed tasks (half the desired
 * count, at most 200), then rolls back, and the provider fails the apply with
 * ECS's reason. 30 minutes leaves room for both, and for Fargate Spot being
 * short of capacity in staging.
 */
export const WORKER_ROLLOUT_TIMEOUT = '30m';

export interface WorkerServiceProps {
  readonly deployment: Deployment;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly privateSubnetIds: string[];
  readonly serviceSecurityGroupId: string;
  readonly image: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;
  /** Name of the export queue, the dimension of its backlog metric. */
  readonly queueName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The export worker on Fargate. No load balancer: it pulls from SQS. It
 * scales on backlog per task (visible messages ÷ running tasks, metric math
 * in a target tracking policy), which is what "exports waiting for a worker"
 * means; the target is the task's lanes (WORKER_CONCURRENCY) times the
 * backlog per lane (workerBacklogTarget). On scale-in, deployment or Spot
 * interruption ECS sends SIGTERM and waits the longest Fargate allows (120 s)
 * before SIGKILL: the worker stops receiving, finishes or releases the jobs
 * in hand, and their messages come back for another task.
 */
export class WorkerService extends Construct {
  readonly service: EcsService;
  readonly taskDefinition: EcsTaskDefinition;
  readonly backlogScaling: AppautoscalingPolicy;

  constructor(scope: Construct, id: string, props: WorkerServiceProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const size = env.worker;
    const name = `${env.prefix}-worker`;

    this.taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(size.cpu),
      memory: String(size.memoryMiB),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: env.cpuArchitecture },
      taskRoleArn: props.taskRoleArn,
      executionRoleArn: props.executionRoleArn,
      volume: [{ name: TMP_VOLUME }],
      containerDefinitions: containerDefinitions({
        name: 'worker',
        image: props.image,
        environment: props.environment,
        secrets: props.secrets,
        logGroupName: props.logGroupName,
        region: deployment.region,
        healthCheckCommand: WORKER_HEALTH_CHECK_COMMAND,
        stopTimeoutSeconds: FARGATE_MAX_STOP_TIMEOUT_SECONDS,
      }),
    });

    this.service = new EcsService(this, 'service', {
      name,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: size.minTasks,
      capacityProviderStrategy: [{ capacityProvider: size.capacityProvider, weight: 1 }],
      platformVersion: 'LATEST',
      availabilityZoneRebalancing: 'ENABLED',
      networkConfiguration: {
        subnets: props.privateSubnetIds,
        securityGroups: [props.serviceSecurityGroupId],
        assignPublicIp: false,
      },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      lifecycle: { ignoreChanges: ['desired_count'] },
      // The apply waits until the new tasks run and the deployment has completed, and fails if ECS rolls it
      // back: the platform stack rolls the API out after this, so a new message version always has its
      // reader running before anything sends it (README: "Deploy order").
      waitForSteadyState: true,
      timeouts: { create: WORKER_ROLLOUT_TIMEOUT, update: WORKER_ROLLOUT_TIMEOUT },
      dependsOn: props.dependsOn,
    });

    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${this.service.name}`,
      minCapacity: size.minTasks,
      maxCapacity: size.maxTasks,
    });

    this.backlogScaling = new AppautoscalingPolicy(this, 'backlog-scaling', {
      name: `${name}-backlog-per-task`,
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: workerBacklogTarget(size),
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'visible',
              label: 'Export requests waiting',
              returnData: false,
              metricStat: {
                stat: 'Sum',
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: props.queueName }],
                },
              },
            },
            {
              id: 'tasks',
              label: 'Running worker tasks',
              returnData: false,
              metricStat: {
                stat: 'Average',
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: props.clusterName },
                    { name: 'ServiceName', value: this.service.name },
                  ],
                },
              },
            },
            {
              id: 'backlog_per_task',
              label: 'Export requests waiting per worker task',
              // At least one task is always running (minTasks ≥ 1), so the divisor is only 0 while ECS replaces the last one.
              expression: 'visible / tasks',
              returnData: true,
            },
          ],
        },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
  }
}
