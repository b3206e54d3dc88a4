import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktn/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktn/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktn/provider-aws/lib/db-subnet-group';
import { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret';
import { DEFAULT_DATABASE_ROLES, type ServiceName } from '@memberships/core/contract';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { POSTGRES_PORT } from './network';

/**
 * Where the container images keep Amazon RDS's CA bundle (see the
 * Dockerfile's runtime stage). node-postgres verifies the server certificate against it
 * (`sslmode=verify-full`): the RDS CAs are not in Node's default trust store.
 */
export const RDS_CA_BUNDLE_PATH = '/etc/ssl/certs/rds-global-bundle.pem';
export const DATABASE_NAME = 'memberships';
export const DATABASE_USER = 'memberships';
/** PostgreSQL logs RDS publishes to CloudWatch Logs. */
const DATABASE_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

export interface DatabaseProps {
  readonly deployment: Deployment;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
}

/**
 * PostgreSQL on RDS, Multi-AZ (a synchronous standby in another zone takes
 * over on failure), storage encrypted with the AWS-managed KMS key, TLS
 * required, in the database subnets that have no route out. RDS generates the
 * master password and keeps it in Secrets Manager (manage_master_user_password),
 * so it never appears in Terraform state; only the `migrate` task uses it.
 * The services log in as their own least-privilege roles (created by a
 * migration), each with its own secret: created here without a value, filled
 * by `migrate` (it generates the password, sets it on the role, writes the
 * secret), so no password is in Terraform state either. The services read
 * their secret at run time and again when PostgreSQL refuses a rotated
 * password (core's CredentialPool).
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 */
export class Database extends Construct {
  readonly instance: DbInstance;
  /** Secret per service role, JSON `{"username","password"}`: DATABASE_SECRET_ARN of the service. */
  readonly serviceSecrets: Readonly<Record<ServiceName, SecretsmanagerSecret>>;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const size = env.database;

    const subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: `${env.prefix}-database`,
      description: `Database subnets of ${env.prefix}`,
      subnetIds: props.subnetIds,
    });

    const parameters = new DbParameterGroup(this, 'parameter-group', {
      name: `${env.prefix}-postgres${size.engineMajorVersion}`,
      family: `postgres${size.engineMajorVersion}`,
      description: `PostgreSQL settings of ${env.prefix}`,
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        // Log statements slower than a second: exports stream for minutes, everything else should be quick.
        { name: 'log_min_duration_statement', value: '1000' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    const identifier = `${env.prefix}-postgres`;
    // RDS would create these on first export, kept forever; created here first, they get the environment's retention.
    const logGroups = DATABASE_LOG_EXPORTS.map(
      (log) =>
        new CloudwatchLogGroup(this, `${log}-log-group`, {
          name: `/aws/rds/instance/${identifier}/${log}`,
          retentionInDays: env.logRetentionDays,
        }),
    );

    this.instance = new DbInstance(this, 'instance', {
      identifier,
      engine: 'postgres',
      engineVersion: size.engineMajorVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: size.instanceClass,
      allocatedStorage: size.allocatedStorageGiB,
      maxAllocatedStorage: size.maxAllocatedStorageGiB,
      storageType: 'gp3',
      storageEncrypted: true,
      multiAz: true,
      dbName: DATABASE_NAME,
      username: DATABASE_USER,
      manageMasterUserPassword: true,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [props.securityGroupId],
      publiclyAccessible: false,
      parameterGroupName: parameters.name,
      caCertIdentifier: 'rds-ca-rsa2048-g1',
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: size.backupRetentionDays,
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:03:30-sun:04:30',
      copyTagsToSnapshot: true,
      deletionProtection: size.deletionProtection,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${identifier}-final`,
      performanceInsightsEnabled: true,
      performanceInsightsRetentionPeriod: 7,
      enabledCloudwatchLogsExports: [...DATABASE_LOG_EXPORTS],
      applyImmediately: false,
      tags: { Name: identifier },
      dependsOn: logGroups,
    });

    const serviceSecret = (service: ServiceName) =>
      new SecretsmanagerSecret(this, `${service}-login`, {
        name: `${env.prefix}-database-${service}`,
        description:
          `PostgreSQL login of the ${service} service (role ${DEFAULT_DATABASE_ROLES[service]}): JSON {"username","password"}. ` +
          'Written by the migrate task (no value from Terraform), read by the service at run time.',
        // migrate regenerates a lost value; a short window lets a destroyed environment be recreated soon.
        recoveryWindowInDays: 7,
      });
    this.serviceSecrets = { api: serviceSecret('api'), worker: serviceSecret('worker') };
  }

  /** ARN of the Secrets Manager secret RDS keeps the master credentials in (JSON with `username` and `password`). */
  get masterSecretArn(): string {
    return this.instance.masterUserSecret.get(0).secretArn;
  }

  /** DATABASE_URL as the master user: the migrate task's (see databaseUrl). */
  get url(): string {
    return databaseUrl({ host: this.instance.address });
  }

  /** DATABASE_URL of a service: its own role, no password (it reads DATABASE_SECRET_ARN). */
  serviceUrl(service: ServiceName): string {
    return databaseUrl({ host: this.instance.address, user: DEFAULT_DATABASE_ROLES[service] });
  }
}

export interface DatabaseUrlParts {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  readonly database?: string;
  readonly caBundlePath?: string;
}

/**
 * The DATABASE_URL the task definitions carry: no password in it (the code
 * reads it from a secret: the master secret for migrate, the role's secret
 * for a service), and TLS with full certificate verification against the RDS
 * CA bundle in the image.
 */
export function databaseUrl(parts: DatabaseUrlParts): string {
  const user = encodeURIComponent(parts.user ?? DATABASE_USER);
  const database = encodeURIComponent(parts.database ?? DATABASE_NAME);
  return (
    `postgres://${user}@${parts.host}:${parts.port ?? POSTGRES_PORT}/${database}` +
    `?sslmode=verify-full&sslrootcert=${parts.caBundlePath ?? RDS_CA_BUNDLE_PATH}`
  );
}
