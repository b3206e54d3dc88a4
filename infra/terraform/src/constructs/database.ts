import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktn/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktn/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktn/provider-aws/lib/db-subnet-group';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { POSTGRES_PORT } from './network';

/**
 * Where the container images keep Amazon RDS's CA bundle (see the
 * Dockerfiles). node-postgres verifies the server certificate against it
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
 * so it never appears in Terraform state; the task definitions inject its
 * `password` key as PGPASSWORD, which node-postgres uses when DATABASE_URL
 * carries no password.
 */
export class Database extends Construct {
  readonly instance: DbInstance;

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
  }

  /** ARN of the Secrets Manager secret RDS keeps the master credentials in (JSON with `username` and `password`). */
  get masterSecretArn(): string {
    return this.instance.masterUserSecret.get(0).secretArn;
  }

  /** DATABASE_URL for the services (see databaseUrl). */
  get url(): string {
    return databaseUrl({ host: this.instance.address });
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
 * The DATABASE_URL the task definitions carry: no password in it (the tasks
 * get PGPASSWORD from the RDS-managed secret, and node-postgres reads
 * PGPASSWORD when the URL has none, also through TypeORM), and TLS with full
 * certificate verification against the RDS CA bundle in the image.
 */
export function databaseUrl(parts: DatabaseUrlParts): string {
  const user = encodeURIComponent(parts.user ?? DATABASE_USER);
  const database = encodeURIComponent(parts.database ?? DATABASE_NAME);
  return (
    `postgres://${user}@${parts.host}:${parts.port ?? POSTGRES_PORT}/${database}` +
    `?sslmode=verify-full&sslrootcert=${parts.caBundlePath ?? RDS_CA_BUNDLE_PATH}`
  );
}
