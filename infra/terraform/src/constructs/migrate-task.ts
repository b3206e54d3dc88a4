import { EcsTaskDefinition } from '@cdktn/provider-aws/lib/ecs-task-definition';
import { Construct } from 'constructs';
import { containerDefinitions, TMP_VOLUME } from './container-definition';
import type { Deployment } from './deployment';
import { ecsTaskTrust, executionStatements, ServiceRole } from './iam';

/** What the task runs: the migrate entry point of the worker image (services/worker/src/migrate.ts). */
export const MIGRATE_COMMAND = ['node', 'services/worker/dist/migrate.js'] as const;
/** Container name, for `--overrides` (the `--rotate` run) and the log stream prefix. */
export const MIGRATE_CONTAINER = 'migrate';

export interface MigrateTaskProps {
  readonly deployment: Deployment;
  /** The worker image: it ships dist/migrate.js. */
  readonly image: string;
  readonly repositoryArn: string;
  /** Its log stream prefix is `migrate/`. */
  readonly logGroupName: string;
  readonly logGroupArn: string;
  /** DATABASE_URL as the master user, without a password. */
  readonly databaseUrl: string;
  /** The RDS-managed master secret (read only). */
  readonly masterSecretArn: string;
  /** The services' login secrets (read and written). */
  readonly loginSecretArns: Readonly<Record<'api' | 'worker', string>>;
  readonly logLevel: string;
}

/**
 * The one-off `migrate` task, run with `aws ecs run-task` before the services
 * roll (and with `--rotate` to rotate the services' database passwords).
 * As the master user it applies the migrations, keeps the services' roles up
 * to date and writes their passwords to their secrets. No service runs this
 * task definition: its own task role is the only one that may read the
 * master secret or write the login secrets.
 */
export class MigrateTask extends Construct {
  readonly taskDefinition: EcsTaskDefinition;
  readonly taskRole: ServiceRole;
  readonly executionRole: ServiceRole;

  constructor(scope: Construct, id: string, props: MigrateTaskProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const ecsTasks = ecsTaskTrust(deployment);
    const logins = [props.loginSecretArns.api, props.loginSecretArns.worker];

    this.taskRole = new ServiceRole(this, 'task-role', {
      ...ecsTasks,
      name: `${env.prefix}-migrate-task`,
      description: "What the migrate task may do: read the database master secret, read and write the services' login secrets.",
      // No kms:Decrypt: the secrets use the AWS managed key aws/secretsmanager, which needs none in the same account
      // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
      statements: [
        // https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
        { sid: 'ReadMasterSecret', actions: ['secretsmanager:GetSecretValue'], resources: [props.masterSecretArn] },
        // GetSecretValue: is there a password yet; PutSecretValue: the new one (first run, --rotate).
        { sid: 'WriteServiceLogins', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: logins },
      ],
    });
    this.executionRole = new ServiceRole(this, 'execution-role', {
      ...ecsTasks,
      name: `${env.prefix}-migrate-execution`,
      description: 'What ECS may do to start the migrate task: pull the worker image, write logs.',
      // No task-definition secrets: the code reads its secrets itself, so ECS needs none.
      statements: executionStatements(props.repositoryArn, props.logGroupArn, []),
    });

    this.taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      family: `${env.prefix}-migrate`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: env.cpuArchitecture },
      taskRoleArn: this.taskRole.arn,
      executionRoleArn: this.executionRole.arn,
      volume: [{ name: TMP_VOLUME }],
      containerDefinitions: containerDefinitions({
        name: MIGRATE_CONTAINER,
        image: props.image,
        environment: {
          AWS_REGION: deployment.region,
          DATABASE_URL: props.databaseUrl,
          DATABASE_MASTER_SECRET_ARN: props.masterSecretArn,
          DATABASE_API_SECRET_ARN: props.loginSecretArns.api,
          DATABASE_WORKER_SECRET_ARN: props.loginSecretArns.worker,
          LOG_LEVEL: props.logLevel,
        },
        secrets: {},
        logGroupName: props.logGroupName,
        region: deployment.region,
        // A migration stopped halfway is rolled back (one transaction); nothing to finish on SIGTERM.
        stopTimeoutSeconds: 30,
        command: MIGRATE_COMMAND,
      }),
    });
  }

  /** The inline policies the task needs before it can run. */
  get policies() {
    return [this.taskRole.policy, this.executionRole.policy];
  }
}
