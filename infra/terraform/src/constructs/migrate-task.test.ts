import { environments } from '../environments';
import {
  containerOf,
  documentName,
  environmentOf,
  policyDocuments,
  ref,
  resourceAt,
  resourcesOf,
  synthesize,
  type PolicyStatementJson,
} from '../testing/terraform-json';
import { MIGRATE_COMMAND } from './migrate-task';

/**
 * The migrate task as `aws ecs run-task` meets it: the worker image running
 * dist/migrate.js as the master user, with a role that can do exactly what
 * migrate does to the secrets, and the outputs the runbook's command uses.
 */
describe.each(environments.map((env) => [env.name, env] as const))('%s migrate task', (_name, env) => {
  const synth = synthesize(env);
  const documents = policyDocuments(synth);
  const statementsOf = (rolePath: string): PolicyStatementJson[] =>
    documents.get(documentName(resourceAt(synth, 'aws_iam_role_policy', `${rolePath}/policy`).body.policy)!)!;
  const taskDefinition = resourceAt(synth, 'aws_ecs_task_definition', 'migrate-task/task-definition');
  const container = containerOf(taskDefinition.body);
  const db = resourcesOf(synth, 'aws_db_instance')[0]!.name;
  const masterSecret = `\${aws_db_instance.${db}.master_user_secret[0].secret_arn}`;
  const login = (service: string) =>
    ref('aws_secretsmanager_secret', resourceAt(synth, 'aws_secretsmanager_secret', `database/${service}-login`).name, 'arn');
  const role = (path: string) => ref('aws_iam_role', resourceAt(synth, 'aws_iam_role', `${path}/role`).name, 'arn');

  it('runs dist/migrate.js of the worker image on Fargate with its own task and execution roles', () => {
    expect(taskDefinition.body).toMatchObject({
      family: `${env.prefix}-migrate`,
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      task_role_arn: role('migrate-task/task-role'),
      execution_role_arn: role('migrate-task/execution-role'),
    });
    expect(container.image).toBe('${var.worker_image}');
    expect((container as unknown as { command: string[] }).command).toEqual([...MIGRATE_COMMAND]);
    expect(MIGRATE_COMMAND).toEqual(['node', 'services/worker/dist/migrate.js']);
    expect(container.readonlyRootFilesystem).toBe(true);
  });

  it('connects as the master user with the RDS-managed secret and knows both login secrets; ECS injects no secret', () => {
    expect(environmentOf(container)).toEqual({
      AWS_REGION: env.region,
      DATABASE_URL: `postgres://memberships@\${aws_db_instance.${db}.address}:5432/memberships?sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem`,
      DATABASE_MASTER_SECRET_ARN: masterSecret,
      DATABASE_API_SECRET_ARN: login('api'),
      DATABASE_WORKER_SECRET_ARN: login('worker'),
      LOG_LEVEL: env.logLevel,
    });
    expect(container.secrets).toEqual([]);
  });

  it('task role: reads the master secret, reads and writes the two login secrets, nothing else', () => {
    expect(statementsOf('migrate-task/task-role')).toEqual([
      expect.objectContaining({ actions: ['secretsmanager:GetSecretValue'], resources: [masterSecret] }),
      expect.objectContaining({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [login('api'), login('worker')],
      }),
    ]);
  });

  it('execution role: pulls the worker image and writes the worker log group, reads no secret', () => {
    const statements = statementsOf('migrate-task/execution-role');
    expect(statements.flatMap((s) => s.actions ?? []).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(statements.find((s) => s.actions?.includes('ecr:BatchGetImage'))!.resources![0]).toContain('local.worker_image_parts');
    const logGroup = ref(
      'aws_cloudwatch_log_group',
      resourceAt(synth, 'aws_cloudwatch_log_group', 'observability/worker-log-group').name,
      'arn',
    );
    expect(statements.find((s) => s.actions?.includes('logs:PutLogEvents'))!.resources).toEqual([`${logGroup}:*`]);
    expect(container.logConfiguration.options['awslogs-stream-prefix']).toBe('migrate');
  });

  it('no other role may read the master secret from its code or write a login secret', () => {
    for (const { path, body } of resourcesOf(synth, 'aws_iam_role_policy')) {
      if (path.includes('/migrate-task/')) continue;
      for (const statement of documents.get(documentName(body.policy)!)!) {
        expect(statement.actions ?? []).not.toContain('secretsmanager:PutSecretValue');
        if (path.includes('-task-role/')) expect(statement.resources ?? []).not.toContain(masterSecret);
      }
    }
  });

  it('outputs what `aws ecs run-task` needs: cluster, task definition, private subnets, a security group that reaches PostgreSQL', () => {
    const outputs = synth.json.output as Record<string, { value: unknown }>;
    const workerGroup = resourceAt(synth, 'aws_security_group', 'network/worker').name;
    expect(outputs.migrate_task_definition_arn?.value).toBe(ref('aws_ecs_task_definition', taskDefinition.name, 'arn'));
    expect(outputs.migrate_task_family?.value).toBe(ref('aws_ecs_task_definition', taskDefinition.name, 'family'));
    expect(outputs.migrate_container_name?.value).toBe('migrate');
    expect(outputs.migrate_security_group_id?.value).toBe(ref('aws_security_group', workerGroup, 'id'));
    const privateSubnets = resourcesOf(synth, 'aws_subnet').filter(({ body }) => (body.tags as Record<string, string>).Tier === 'private');
    expect(privateSubnets.length).toBeGreaterThanOrEqual(2);
    expect(outputs.private_subnet_ids?.value).toEqual(privateSubnets.map(({ name }) => ref('aws_subnet', name, 'id')));
    expect(outputs.ecs_cluster_name?.value).toBeDefined();
    const toDatabase = resourcesOf(synth, 'aws_vpc_security_group_ingress_rule').filter(
      ({ body }) => body.referenced_security_group_id === ref('aws_security_group', workerGroup, 'id') && body.from_port === 5432,
    );
    expect(toDatabase).toHaveLength(1);
  });
});
