import { AppautoscalingPolicy } from '@cdktn/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktn/provider-aws/lib/appautoscaling-target';
import { EcsService } from '@cdktn/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktn/provider-aws/lib/ecs-task-definition';
import { Lb } from '@cdktn/provider-aws/lib/lb';
import { LbListener } from '@cdktn/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktn/provider-aws/lib/lb-target-group';
import type { ITerraformDependable } from 'cdktn';
import { Construct } from 'constructs';
import { containerDefinitions, TMP_VOLUME } from './container-definition';
import type { Deployment } from './deployment';
import { API_PORT } from './network';

/**
 * Liveness: the process answers (no dependencies). The target group and the
 * container health check both use it: a task is taken out of the load
 * balancer or replaced only when it is itself broken. Were the target group
 * to check readiness, an RDS Multi-AZ failover (a minute or two without
 * PostgreSQL) would mark every task unhealthy at once and drain the whole
 * fleet, including the routes that need no database.
 */
export const API_LIVENESS_PATH = '/healthz';
/**
 * Readiness: DynamoDB, SQS and PostgreSQL answer. It feeds an alarm, not
 * routing: the container health check asks it on every check and ignores the
 * answer (the API logs each failed check, which a metric filter counts; see
 * Observability's `api-readiness` alarm).
 */
export const API_READINESS_PATH = '/readyz';
/** The readiness probe's own deadline, inside the container check's 5 s timeout (the API gives each check 2 s). */
const READINESS_PROBE_TIMEOUT_MS = 2_500;
/** TLS 1.3 with 1.2 fallback, no CBC ciphers. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** Seconds the ALB keeps sending a deregistered task its in-flight requests (the API closes gracefully on SIGTERM). */
const DEREGISTRATION_DELAY_SECONDS = 30;
const API_STOP_TIMEOUT_SECONDS = 45;
/** AWS's limit for load balancer and target group names. */
const LOAD_BALANCER_NAME_LIMIT = 32;

export interface ApiServiceProps {
  readonly deployment: Deployment;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly loadBalancerSecurityGroupId: string;
  readonly serviceSecurityGroupId: string;
  /** Validated ACM certificate of the API host name. */
  readonly certificateArn: string;
  readonly image: string;
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly logGroupName: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
  /** What must exist before a task starts (tables, queue, bucket, role policies, the JWT key...). */
  readonly dependsOn: ITerraformDependable[];
  /** Where the load balancer writes its access logs; it checks that it may write there when configured. */
  readonly accessLogs: { readonly bucket: string; readonly prefix: string; readonly dependsOn: ITerraformDependable[] };
}

/**
 * The container health check: asks /readyz (so its failures are logged and
 * counted) and then exits by /healthz alone, so a dependency outage never
 * gets a task replaced. ECS replaces a task whose check fails `retries`
 * times in a row, and the target group takes out targets failing its own
 * check; neither may depend on PostgreSQL.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_healthcheck
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
 */
export function apiHealthCheckScript(port: number): string {
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  return (
    `fetch('${url(API_READINESS_PATH)}', { signal: AbortSignal.timeout(${READINESS_PROBE_TIMEOUT_MS}) }).catch(() => undefined)` +
    `.then(() => fetch('${url(API_LIVENESS_PATH)}'))` +
    `.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`
  );
}

/**
 * The API on Fargate behind an internet-facing ALB: HTTPS only (HTTP answers a
 * permanent redirect), at least two tasks that ECS spreads over the private
 * subnets of every zone, health checked on liveness (/healthz) by both the
 * target group and the container, access logs to the log bucket, autoscaled
 * on CPU and on requests per task.
 */
export class ApiService extends Construct {
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  readonly service: EcsService;
  readonly taskDefinition: EcsTaskDefinition;

  constructor(scope: Construct, id: string, props: ApiServiceProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const size = env.api;
    if (size.minTasks < 2) throw new Error(`${env.name}: the API needs at least 2 tasks (one per zone), got ${size.minTasks}`);
    const name = `${env.prefix}-api`;
    if (name.length > LOAD_BALANCER_NAME_LIMIT) {
      throw new Error(
        `${env.name}: "${name}" is longer than the ${LOAD_BALANCER_NAME_LIMIT} characters AWS allows a load balancer; shorten the prefix`,
      );
    }

    this.loadBalancer = new Lb(this, 'load-balancer', {
      name,
      loadBalancerType: 'application',
      internal: false,
      subnets: props.publicSubnetIds,
      securityGroups: [props.loadBalancerSecurityGroupId],
      dropInvalidHeaderFields: true,
      enableDeletionProtection: env.loadBalancerDeletionProtection,
      idleTimeout: 60,
      accessLogs: { bucket: props.accessLogs.bucket, prefix: props.accessLogs.prefix, enabled: true },
      dependsOn: props.accessLogs.dependsOn,
    });

    this.targetGroup = new LbTargetGroup(this, 'target-group', {
      name,
      targetType: 'ip',
      port: API_PORT,
      protocol: 'HTTP',
      vpcId: props.vpcId,
      deregistrationDelay: String(DEREGISTRATION_DELAY_SECONDS),
      loadBalancingAlgorithmType: 'least_outstanding_requests',
      healthCheck: {
        enabled: true,
        path: API_LIVENESS_PATH,
        matcher: '200',
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
    });

    const httpsListener = new LbListener(this, 'https-listener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: TLS_POLICY,
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
    });

    new LbListener(this, 'http-redirect-listener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });

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
        name: 'api',
        image: props.image,
        environment: props.environment,
        secrets: props.secrets,
        logGroupName: props.logGroupName,
        region: deployment.region,
        containerPort: API_PORT,
        healthCheckCommand: ['CMD', 'node', '-e', apiHealthCheckScript(API_PORT)],
        stopTimeoutSeconds: API_STOP_TIMEOUT_SECONDS,
      }),
    });

    this.service = new EcsService(this, 'service', {
      name,
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: size.minTasks,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      platformVersion: 'LATEST',
      // Fargate spreads a service's tasks over the zones of its subnets; rebalancing restores the spread after a zone recovers.
      availabilityZoneRebalancing: 'ENABLED',
      networkConfiguration: {
        subnets: props.privateSubnetIds,
        securityGroups: [props.serviceSecurityGroupId],
        assignPublicIp: false,
      },
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: 'api', containerPort: API_PORT }],
      healthCheckGracePeriodSeconds: 60,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // Autoscaling owns the count after creation; Terraform must not reset it on every apply.
      lifecycle: { ignoreChanges: ['desired_count'] },
      dependsOn: [httpsListener, ...props.dependsOn],
    });

    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${this.service.name}`,
      minCapacity: size.minTasks,
      maxCapacity: size.maxTasks,
    });
    new AppautoscalingPolicy(this, 'cpu-scaling', {
      name: `${name}-cpu`,
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: size.targetCpuPercent,
        predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
    new AppautoscalingPolicy(this, 'request-scaling', {
      name: `${name}-requests`,
      policyType: 'TargetTrackingScaling',
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: size.targetRequestsPerTask,
        predefinedMetricSpecification: {
          predefinedMetricType: 'ALBRequestCountPerTarget',
          resourceLabel: `${this.loadBalancer.arnSuffix}/${this.targetGroup.arnSuffix}`,
        },
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      },
    });
  }
}
