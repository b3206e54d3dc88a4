import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { queues, resourceNames } from '@memberships/core/contract';
import { S3Backend, TerraformOutput, TerraformStack, Token, type ITerraformDependable } from 'cdktn';
import type { Construct } from 'constructs';
import type { SynthConfig } from '../config';
import { ApiService } from '../constructs/api-service';
import { AuditTrail, auditTrailArn } from '../constructs/audit-trail';
import { Database } from '../constructs/database';
import type { Deployment } from '../constructs/deployment';
import { Dns } from '../constructs/dns';
import { EcsCluster } from '../constructs/ecs-cluster';
import { Email } from '../constructs/email';
import { EventBus } from '../constructs/event-bus';
import { ExportBucket } from '../constructs/export-bucket';
import { ExportQueue } from '../constructs/export-queue';
import { TaskIam } from '../constructs/iam';
import { LOG_PREFIXES, LogBucket } from '../constructs/log-bucket';
import { MIGRATE_CONTAINER, MigrateTask } from '../constructs/migrate-task';
import { Network } from '../constructs/network';
import { Observability } from '../constructs/observability';
import { secretKey, sharedEnvironment } from '../constructs/runtime-environment';
import { Scheduler } from '../constructs/scheduler';
import { JWT_SECRET_KEYS, Secrets } from '../constructs/secrets';
import { Tables } from '../constructs/tables';
import { WebAcl } from '../constructs/web-acl';
import { WebhookQueue } from '../constructs/webhook-queue';
import { WorkerService } from '../constructs/worker-service';
import type { EnvironmentConfig } from '../environments';
import { ecrRepositoryArn, PlatformInputs } from './platform-inputs';

/**
 * Terraform and OpenTofu both accept this constraint. 1.10 brought S3-native
 * state locking and ephemeral resources, 1.11 write-only attributes (the JWT
 * signing key is generated and stored through both).
 */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.11.0';

/** The API's base URL as browsers reach it (no trailing slash): HTTPS on its public name (the ALB redirects HTTP). */
export function apiUrl(apiDomainName: string): string {
  return `https://${apiDomainName}`;
}

export interface PlatformStackProps {
  readonly environment: EnvironmentConfig;
  readonly state: Pick<SynthConfig, 'stateBucket' | 'stateRegion' | 'stateLockTable'>;
}

/**
 * The whole platform for one environment. Construct ids are the component
 * names used in docs/architecture.md.
 */
export class PlatformStack extends TerraformStack {
  readonly inputs: PlatformInputs;
  readonly network: Network;
  readonly tables: Tables;
  readonly exportQueue: ExportQueue;
  readonly webhookQueue: WebhookQueue;
  readonly eventBus: EventBus;
  readonly exportBucket: ExportBucket;
  readonly database: Database;
  readonly email: Email;
  readonly scheduler: Scheduler;
  readonly secrets: Secrets;
  readonly observability: Observability;
  readonly iam: TaskIam;
  readonly dns: Dns;
  readonly apiService: ApiService;
  readonly workerService: WorkerService;
  readonly logBucket: LogBucket;
  readonly auditTrail: AuditTrail;
  readonly webAcl: WebAcl;
  readonly migrateTask: MigrateTask;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.environment;

    new S3Backend(this, {
      bucket: props.state.stateBucket,
      key: `memberships/${env.name}/terraform.tfstate`,
      region: props.state.stateRegion ?? env.region,
      encrypt: true,
      // S3-native locking; a DynamoDB lock table as well only if the team has one (Terraform deprecates it).
      useLockfile: true,
      ...(props.state.stateLockTable ? { dynamodbTable: props.state.stateLockTable } : {}),
    });

    // Refuse older binaries up front instead of failing on the lock file mid-init.
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);

    this.inputs = new PlatformInputs(this, 'inputs');
    new AwsProvider(this, 'aws', {
      region: env.region,
      allowedAccountIds: [this.inputs.awsAccountId],
      defaultTags: [{ tags: { Project: 'memberships', Environment: env.name, ManagedBy: 'cdktn' } }],
    });
    const partition = new DataAwsPartition(this, 'partition');

    const deployment: Deployment = {
      environment: env,
      names: resourceNames(env.prefix),
      accountId: this.inputs.awsAccountId,
      partition: partition.partition,
      region: env.region,
    };

    this.network = new Network(this, 'network', { deployment });
    const cluster = new EcsCluster(this, 'ecs-cluster', { deployment });
    this.tables = new Tables(this, 'tables', { deployment });
    this.exportQueue = new ExportQueue(this, 'export-queue', { deployment });
    this.webhookQueue = new WebhookQueue(this, 'webhook-queue', { deployment });
    this.eventBus = new EventBus(this, 'event-bus', { deployment });
    // One variable for how long a file is kept and how long the services say it is (its emailed link's lifetime).
    const fileRetentionDays = this.inputs.exportFileRetentionDays;
    this.exportBucket = new ExportBucket(this, 'export-bucket', { deployment, expireAfterDays: Token.asNumber(fileRetentionDays) });
    this.database = new Database(this, 'database', {
      deployment,
      subnetIds: this.network.databaseSubnetIds,
      securityGroupId: this.network.securityGroups.database.id,
    });
    this.secrets = new Secrets(this, 'secrets', {
      deployment,
      jwtSigningKeyVersion: this.inputs.jwtSigningKeyVersion,
      linkSigningKeyVersion: this.inputs.linkSigningKeyVersion,
    });
    this.logBucket = new LogBucket(this, 'log-bucket', {
      deployment,
      accessLoggedBucket: this.exportBucket.bucket,
      trailArn: auditTrailArn(deployment),
    });
    this.auditTrail = new AuditTrail(this, 'audit-trail', {
      deployment,
      logBucketName: this.logBucket.bucket.bucket,
      exportBucketArn: this.exportBucket.bucket.arn,
      dependsOn: [this.logBucket.policy],
    });
    this.email = new Email(this, 'email', {
      deployment,
      domain: this.inputs.emailDomain,
      hostedZoneId: this.inputs.hostedZoneId,
      dmarcReportAddress: this.inputs.dmarcReportAddress,
    });
    this.scheduler = new Scheduler(this, 'scheduler', {
      deployment,
      queueArn: this.exportQueue.queue.arn,
      deadLetterQueueArn: this.exportQueue.deadLetterQueue.arn,
      webhookQueueArn: this.webhookQueue.queue.arn,
      webhookDeadLetterQueueArn: this.webhookQueue.deadLetterQueue.arn,
    });
    this.observability = new Observability(this, 'observability', { deployment, alarmEmail: this.inputs.alarmEmail });

    const workerRepositoryArn = ecrRepositoryArn(this, 'worker_image_parts', this.inputs.workerImage, deployment.partition);
    const databaseLoginSecretArns = { api: this.database.serviceSecrets.api.arn, worker: this.database.serviceSecrets.worker.arn };
    this.iam = new TaskIam(this, 'iam', {
      deployment,
      tableArns: this.tables.arns,
      queueArn: this.exportQueue.queue.arn,
      deadLetterQueueArn: this.exportQueue.deadLetterQueue.arn,
      webhookQueueArn: this.webhookQueue.queue.arn,
      webhookDeadLetterQueueArn: this.webhookQueue.deadLetterQueue.arn,
      eventBusArn: this.eventBus.bus.arn,
      bucketArn: this.exportBucket.bucket.arn,
      sesIdentityArn: this.email.identityArn,
      sesConfigurationSetArn: this.email.configurationSetArn,
      apiLogGroupArn: this.observability.apiLogGroup.arn,
      workerLogGroupArn: this.observability.workerLogGroup.arn,
      apiRepositoryArn: ecrRepositoryArn(this, 'api_image_parts', this.inputs.apiImage, deployment.partition),
      workerRepositoryArn,
      jwtSecretArn: this.secrets.jwtSigningKey.arn,
      databaseLoginSecretArns,
      linkSigningSecretArn: this.secrets.linkSigningKey.arn,
      scheduleGroupName: this.scheduler.group.name,
      schedulerRoleArn: this.scheduler.role.arn,
    });

    this.dns = new Dns(this, 'dns', {
      apiDomainName: this.inputs.apiDomainName,
      hostedZoneId: this.inputs.hostedZoneId,
    });

    const environment = {
      ...sharedEnvironment(deployment, {
        exportQueueUrl: this.exportQueue.queue.url,
        exportDeadLetterQueueUrl: this.exportQueue.deadLetterQueue.url,
        webhookQueueUrl: this.webhookQueue.queue.url,
        // Each service overrides it with its own role (databaseLogin).
        databaseUrl: this.database.serviceUrl('api'),
      }),
      // Read by the code at run time (AWSCURRENT and AWSPREVIOUS), like the database logins: the task role may.
      LINK_SIGNING_SECRET_ARN: this.secrets.linkSigningKey.arn,
      FILE_RETENTION_DAYS: fileRetentionDays,
    };
    // Each service logs in as its own least-privilege role, its password read from its secret at run time
    // (not by ECS at task start: RDS-style rotation would otherwise break new connections until a restart).
    const databaseLogin = (service: 'api' | 'worker') => ({
      DATABASE_URL: this.database.serviceUrl(service),
      DATABASE_SECRET_ARN: databaseLoginSecretArns[service],
    });
    // Tasks that start before their data stores or permissions exist crash-loop until they do: order the apply instead.
    const prerequisites: ITerraformDependable[] = [
      cluster.capacityProviders,
      ...Object.values(this.tables.tables),
      this.exportQueue.queue,
      this.webhookQueue.queue,
      this.exportBucket.bucket,
      this.database.instance,
      // The key's value, not just its secret: both services read AWSCURRENT when they start.
      this.secrets.linkSigningKeyVersion,
    ];

    this.workerService = new WorkerService(this, 'worker-service', {
      deployment,
      clusterArn: cluster.cluster.arn,
      clusterName: cluster.cluster.name,
      privateSubnetIds: this.network.privateSubnetIds,
      serviceSecurityGroupId: this.network.securityGroups.worker.id,
      image: this.inputs.workerImage,
      taskRoleArn: this.iam.workerTaskRole.arn,
      executionRoleArn: this.iam.workerExecutionRole.arn,
      logGroupName: this.observability.workerLogGroup.name,
      queueName: this.exportQueue.queue.name,
      environment: {
        ...environment,
        SES_FROM_ADDRESS: this.inputs.sesFromAddress,
        SES_CONFIGURATION_SET: this.email.configurationSet.configurationSetName,
        // Where the emailed download links point: the API's public name, as its certificate and alias record have it.
        PUBLIC_API_URL: apiUrl(this.inputs.apiDomainName),
        // Stated, not defaulted: the queue is configured from the same core values.
        VISIBILITY_TIMEOUT_SECONDS: String(queues.exportRequests.visibilityTimeoutSeconds),
        MAX_ATTEMPTS: String(queues.exportRequests.maxAttempts),
        // The lanes the scaling target counts on (workerBacklogTarget): from the same number.
        WORKER_CONCURRENCY: String(deployment.environment.worker.concurrency),
        // Completion events: the webhook lanes' dead-letter queue and the bus every event is put on.
        WEBHOOK_DLQ_URL: this.webhookQueue.deadLetterQueue.url,
        EVENT_BUS_NAME: this.eventBus.bus.name,
        ...databaseLogin('worker'),
      },
      secrets: {},
      dependsOn: [...prerequisites, this.email.identity, this.eventBus.bus, ...this.iam.policies('worker')],
    });

    this.apiService = new ApiService(this, 'api-service', {
      deployment,
      clusterArn: cluster.cluster.arn,
      clusterName: cluster.cluster.name,
      vpcId: this.network.vpc.id,
      publicSubnetIds: this.network.publicSubnetIds,
      privateSubnetIds: this.network.privateSubnetIds,
      loadBalancerSecurityGroupId: this.network.securityGroups.loadBalancer.id,
      serviceSecurityGroupId: this.network.securityGroups.api.id,
      certificateArn: this.dns.validatedCertificateArn,
      image: this.inputs.apiImage,
      taskRoleArn: this.iam.apiTaskRole.arn,
      executionRoleArn: this.iam.apiExecutionRole.arn,
      logGroupName: this.observability.apiLogGroup.name,
      accessLogs: { bucket: this.logBucket.bucket.bucket, prefix: LOG_PREFIXES.loadBalancer, dependsOn: [this.logBucket.policy] },
      environment: {
        ...environment,
        HOST: '0.0.0.0',
        PORT: '3000',
        // Only the ALB (inside the VPC) may set X-Forwarded-For.
        TRUST_PROXY: env.network.vpcCidr,
        // Export subscriptions: one EventBridge Scheduler schedule each, delivering to the export queue.
        SCHEDULER_GROUP_NAME: this.scheduler.group.name,
        SCHEDULER_ROLE_ARN: this.scheduler.role.arn,
        EXPORT_QUEUE_ARN: this.exportQueue.queue.arn,
        EXPORT_DLQ_ARN: this.exportQueue.deadLetterQueue.arn,
        ...databaseLogin('api'),
      },
      secrets: {
        JWT_PRIVATE_KEY: secretKey(this.secrets.jwtSigningKey.arn, JWT_SECRET_KEYS.privateKey),
        JWT_PUBLIC_KEY: secretKey(this.secrets.jwtSigningKey.arn, JWT_SECRET_KEYS.publicKey),
      },
      // The signing key's value, not just its secret: a task started before it exists cannot read JWT_PRIVATE_KEY.
      // The workers first: the API is updated only once the new workers are steady (the worker service waits
      // for it), so every message version the new API sends already has its reader running (README: "Deploy order").
      dependsOn: [...prerequisites, this.secrets.jwtSigningKeyVersion, ...this.iam.policies('api'), this.workerService.service],
    });

    // Run before the services roll (README: "Migrate the database"); no service depends on it in Terraform.
    this.migrateTask = new MigrateTask(this, 'migrate-task', {
      deployment,
      image: this.inputs.workerImage,
      repositoryArn: workerRepositoryArn,
      logGroupName: this.observability.workerLogGroup.name,
      logGroupArn: this.observability.workerLogGroup.arn,
      databaseUrl: this.database.url,
      masterSecretArn: this.database.masterSecretArn,
      loginSecretArns: databaseLoginSecretArns,
      logLevel: env.logLevel,
    });

    this.webAcl = new WebAcl(this, 'web-acl', { deployment, loadBalancerArn: this.apiService.loadBalancer.arn });
    this.dns.addApiAlias(this.apiService.loadBalancer);
    this.observability.addAlarms({
      queueName: this.exportQueue.queue.name,
      deadLetterQueueName: this.exportQueue.deadLetterQueue.name,
      webhookDeadLetterQueueName: this.webhookQueue.deadLetterQueue.name,
      loadBalancerArnSuffix: this.apiService.loadBalancer.arnSuffix,
      targetGroupArnSuffix: this.apiService.targetGroup.arnSuffix,
      databaseIdentifier: this.database.instance.identifier,
      clusterName: cluster.cluster.name,
      serviceNames: { api: this.apiService.service.name, worker: this.workerService.service.name },
      tableNames: Object.fromEntries(Object.entries(this.tables.tables).map(([key, table]) => [key, table.name])),
      scheduleGroupName: this.scheduler.group.name,
    });

    this.outputs(cluster, env.region);
  }

  private outputs(cluster: EcsCluster, region: string): void {
    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output('api_url', apiUrl(this.inputs.apiDomainName), 'Base URL of the API.');
    output('ecs_cluster_name', cluster.cluster.name, 'ECS cluster of both services.');
    output('api_service_name', this.apiService.service.name, 'ECS service of the API.');
    output('worker_service_name', this.workerService.service.name, 'ECS service of the worker.');
    output('export_queue_url', this.exportQueue.queue.url, 'EXPORT_QUEUE_URL.');
    output('export_dlq_url', this.exportQueue.deadLetterQueue.url, 'EXPORT_DLQ_URL.');
    output('webhook_queue_url', this.webhookQueue.queue.url, 'WEBHOOK_QUEUE_URL.');
    output('webhook_dlq_url', this.webhookQueue.deadLetterQueue.url, 'WEBHOOK_DLQ_URL.');
    output('event_bus_name', this.eventBus.bus.name, 'EVENT_BUS_NAME: the bus of completion events, for rules of your own.');
    output('export_bucket', this.exportBucket.bucket.bucket, 'EXPORT_BUCKET.');
    output('database_endpoint', this.database.instance.address, 'PostgreSQL host name (private).');
    output('database_secret_arn', this.database.masterSecretArn, 'Secrets Manager secret with the database master credentials.');
    output(
      'jwt_signing_key_secret_arn',
      this.secrets.jwtSigningKey.arn,
      'Secret holding the ES256 key pair Terraform generated (write-only: not in state).',
    );
    output(
      'link_signing_key_secret_arn',
      this.secrets.linkSigningKey.arn,
      'Secret holding the HMAC key of the emailed download links Terraform generated (write-only: not in state).',
    );
    output('users_table', this.tables.tables.users.name, 'USERS_TABLE, for create-user (the first administrator).');
    output('aws_region', region, 'AWS_REGION of every service and script.');
    output(
      'log_bucket',
      this.logBucket.bucket.bucket,
      'ALB access logs (alb/), export bucket access logs (s3-access/), CloudTrail (cloudtrail/).',
    );
    output('schedule_group_name', this.scheduler.group.name, 'EventBridge Scheduler group of export schedules.');
    output('scheduler_role_arn', this.scheduler.role.arn, 'Role export schedules use to reach the queue.');
    // What `aws ecs run-task` needs for the migrate task (README: "Migrate the database").
    output(
      'migrate_task_definition_arn',
      this.migrateTask.taskDefinition.arn,
      'Task definition of the one-off migrate task (latest revision).',
    );
    output('migrate_task_family', this.migrateTask.taskDefinition.family, 'Family of the migrate task definition.');
    output('migrate_container_name', MIGRATE_CONTAINER, 'Container of the migrate task, for --overrides (e.g. --rotate).');
    new TerraformOutput(this, 'private_subnet_ids', {
      value: this.network.privateSubnetIds,
      description: 'Private subnets the migrate task runs in (no public IP).',
    });
    output(
      'migrate_security_group_id',
      this.network.securityGroups.worker.id,
      "Security group for the migrate task: the worker's, allowed to reach PostgreSQL and the VPC endpoints.",
    );
    output('database_api_secret_arn', this.database.serviceSecrets.api.arn, "The API role's database login (written by migrate).");
    output('database_worker_secret_arn', this.database.serviceSecrets.worker.arn, "The worker role's database login (written by migrate).");
    output('alarm_topic_arn', this.observability.alarmTopic.arn, 'SNS topic every alarm notifies.');
  }
}
