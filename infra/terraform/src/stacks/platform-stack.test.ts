import {
  buckets,
  parseWebhookMessage,
  queues,
  resourceNames,
  tables,
  type TableDefinition,
  type TableKey,
} from '@memberships/core/contract';
import { environments, production, staging, workerMemoryNeedMiB, type EnvironmentConfig } from '../environments';
import {
  containerOf,
  documentName,
  environmentOf,
  policyDocuments,
  ref,
  resourceAt,
  resourcesOf,
  synthesize,
  type Block,
  type PolicyStatementJson,
  type SynthesizedStack,
} from '../testing/terraform-json';

/**
 * What the synthesized Terraform of every environment guarantees. Each block
 * is a property someone relying on the platform would notice if it broke:
 * an outage in one zone, unencrypted data, a lost message, a table the code
 * cannot query, a role that can do more than its service needs.
 */

/** Actions AWS only authorises on Resource "*"; each one named with its reason. */
const ACTIONS_ONLY_ON_ANY_RESOURCE: Readonly<Record<string, string>> = {
  'ecr:GetAuthorizationToken': 'the registry login token is account-wide, it has no resource ARN',
  'scheduler:ListSchedules': 'the Service Authorization Reference lists no resource type for it',
};

const synthesized = new Map<string, SynthesizedStack>(environments.map((env) => [env.name, synthesize(env)]));
const cases = environments.map((env) => [env.name, env] as const);
const synthOf = (env: EnvironmentConfig): SynthesizedStack => synthesized.get(env.name)!;

describe.each(cases)('%s stack', (_name, env) => {
  const synth = synthOf(env);
  const names = resourceNames(env.prefix);

  it('synthesizes with an S3 backend per environment, locking, and the provider pinned to the account variable', () => {
    const backend = (synth.json.terraform.backend as { s3: Block }).s3;
    expect(backend).toMatchObject({ key: `memberships/${env.name}/terraform.tfstate`, encrypt: true, use_lockfile: true });
    expect(synth.json.terraform.required_version).toBe('>= 1.11.0');
    expect(synth.json.provider['aws']?.[0]).toMatchObject({
      region: env.region,
      allowed_account_ids: ['${var.aws_account_id}'],
    });
    for (const variable of [
      'aws_account_id',
      'api_domain_name',
      'hosted_zone_id',
      'email_domain',
      'ses_from_address',
      'api_image',
      'worker_image',
      'alarm_email',
      'dmarc_report_address',
      'jwt_signing_key_version',
      'link_signing_key_version',
      'export_file_retention_days',
    ]) {
      expect(synth.json.variable[variable]).toMatchObject({ type: 'string' });
      expect(synth.json.variable[variable]?.validation).toHaveLength(1);
    }
  });

  describe('availability', () => {
    it('spreads every subnet tier over at least two availability zones', () => {
      const subnets = resourcesOf(synth, 'aws_subnet').map(({ body }) => body);
      for (const tier of ['public', 'private', 'database']) {
        const zones = new Set(subnets.filter((s) => (s.tags as Record<string, string>).Tier === tier).map((s) => s.availability_zone));
        expect(zones.size).toBeGreaterThanOrEqual(2);
        expect([...zones].sort()).toEqual([...env.availabilityZones].sort());
      }
      const cidrs = subnets.map((s) => s.cidr_block);
      expect(new Set(cidrs).size).toBe(cidrs.length);
    });

    it('runs PostgreSQL Multi-AZ in the database subnets, not publicly reachable', () => {
      const [db, ...others] = resourcesOf(synth, 'aws_db_instance');
      expect(others).toHaveLength(0);
      expect(db!.body).toMatchObject({ engine: 'postgres', multi_az: true, publicly_accessible: false });
      const subnetGroup = resourceAt(synth, 'aws_db_subnet_group', 'database/subnet-group');
      expect(db!.body.db_subnet_group_name).toBe(ref('aws_db_subnet_group', subnetGroup.name, 'name'));
      const databaseSubnets = resourcesOf(synth, 'aws_subnet').filter(
        ({ body }) => (body.tags as Record<string, string>).Tier === 'database',
      );
      expect(subnetGroup.body.subnet_ids).toEqual(databaseSubnets.map(({ name }) => ref('aws_subnet', name, 'id')));
    });

    it('runs at least two API tasks in the private subnets of every zone, and autoscaling never goes below two', () => {
      const service = resourceAt(synth, 'aws_ecs_service', 'api-service/service').body;
      expect(service.desired_count).toBeGreaterThanOrEqual(2);
      const privateSubnets = resourcesOf(synth, 'aws_subnet')
        .filter(({ body }) => (body.tags as Record<string, string>).Tier === 'private')
        .map(({ name }) => ref('aws_subnet', name, 'id'));
      expect((service.network_configuration as Block).subnets).toEqual(privateSubnets);
      expect((service.network_configuration as Block).assign_public_ip).toBe(false);
      const target = resourceAt(synth, 'aws_appautoscaling_target', 'api-service/scaling-target').body;
      expect(target.min_capacity).toBeGreaterThanOrEqual(2);
      expect(target.max_capacity).toBeGreaterThan(target.min_capacity as number);
    });

    it('sends private subnets out through NAT gateways in the public subnets (one per zone in production)', () => {
      const nats = resourcesOf(synth, 'aws_nat_gateway');
      expect(nats).toHaveLength(env.network.natGatewayPerZone ? env.availabilityZones.length : 1);
    });
  });

  describe('API service', () => {
    it('terminates HTTPS on the load balancer and redirects HTTP to HTTPS', () => {
      const listeners = resourcesOf(synth, 'aws_lb_listener').map(({ body }) => body);
      const https = listeners.find((l) => l.port === 443)!;
      expect(https).toMatchObject({ protocol: 'HTTPS', ssl_policy: expect.stringMatching(/^ELBSecurityPolicy-TLS13/) });
      const validation = resourceAt(synth, 'aws_acm_certificate_validation', 'dns/certificate-validation');
      expect(https.certificate_arn).toBe(ref('aws_acm_certificate_validation', validation.name, 'certificate_arn'));
      const http = listeners.find((l) => l.port === 80)!;
      expect(http.default_action).toEqual([
        expect.objectContaining({ type: 'redirect', redirect: expect.objectContaining({ protocol: 'HTTPS', status_code: 'HTTP_301' }) }),
      ]);
    });

    it('checks liveness (/healthz) on the target group, so a database failover does not drain the fleet', () => {
      const targetGroup = resourceAt(synth, 'aws_lb_target_group', 'api-service/target-group').body;
      expect(targetGroup).toMatchObject({
        target_type: 'ip',
        port: 3000,
        health_check: expect.objectContaining({ path: '/healthz', matcher: '200' }),
      });
      const container = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'api-service/task-definition').body);
      // The container check asks /readyz too (for the readiness alarm) but exits by /healthz.
      expect(container.healthCheck?.command.join(' ')).toContain('http://127.0.0.1:3000/healthz');
      expect(container.healthCheck?.command.join(' ')).toContain('http://127.0.0.1:3000/readyz');
    });

    it('gives the worker a container health check on its heartbeat', () => {
      const container = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body);
      expect(container.healthCheck?.command).toEqual(['CMD', 'node', '/app/services/worker/dist/health-check.js']);
    });

    it('autoscales on CPU and on requests per task', () => {
      const policies = resourcesOf(synth, 'aws_appautoscaling_policy')
        .filter(({ path }) => path.includes('/api-service/'))
        .map(({ body }) => (body.target_tracking_scaling_policy_configuration as Block).predefined_metric_specification as Block);
      expect(policies.map((p) => p.predefined_metric_type).sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
    });

    it('is published under the API domain by an alias record to the load balancer', () => {
      const alias = resourceAt(synth, 'aws_route53_record', 'dns/api-alias-record').body;
      const lb = resourceAt(synth, 'aws_lb', 'api-service/load-balancer');
      expect(alias).toMatchObject({ name: '${var.api_domain_name}', type: 'A', zone_id: '${var.hosted_zone_id}' });
      expect(alias.alias).toMatchObject({ name: ref('aws_lb', lb.name, 'dns_name'), evaluate_target_health: true });
    });
  });

  describe('worker service', () => {
    it('gets the longest stop timeout Fargate allows, to finish or release the export in hand', () => {
      const container = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body);
      expect(container.stopTimeout).toBe(120);
    });

    it('runs as many lanes as the scaling target counts on, with the memory they need', () => {
      const container = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body);
      const environment = Object.fromEntries((container.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]));
      expect(environment.WORKER_CONCURRENCY).toBe(String(env.worker.concurrency));
      const task = resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body;
      expect(Number(task.memory)).toBeGreaterThanOrEqual(workerMemoryNeedMiB(env.worker));
    });

    it('scales on export requests waiting per running task, its lanes times the backlog per lane', () => {
      const policy = resourceAt(synth, 'aws_appautoscaling_policy', 'worker-service/backlog-scaling').body;
      const config = policy.target_tracking_scaling_policy_configuration as Block;
      expect(config.target_value).toBe(env.worker.concurrency * env.worker.targetBacklogPerLane);
      const metrics = (config.customized_metric_specification as Block).metrics as Block[];
      const byId = Object.fromEntries(metrics.map((m) => [m.id, m]));
      const queue = resourceAt(synth, 'aws_sqs_queue', 'export-queue/queue');
      expect(byId.visible?.metric_stat).toMatchObject({
        metric: {
          namespace: 'AWS/SQS',
          metric_name: 'ApproximateNumberOfMessagesVisible',
          dimensions: [{ name: 'QueueName', value: ref('aws_sqs_queue', queue.name, 'name') }],
        },
      });
      expect(byId.tasks?.metric_stat).toMatchObject({ metric: { namespace: 'ECS/ContainerInsights', metric_name: 'RunningTaskCount' } });
      expect(byId.backlog_per_task).toMatchObject({ expression: 'visible / tasks', return_data: true });
      const target = resourceAt(synth, 'aws_appautoscaling_target', 'worker-service/scaling-target').body;
      expect(target).toMatchObject({ min_capacity: env.worker.minTasks, max_capacity: env.worker.maxTasks });
      expect(resourceAt(synth, 'aws_ecs_cluster', 'ecs-cluster/cluster').body.setting).toEqual([
        { name: 'containerInsights', value: 'enabled' },
      ]);
    });
  });

  describe('data stores are encrypted at rest', () => {
    it('DynamoDB: server-side encryption and point-in-time recovery on every table', () => {
      const dynamoTables = resourcesOf(synth, 'aws_dynamodb_table');
      expect(dynamoTables).toHaveLength(Object.keys(tables).length);
      for (const { body } of dynamoTables) {
        expect(body.server_side_encryption).toEqual({ enabled: true });
        expect(body.point_in_time_recovery).toEqual({ enabled: true });
      }
    });

    it('SQS: SSE on the export and webhook queues and their dead-letter queues', () => {
      const sqs = resourcesOf(synth, 'aws_sqs_queue');
      expect(sqs.map(({ body }) => body.name).sort()).toEqual(
        [
          names.queues.exportRequests,
          names.queues.exportRequestsDeadLetter,
          names.queues.webhookEvents,
          names.queues.webhookEventsDeadLetter,
        ].sort(),
      );
      for (const { body } of sqs) expect(body.sqs_managed_sse_enabled === true || typeof body.kms_master_key_id === 'string').toBe(true);
    });

    it('S3: default encryption on every bucket', () => {
      for (const bucket of resourcesOf(synth, 'aws_s3_bucket')) {
        const encryption = resourcesOf(synth, 'aws_s3_bucket_server_side_encryption_configuration').find(
          ({ body }) => body.bucket === ref('aws_s3_bucket', bucket.name, 'id'),
        );
        expect(encryption?.body.rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }]);
      }
    });

    it('RDS: encrypted storage, credentials only in Secrets Manager, TLS forced', () => {
      const db = resourcesOf(synth, 'aws_db_instance')[0]!.body;
      expect(db).toMatchObject({ storage_encrypted: true, manage_master_user_password: true });
      expect(db.password).toBeUndefined();
      const parameters = resourceAt(synth, 'aws_db_parameter_group', 'database/parameter-group').body;
      expect(parameters.parameter).toContainEqual({ name: 'rds.force_ssl', value: '1' });
    });
  });

  describe('export queue', () => {
    it('is configured from core: visibility timeout, retention, and a redrive to the DLQ after maxReceiveCount receives', () => {
      const queue = resourceAt(synth, 'aws_sqs_queue', 'export-queue/queue').body;
      const dlq = resourceAt(synth, 'aws_sqs_queue', 'export-queue/dead-letter-queue');
      expect(queue).toMatchObject({
        name: names.queues.exportRequests,
        visibility_timeout_seconds: queues.exportRequests.visibilityTimeoutSeconds,
        message_retention_seconds: queues.exportRequests.messageRetentionSeconds,
      });
      expect(JSON.parse(String(queue.redrive_policy))).toEqual({
        deadLetterTargetArn: ref('aws_sqs_queue', dlq.name, 'arn'),
        maxReceiveCount: queues.exportRequests.maxReceiveCount,
      });
      expect(dlq.body).toMatchObject({
        name: names.queues.exportRequestsDeadLetter,
        message_retention_seconds: queues.exportRequestsDeadLetter.messageRetentionSeconds,
      });
    });

    it('tells the worker the same visibility timeout and attempt count the queue uses', () => {
      const worker = environmentOf(containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body));
      expect(worker.VISIBILITY_TIMEOUT_SECONDS).toBe(String(queues.exportRequests.visibilityTimeoutSeconds));
      expect(worker.MAX_ATTEMPTS).toBe(String(queues.exportRequests.maxAttempts));
      // Spare receives: the worker fails the job and dead-letters it itself before SQS's redrive would.
      expect(queues.exportRequests.maxReceiveCount).toBeGreaterThan(queues.exportRequests.maxAttempts);
    });
  });

  describe('DynamoDB tables match core definitions', () => {
    it.each(Object.keys(tables) as TableKey[])('%s: name, keys, attribute types, indexes and TTL', (key) => {
      const definition: TableDefinition = tables[key];
      const table = resourcesOf(synth, 'aws_dynamodb_table').find(({ body }) => body.name === names.tables[key]);
      expect(table).toBeDefined();
      const body = table!.body;
      expect(body.hash_key).toBe(definition.partitionKey);
      expect(body.range_key).toBe(definition.sortKey);
      expect(body.billing_mode).toBe('PAY_PER_REQUEST');
      const attributes = Object.fromEntries((body.attribute as { name: string; type: string }[]).map((a) => [a.name, a.type]));
      expect(attributes).toEqual(definition.attributes);
      const indexes = ((body.global_secondary_index as Block[] | undefined) ?? []).map((index) => ({
        name: index.name,
        partitionKey: index.hash_key,
        ...(index.range_key ? { sortKey: index.range_key } : {}),
      }));
      expect(indexes).toEqual(definition.globalIndexes.map((index) => ({ ...index })));
      if (definition.ttlAttribute) {
        expect(body.ttl).toEqual({ attribute_name: definition.ttlAttribute, enabled: true });
      } else {
        expect(body.ttl).toBeUndefined();
      }
    });
  });

  describe('export bucket', () => {
    it('is private: public access block all on, ACLs disabled, no ACL granted, TLS-only policy', () => {
      const bucket = resourceAt(synth, 'aws_s3_bucket', 'export-bucket/bucket');
      const bucketId = ref('aws_s3_bucket', bucket.name, 'id');
      expect(bucket.body.bucket).toBe(names.buckets.exportFiles);
      expect(bucket.body.acl).toBeUndefined();
      expect(resourcesOf(synth, 'aws_s3_bucket_acl')).toHaveLength(0);
      expect(
        resourcesOf(synth, 'aws_s3_bucket_public_access_block')
          .filter(({ body }) => body.bucket === bucketId)
          .map(({ body }) => body),
      ).toEqual([
        expect.objectContaining({
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        }),
      ]);
      expect(resourceAt(synth, 'aws_s3_bucket_ownership_controls', 'export-bucket/ownership').body.rule).toEqual({
        object_ownership: 'BucketOwnerEnforced',
      });
      const policy = resourceAt(synth, 'aws_s3_bucket_policy', 'export-bucket/policy').body;
      const statements = policyDocuments(synth).get(documentName(policy.policy)!)!;
      expect(statements).toContainEqual(
        expect.objectContaining({ effect: 'Deny', condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] }),
      );
      expect(statements.every((s) => s.effect === 'Deny')).toBe(true);
    });

    it(`expires export files after export_file_retention_days (default core's ${buckets.exportFiles.expireAfterDays}) and aborts abandoned uploads`, () => {
      const [rule] = resourceAt(synth, 'aws_s3_bucket_lifecycle_configuration', 'export-bucket/lifecycle').body.rule as Block[];
      expect(synth.json.variable.export_file_retention_days).toMatchObject({ default: String(buckets.exportFiles.expireAfterDays) });
      expect(rule).toMatchObject({
        status: 'Enabled',
        filter: [{ prefix: 'exports/' }],
        expiration: [{ days: '${var.export_file_retention_days}' }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
      });
    });
  });

  describe('least-privilege IAM', () => {
    const documents = policyDocuments(synth);

    it('keeps every policy in an aws_iam_policy_document (so this walk sees all of them) and attaches no managed policy', () => {
      for (const { body } of resourcesOf(synth, 'aws_iam_role')) {
        expect(documentName(body.assume_role_policy)).toBeDefined();
        expect(body.managed_policy_arns).toBeUndefined();
        expect(body.inline_policy).toBeUndefined();
      }
      for (const type of ['aws_iam_role_policy', 'aws_s3_bucket_policy']) {
        for (const { body } of resourcesOf(synth, type)) expect(documentName(body.policy)).toBeDefined();
      }
      for (const type of [
        'aws_iam_role_policy_attachment',
        'aws_iam_policy',
        'aws_iam_user',
        'aws_iam_access_key',
        'aws_sqs_queue_policy',
      ]) {
        expect(resourcesOf(synth, type)).toHaveLength(0);
      }
      for (const { body } of resourcesOf(synth, 'aws_sqs_queue')) expect(body.policy).toBeUndefined();
    });

    it('has no Allow statement with a wildcard action, and "*" resources only where AWS requires them', () => {
      const statements = [...documents.values()].flat();
      expect(statements.length).toBeGreaterThan(20);
      for (const statement of statements.filter((s) => s.effect !== 'Deny')) {
        for (const action of statement.actions ?? []) expect(action).not.toContain('*');
        if (!statement.resources) {
          // Only trust policies have no resources: they name who may assume the role.
          expect(statement.actions).toEqual(['sts:AssumeRole']);
          expect(statement.principals?.[0]?.type).toBe('Service');
          expect(statement.condition?.map((c) => c.variable)).toContain('aws:SourceAccount');
          continue;
        }
        for (const resource of statement.resources) {
          if (resource === '*') {
            expect(Object.keys(ACTIONS_ONLY_ON_ANY_RESOURCE)).toEqual(expect.arrayContaining(statement.actions ?? []));
          } else {
            // No "every resource of a service" ARN in disguise (arn:aws:s3:::*, arn:aws:sqs:eu-central-1:123:*...).
            expect(resource).not.toMatch(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:\*$/);
            expect(resource.startsWith('*')).toBe(false);
          }
        }
      }
    });

    const roleStatements = (roleSuffix: string): PolicyStatementJson[] => {
      const policy = resourceAt(synth, 'aws_iam_role_policy', `iam/${roleSuffix}/policy`).body;
      return documents.get(documentName(policy.policy)!)!;
    };
    const actionsOf = (statements: PolicyStatementJson[]) => statements.flatMap((s) => s.actions ?? []);
    const table = (key: TableKey) => resourcesOf(synth, 'aws_dynamodb_table').find(({ body }) => body.name === names.tables[key])!.name;
    const queueArn = ref('aws_sqs_queue', resourceAt(synth, 'aws_sqs_queue', 'export-queue/queue').name, 'arn');
    const dlqArn = ref('aws_sqs_queue', resourceAt(synth, 'aws_sqs_queue', 'export-queue/dead-letter-queue').name, 'arn');
    const bucketArn = ref('aws_s3_bucket', resourceAt(synth, 'aws_s3_bucket', 'export-bucket/bucket').name, 'arn');
    const webhookQueueArn = ref('aws_sqs_queue', resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/queue').name, 'arn');
    const webhookDlqArn = ref('aws_sqs_queue', resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/dead-letter-queue').name, 'arn');
    const busArn = ref('aws_cloudwatch_event_bus', resourceAt(synth, 'aws_cloudwatch_event_bus', 'event-bus/bus').name, 'arn');

    it('API task role: its tables and index, enqueue, read export files; no email, no consuming, no other bucket objects', () => {
      const statements = roleStatements('api-task-role');
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ['dynamodb:Query'],
          resources: [`${ref('aws_dynamodb_table', table('exportJobs'), 'arn')}/index/byUser`],
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [queueArn] }),
      );
      expect(statements).toContainEqual(expect.objectContaining({ actions: ['s3:GetObject'], resources: [`${bucketArn}/exports/*`] }));
      // Re-sends and cancel events onto the webhook queue; only the worker puts events on the bus.
      expect(statements).toContainEqual(expect.objectContaining({ actions: ['sqs:SendMessage'], resources: [webhookQueueArn] }));
      const actions = actionsOf(statements);
      expect(actions.filter((a) => a.startsWith('ses:'))).toEqual([]);
      expect(actions.filter((a) => a.startsWith('events:'))).toEqual([]);
      expect(actions).not.toContain('sqs:ReceiveMessage');
      expect(actions).not.toContain('s3:PutObject');
      expect(statements.filter((s) => s.actions?.includes('sqs:SendMessage')).flatMap((s) => s.resources)).toEqual([
        queueArn,
        webhookQueueArn,
      ]);
    });

    it('worker task role: consume the queue, dead-letter, write export files, send email from the identity; never enqueue', () => {
      const statements = roleStatements('worker-task-role');
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          resources: [queueArn],
        }),
      );
      expect(statements).toContainEqual(expect.objectContaining({ actions: ['sqs:SendMessage'], resources: [dlqArn] }));
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          resources: [`${bucketArn}/exports/*`],
        }),
      );
      const identity = resourceAt(synth, 'aws_sesv2_email_identity', 'email/identity').name;
      const configurationSet = resourceAt(synth, 'aws_sesv2_configuration_set', 'email/configuration-set').name;
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ['ses:SendEmail'],
          resources: [ref('aws_sesv2_email_identity', identity, 'arn'), ref('aws_sesv2_configuration_set', configurationSet, 'arn')],
        }),
      );
      // Never the export queue: the webhook queue (fan-out into deliveries) and the two DLQs only.
      const sends = statements.filter((s) => s.actions?.includes('sqs:SendMessage'));
      expect(sends.flatMap((s) => s.resources)).toEqual([dlqArn, webhookQueueArn, webhookDlqArn]);
      expect(statements).toContainEqual(
        expect.objectContaining({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
          resources: [webhookQueueArn],
        }),
      );
      // Queries the jobs' expiry index (the expiry sweep), never a user's job list, and the webhooks table's
      // indexes (the fan-out lists a user's endpoints).
      expect(statements.filter((s) => s.actions?.includes('dynamodb:Query')).flatMap((s) => s.resources)).toEqual([
        `${ref('aws_dynamodb_table', table('exportJobs'), 'arn')}/index/byExpiryHour`,
        ...tables.webhooks.globalIndexes.map((index) => `${ref('aws_dynamodb_table', table('webhooks'), 'arn')}/index/${index.name}`),
      ]);
    });

    it('worker task role: events:PutEvents on the platform bus only, never the default bus or "*"', () => {
      const puts = roleStatements('worker-task-role').filter((s) => s.actions?.some((a) => a.startsWith('events:')));
      expect(puts).toEqual([expect.objectContaining({ sid: 'PutCompletionEvents', actions: ['events:PutEvents'], resources: [busArn] })]);
      expect(resourceAt(synth, 'aws_cloudwatch_event_bus', 'event-bus/bus').body.name).toBe(names.eventBus);
    });

    it('task roles: each service reads only its own database login secret and the link signing key, and writes none', () => {
      const secretArn = (path: string) =>
        ref('aws_secretsmanager_secret', resourceAt(synth, 'aws_secretsmanager_secret', path).name, 'arn');
      for (const service of ['api', 'worker'] as const) {
        const secretStatements = roleStatements(`${service}-task-role`).filter((s) =>
          s.actions?.some((a) => a.startsWith('secretsmanager:')),
        );
        expect(secretStatements).toEqual([
          expect.objectContaining({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn(`database/${service}-login`)] }),
          expect.objectContaining({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn('secrets/link-signing-key')] }),
        ]);
      }
    });

    it('execution roles: pull their own image, write their own log group, read only the secrets they inject', () => {
      const jwtSecret = ref(
        'aws_secretsmanager_secret',
        resourceAt(synth, 'aws_secretsmanager_secret', 'secrets/jwt-signing-key').name,
        'arn',
      );
      const secretsOf = (role: string) => roleStatements(role).find((s) => s.actions?.includes('secretsmanager:GetSecretValue'))?.resources;
      // The database master secret is read by no service: only the migrate task's role may.
      expect(secretsOf('api-execution-role')).toEqual([jwtSecret]);
      expect(secretsOf('worker-execution-role')).toBeUndefined();
      for (const [role, image, logGroup] of [
        ['api-execution-role', 'api_image_parts', 'observability/api-log-group'],
        ['worker-execution-role', 'worker_image_parts', 'observability/worker-log-group'],
      ] as const) {
        const pull = roleStatements(role).find((s) => s.actions?.includes('ecr:BatchGetImage'))!;
        expect(pull.resources).toHaveLength(1);
        expect(pull.resources![0]).toContain(`local.${image}`);
        const logs = roleStatements(role).find((s) => s.actions?.includes('logs:PutLogEvents'))!;
        expect(logs.resources).toEqual([
          `${ref('aws_cloudwatch_log_group', resourceAt(synth, 'aws_cloudwatch_log_group', logGroup).name, 'arn')}:*`,
        ]);
      }
    });

    it('scheduler role: only sqs:SendMessage to the export and webhook queues and their DLQs, assumable only by its two groups', () => {
      const permissions = documents.get(
        documentName(resourceAt(synth, 'aws_iam_role_policy', 'scheduler/target-role/policy').body.policy)!,
      )!;
      const dlqArn = ref('aws_sqs_queue', resourceAt(synth, 'aws_sqs_queue', 'export-queue/dead-letter-queue').name, 'arn');
      expect(permissions).toEqual([
        expect.objectContaining({ effect: 'Allow', actions: ['sqs:SendMessage'], resources: [queueArn] }),
        expect.objectContaining({ effect: 'Allow', actions: ['sqs:SendMessage'], resources: [dlqArn] }),
        expect.objectContaining({ effect: 'Allow', actions: ['sqs:SendMessage'], resources: [webhookQueueArn] }),
        expect.objectContaining({ effect: 'Allow', actions: ['sqs:SendMessage'], resources: [webhookDlqArn] }),
      ]);
      const trust = documents.get(documentName(resourceAt(synth, 'aws_iam_role', 'scheduler/target-role/role').body.assume_role_policy)!)!;
      expect(trust[0]?.principals).toEqual([{ type: 'Service', identifiers: ['scheduler.amazonaws.com'] }]);
      // Scheduler presents the schedule group's ARN as aws:SourceArn, never a schedule's.
      const groupArn = (path: string) =>
        ref('aws_scheduler_schedule_group', resourceAt(synth, 'aws_scheduler_schedule_group', path).name, 'arn');
      expect(trust[0]?.condition).toContainEqual({
        test: 'ArnEquals',
        variable: 'aws:SourceArn',
        values: [groupArn('scheduler/schedule-group'), groupArn('scheduler/maintenance-group')],
      });
      expect(trust[0]?.condition).toContainEqual(expect.objectContaining({ test: 'StringEquals', variable: 'aws:SourceAccount' }));
      // The group is the one core names, which is the one the API is told to create schedules in.
      expect(resourceAt(synth, 'aws_scheduler_schedule_group', 'scheduler/schedule-group').body.name).toBe(names.scheduleGroup);
    });

    it('expiry sweep: one schedule, every hour, in a group of its own, sending expiry.sweep to the webhook queue with the scheduler role', () => {
      const schedules = resourcesOf(synth, 'aws_scheduler_schedule');
      expect(schedules).toHaveLength(1);
      const sweep = resourceAt(synth, 'aws_scheduler_schedule', 'scheduler/expiry-sweep').body;
      const maintenance = resourceAt(synth, 'aws_scheduler_schedule_group', 'scheduler/maintenance-group');
      expect(maintenance.body.name).toBe(names.maintenanceScheduleGroup);
      // Not the subscriptions' group, which the API manages and the reconciler prunes.
      expect(names.maintenanceScheduleGroup).not.toBe(names.scheduleGroup);
      expect(sweep).toMatchObject({
        name: 'expiry-sweep',
        group_name: ref('aws_scheduler_schedule_group', maintenance.name, 'name'),
        schedule_expression: 'rate(1 hour)',
        flexible_time_window: { mode: 'OFF' },
        target: {
          arn: webhookQueueArn,
          role_arn: ref('aws_iam_role', resourceAt(synth, 'aws_iam_role', 'scheduler/target-role/role').name, 'arn'),
          dead_letter_config: { arn: webhookDlqArn },
        },
      });
      const input = (sweep.target as { input: string }).input;
      expect(JSON.parse(input)).toEqual({ type: 'expiry.sweep', version: 1, scheduledTime: '<aws.scheduler.scheduled-time>' });
      // What the worker reads, once Scheduler has put in the time.
      expect(parseWebhookMessage(input.replace('<aws.scheduler.scheduled-time>', '2026-12-08T05:00:00Z'))).toMatchObject({ ok: true });
    });

    it('lets the API manage schedules only in its group and pass only the scheduler role, only to the Scheduler', () => {
      const statements = roleStatements('api-task-role');
      const manage = statements.find((s) => s.actions?.includes('scheduler:CreateSchedule'))!;
      const group = ref(
        'aws_scheduler_schedule_group',
        resourceAt(synth, 'aws_scheduler_schedule_group', 'scheduler/schedule-group').name,
        'name',
      );
      expect(manage.resources).toEqual([expect.stringMatching(/^arn:.*:scheduler:.*:schedule\//)]);
      expect(manage.resources![0]!.endsWith(`:schedule/${group}/*`)).toBe(true);
      const pass = statements.find((s) => s.actions?.includes('iam:PassRole'))!;
      expect(pass.actions).toEqual(['iam:PassRole']);
      expect(pass.resources).toEqual([ref('aws_iam_role', resourceAt(synth, 'aws_iam_role', 'scheduler/target-role/role').name, 'arn')]);
      expect(pass.condition).toEqual([expect.objectContaining({ variable: 'iam:PassedToService', values: ['scheduler.amazonaws.com'] })]);
    });
  });

  describe('network access', () => {
    const groupRef = (id: string) => ref('aws_security_group', resourceAt(synth, 'aws_security_group', `network/${id}`).name, 'id');

    it('lets only the API and worker tasks reach PostgreSQL', () => {
      const ingress = resourcesOf(synth, 'aws_vpc_security_group_ingress_rule')
        .map(({ body }) => body)
        .filter((rule) => rule.security_group_id === groupRef('database'));
      expect(ingress.map((rule) => rule.referenced_security_group_id).sort()).toEqual([groupRef('api'), groupRef('worker')].sort());
      expect(ingress.every((rule) => rule.from_port === 5432 && rule.to_port === 5432 && rule.cidr_ipv4 === undefined)).toBe(true);
      const db = resourcesOf(synth, 'aws_db_instance')[0]!.body;
      expect(db.vpc_security_group_ids).toEqual([groupRef('database')]);
    });

    it('exposes only the load balancer to the internet, on 80 and 443', () => {
      const open = resourcesOf(synth, 'aws_vpc_security_group_ingress_rule')
        .map(({ body }) => body)
        .filter((rule) => rule.cidr_ipv4 === '0.0.0.0/0');
      expect(open.map((rule) => [rule.security_group_id, rule.from_port]).sort()).toEqual(
        [
          [groupRef('load-balancer'), 443],
          [groupRef('load-balancer'), 80],
        ].sort(),
      );
    });

    it('reaches DynamoDB and S3 through gateway endpoints and the other AWS APIs through interface endpoints', () => {
      const endpoints = resourcesOf(synth, 'aws_vpc_endpoint').map(({ body }) => body);
      const byType = (type: string) => endpoints.filter((e) => e.vpc_endpoint_type === type).map((e) => String(e.service_name));
      expect(byType('Gateway').sort()).toEqual([`com.amazonaws.${env.region}.dynamodb`, `com.amazonaws.${env.region}.s3`]);
      expect(byType('Interface').sort()).toEqual(env.network.interfaceEndpoints.map((s) => `com.amazonaws.${env.region}.${s}`).sort());
      for (const service of ['sqs', 'email', 'secretsmanager', 'ecr.api', 'ecr.dkr', 'logs', 'scheduler']) {
        expect(byType('Interface')).toContain(`com.amazonaws.${env.region}.${service}`);
      }
      expect(endpoints.filter((e) => e.vpc_endpoint_type === 'Interface').every((e) => e.private_dns_enabled === true)).toBe(true);
    });
  });

  describe('service configuration comes from the same resource names as the resources', () => {
    const api = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'api-service/task-definition').body);
    const worker = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body);
    const queue = resourceAt(synth, 'aws_sqs_queue', 'export-queue/queue').name;
    const dlq = resourceAt(synth, 'aws_sqs_queue', 'export-queue/dead-letter-queue').name;
    const db = resourcesOf(synth, 'aws_db_instance')[0]!.name;

    it.each([
      ['api', api],
      ['worker', worker],
    ])('%s gets every shared variable', (_service, container) => {
      expect(environmentOf(container)).toMatchObject({
        AWS_REGION: env.region,
        USERS_TABLE: names.tables.users,
        JOBS_TABLE: names.tables.exportJobs,
        GUARDS_TABLE: names.tables.exportGuards,
        EXPORT_QUEUE_URL: ref('aws_sqs_queue', queue, 'url'),
        EXPORT_DLQ_URL: ref('aws_sqs_queue', dlq, 'url'),
        EXPORT_BUCKET: names.buckets.exportFiles,
        LOG_LEVEL: env.logLevel,
      });
      expect(Object.keys(environmentOf(container)).filter((name) => name.startsWith('AWS_ENDPOINT_URL'))).toEqual([]);
      expect(container.readonlyRootFilesystem).toBe(true);
      expect(container.logConfiguration.logDriver).toBe('awslogs');
    });

    it.each([
      ['api', api, 'memberships_api'],
      ['worker', worker, 'memberships_worker'],
    ] as const)(
      '%s logs in to PostgreSQL as its own role, with the password read from its own secret at run time (not the master secret)',
      (service, container, role) => {
        const login = resourceAt(synth, 'aws_secretsmanager_secret', `database/${service}-login`);
        expect(login.body).toMatchObject({ name: `${env.prefix}-database-${service}` });
        expect(environmentOf(container)).toMatchObject({
          DATABASE_URL: `postgres://${role}@\${aws_db_instance.${db}.address}:5432/memberships?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem`,
          DATABASE_SECRET_ARN: ref('aws_secretsmanager_secret', login.name, 'arn'),
        });
        // ECS reads task-definition secrets once, at task start: a rotated password would break new connections.
        expect(container.secrets.map((secret) => secret.name)).not.toContain('PGPASSWORD');
        expect(JSON.stringify(container)).not.toContain('master_user_secret');
      },
    );

    it('tells both services the webhooks table and queue, and the worker its DLQ and the bus it puts events on', () => {
      const webhookQueue = resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/queue').name;
      const webhookDlq = resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/dead-letter-queue').name;
      const bus = resourceAt(synth, 'aws_cloudwatch_event_bus', 'event-bus/bus').name;
      for (const container of [api, worker]) {
        expect(environmentOf(container)).toMatchObject({
          WEBHOOKS_TABLE: names.tables.webhooks,
          WEBHOOK_QUEUE_URL: ref('aws_sqs_queue', webhookQueue, 'url'),
        });
        // The loopback allowance is the local platform's only.
        expect(environmentOf(container).WEBHOOK_ALLOW_LOOPBACK_HTTP).toBeUndefined();
      }
      expect(environmentOf(worker)).toMatchObject({
        WEBHOOK_DLQ_URL: ref('aws_sqs_queue', webhookDlq, 'url'),
        EVENT_BUS_NAME: ref('aws_cloudwatch_event_bus', bus, 'name'),
      });
      expect(environmentOf(api).EVENT_BUS_NAME).toBeUndefined();
    });

    it("redrives the webhook queue to its DLQ after core's maxReceiveCount, and alarms when that DLQ is not empty", () => {
      const webhookQueue = resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/queue').body;
      const webhookDlq = resourceAt(synth, 'aws_sqs_queue', 'webhook-queue/dead-letter-queue');
      expect(webhookQueue).toMatchObject({
        visibility_timeout_seconds: queues.webhookEvents.visibilityTimeoutSeconds,
        message_retention_seconds: queues.webhookEvents.messageRetentionSeconds,
      });
      expect(JSON.parse(String(webhookQueue.redrive_policy))).toEqual({
        deadLetterTargetArn: ref('aws_sqs_queue', webhookDlq.name, 'arn'),
        maxReceiveCount: queues.webhookEvents.maxReceiveCount,
      });
      expect(webhookDlq.body.message_retention_seconds).toBe(queues.webhookEventsDeadLetter.messageRetentionSeconds);
      const alarm = resourceAt(synth, 'aws_cloudwatch_metric_alarm', 'observability/webhook-dlq-not-empty').body;
      expect(alarm).toMatchObject({
        metric_name: 'ApproximateNumberOfMessagesVisible',
        dimensions: { QueueName: ref('aws_sqs_queue', webhookDlq.name, 'name') },
        threshold: 0,
      });
    });

    it('lets the worker reach webhook receivers on 443 and on ports 1024-65535, nothing lower', () => {
      const worker = resourceAt(synth, 'aws_security_group', 'network/worker').name;
      const out = resourcesOf(synth, 'aws_vpc_security_group_egress_rule')
        .map(({ body }) => body)
        .filter((body) => body.security_group_id === ref('aws_security_group', worker, 'id') && body.cidr_ipv4 === '0.0.0.0/0');
      expect(out.map((body) => [body.from_port, body.to_port]).sort()).toEqual([
        [1024, 65_535],
        [443, 443],
      ]);
    });

    it('leaves the login secrets without a value: the migrate task writes them, so no password is in Terraform state', () => {
      for (const service of ['api', 'worker']) {
        const login = resourceAt(synth, 'aws_secretsmanager_secret', `database/${service}-login`).name;
        const versions = resourcesOf(synth, 'aws_secretsmanager_secret_version').filter(({ body }) =>
          String(body.secret_id).includes(`.${login}.`),
        );
        expect(versions).toEqual([]);
      }
    });

    it('every table, queue and bucket the services are told about exists under that name', () => {
      const tableNames = resourcesOf(synth, 'aws_dynamodb_table').map(({ body }) => body.name);
      for (const container of [api, worker]) {
        const variables = environmentOf(container);
        for (const name of ['USERS_TABLE', 'JOBS_TABLE', 'GUARDS_TABLE']) expect(tableNames).toContain(variables[name]);
        expect(resourceAt(synth, 'aws_s3_bucket', 'export-bucket/bucket').body.bucket).toBe(variables.EXPORT_BUCKET);
      }
    });

    it('gives the API its listener settings and JWT keys from Secrets Manager, and the worker its SES settings', () => {
      expect(environmentOf(api)).toMatchObject({ HOST: '0.0.0.0', PORT: '3000', TRUST_PROXY: env.network.vpcCidr });
      const jwt = resourceAt(synth, 'aws_secretsmanager_secret', 'secrets/jwt-signing-key').name;
      expect(api.secrets).toEqual(
        expect.arrayContaining([
          { name: 'JWT_PRIVATE_KEY', valueFrom: `${ref('aws_secretsmanager_secret', jwt, 'arn')}:privateKey::` },
          { name: 'JWT_PUBLIC_KEY', valueFrom: `${ref('aws_secretsmanager_secret', jwt, 'arn')}:publicKey::` },
        ]),
      );
      expect(worker.secrets).toEqual([]);
      const configurationSet = resourceAt(synth, 'aws_sesv2_configuration_set', 'email/configuration-set').name;
      expect(environmentOf(worker)).toMatchObject({
        SES_FROM_ADDRESS: '${var.ses_from_address}',
        SES_CONFIGURATION_SET: ref('aws_sesv2_configuration_set', configurationSet, 'configuration_set_name'),
      });
      expect(api.image).toBe('${var.api_image}');
      expect(worker.image).toBe('${var.worker_image}');
    });
  });

  describe('email', () => {
    it('verifies the email domain with three DKIM records and aligns MAIL FROM', () => {
      const identity = resourceAt(synth, 'aws_sesv2_email_identity', 'email/identity');
      expect(identity.body).toMatchObject({
        email_identity: '${var.email_domain}',
        dkim_signing_attributes: { next_signing_key_length: 'RSA_2048_BIT' },
      });
      const dkim = resourcesOf(synth, 'aws_route53_record').filter(({ path }) => path.includes('/email/dkim-record-'));
      expect(dkim).toHaveLength(3);
      for (const { body } of dkim) {
        expect(body).toMatchObject({ type: 'CNAME', zone_id: '${var.hosted_zone_id}' });
        expect(String(body.name)).toContain(`aws_sesv2_email_identity.${identity.name}.dkim_signing_attributes[0].tokens`);
      }
      expect(resourceAt(synth, 'aws_sesv2_configuration_set', 'email/configuration-set').body).toMatchObject({
        delivery_options: { tls_policy: 'REQUIRE' },
        suppression_options: { suppressed_reasons: ['BOUNCE', 'COMPLAINT'] },
      });
    });
  });

  describe('alarms', () => {
    const alarms = resourcesOf(synth, 'aws_cloudwatch_metric_alarm').map(({ body }) => body);
    const topic = ref('aws_sns_topic', resourceAt(synth, 'aws_sns_topic', 'observability/alarm-topic').name, 'arn');
    const find = (metric: string) => alarms.find((a) => a.metric_name === metric);

    it('pages when anything lands in the dead-letter queue', () => {
      const dlq = resourceAt(synth, 'aws_sqs_queue', 'export-queue/dead-letter-queue').name;
      expect(find('ApproximateNumberOfMessagesVisible')).toMatchObject({
        namespace: 'AWS/SQS',
        dimensions: { QueueName: ref('aws_sqs_queue', dlq, 'name') },
        threshold: 0,
        comparison_operator: 'GreaterThanThreshold',
      });
    });

    it('pages when the oldest export request waits too long', () => {
      const queue = resourceAt(synth, 'aws_sqs_queue', 'export-queue/queue').name;
      expect(find('ApproximateAgeOfOldestMessage')).toMatchObject({
        dimensions: { QueueName: ref('aws_sqs_queue', queue, 'name') },
        threshold: env.alarms.oldestMessageAgeSeconds,
      });
    });

    it('pages on load balancer and API 5xx', () => {
      expect(find('HTTPCode_ELB_5XX_Count')).toMatchObject({ namespace: 'AWS/ApplicationELB', statistic: 'Sum' });
      expect(find('HTTPCode_Target_5XX_Count')).toMatchObject({ namespace: 'AWS/ApplicationELB', statistic: 'Sum' });
    });

    it('pages on worker errors, counted from level ≥ 50 lines of the worker log group', () => {
      const filter = resourceAt(synth, 'aws_cloudwatch_log_metric_filter', 'observability/worker-error-filter').body;
      const logGroup = resourceAt(synth, 'aws_cloudwatch_log_group', 'observability/worker-log-group').name;
      expect(filter).toMatchObject({ pattern: '{ $.level >= 50 }', log_group_name: ref('aws_cloudwatch_log_group', logGroup, 'name') });
      const transformation = filter.metric_transformation as Block;
      expect(find(String(transformation.name))).toMatchObject({ namespace: transformation.namespace, statistic: 'Sum' });
    });

    it('sends every alarm and its recovery to the alarm topic', () => {
      expect(alarms.length).toBeGreaterThanOrEqual(5);
      for (const alarm of alarms) {
        expect(alarm.alarm_actions).toEqual([topic]);
        expect(alarm.ok_actions).toEqual([topic]);
      }
    });

    it('keeps logs for the environment retention', () => {
      for (const { body } of resourcesOf(synth, 'aws_cloudwatch_log_group')) expect(body.retention_in_days).toBe(env.logRetentionDays);
    });
  });
});

describe('environments', () => {
  const prod = synthOf(production);
  const stage = synthOf(staging);
  const number = (synth: SynthesizedStack, type: string, path: string, attribute: string) =>
    Number(resourceAt(synth, type, path).body[attribute]);

  it('are separate deployments: distinct prefixes, state keys and address ranges', () => {
    const values = (pick: (env: EnvironmentConfig) => string) => new Set(environments.map(pick)).size;
    expect(values((e) => e.prefix)).toBe(environments.length);
    expect(values((e) => e.name)).toBe(environments.length);
    expect(values((e) => e.network.vpcCidr)).toBe(environments.length);
  });

  it('production is bigger than staging wherever size is configured', () => {
    for (const [type, path, attribute] of [
      ['aws_ecs_task_definition', 'api-service/task-definition', 'cpu'],
      ['aws_ecs_task_definition', 'api-service/task-definition', 'memory'],
      ['aws_ecs_task_definition', 'worker-service/task-definition', 'cpu'],
      ['aws_ecs_task_definition', 'worker-service/task-definition', 'memory'],
      ['aws_appautoscaling_target', 'api-service/scaling-target', 'max_capacity'],
      ['aws_appautoscaling_target', 'worker-service/scaling-target', 'max_capacity'],
      ['aws_db_instance', 'database/instance', 'allocated_storage'],
      ['aws_db_instance', 'database/instance', 'max_allocated_storage'],
      ['aws_db_instance', 'database/instance', 'backup_retention_period'],
    ] as const) {
      expect(number(prod, type, path, attribute)).toBeGreaterThan(number(stage, type, path, attribute));
    }
    expect(number(prod, 'aws_appautoscaling_target', 'api-service/scaling-target', 'min_capacity')).toBeGreaterThanOrEqual(
      number(stage, 'aws_appautoscaling_target', 'api-service/scaling-target', 'min_capacity'),
    );
    expect(resourcesOf(prod, 'aws_nat_gateway').length).toBeGreaterThan(resourcesOf(stage, 'aws_nat_gateway').length);
    expect(resourcesOf(prod, 'aws_subnet').length).toBeGreaterThan(resourcesOf(stage, 'aws_subnet').length);
    expect(resourceAt(prod, 'aws_db_instance', 'database/instance').body.instance_class).toBe(production.database.instanceClass);
    expect(resourceAt(prod, 'aws_db_instance', 'database/instance').body.deletion_protection).toBe(true);
  });
});

describe('an environment that would not hold up in production', () => {
  const build = (env: EnvironmentConfig) => () => synthesize(env);

  it('is refused with one API task', () => {
    expect(build({ ...staging, api: { ...staging.api, minTasks: 1 } })).toThrow('the API needs at least 2 tasks');
  });

  it('is refused with one availability zone', () => {
    expect(build({ ...staging, availabilityZones: ['eu-central-1a'] })).toThrow('2 to 4 zones');
  });

  it('is refused when its prefix makes names AWS would reject', () => {
    expect(build({ ...staging, prefix: 'memberships-staging-for-the-eu-team' })).toThrow('shorten the prefix');
  });
});
