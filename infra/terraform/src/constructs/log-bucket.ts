import { DataAwsElbServiceAccount } from '@cdktn/provider-aws/lib/data-aws-elb-service-account';
import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktn/provider-aws/lib/s3-bucket-logging';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { policyDocument, type PolicyStatement } from './iam';
import { privateBucket, tlsOnlyStatements } from './private-bucket';

/** Key prefixes of the log bucket, one per writer. */
export const LOG_PREFIXES = {
  /** ALB access logs; ELB adds `AWSLogs/<account>/elasticloadbalancing/...` after it. */
  loadBalancer: 'alb',
  /** S3 server access logs of the export bucket. */
  exportBucketAccess: 's3-access/export-bucket/',
  /** CloudTrail; it adds `AWSLogs/<account>/CloudTrail/...` after it. */
  cloudTrail: 'cloudtrail',
} as const;

/**
 * Regions where ELB writes access logs as its regional AWS account (the ones
 * that opened before August 2022); every newer region uses the
 * logdelivery.elasticloadbalancing.amazonaws.com service principal instead.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
 */
export const ELB_ACCOUNT_REGIONS: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-west-1',
  'us-gov-east-1',
  'cn-north-1',
  'cn-northwest-1',
]);
export const ELB_LOG_DELIVERY_PRINCIPAL = 'logdelivery.elasticloadbalancing.amazonaws.com';

export interface LogBucketProps {
  readonly deployment: Deployment;
  /** The bucket whose S3 server access logs are kept here (the export bucket). */
  readonly accessLoggedBucket: S3Bucket;
  /** ARN of the CloudTrail trail that writes here (built from its name: the trail itself waits for this policy). */
  readonly trailArn: string;
}

/**
 * One bucket for every log the platform writes to S3: ALB access logs, S3
 * server access logs of the export bucket, and the CloudTrail trail of the
 * export files. Private like the export bucket (public access block,
 * BucketOwnerEnforced: all three writers deliver without ACLs), SSE-S3
 * because ELB and S3 server access logging write to no other encryption,
 * and expired after the environment's log retention. The bucket policy
 * grants each writer `s3:PutObject` under its own prefix only, scoped to this
 * account and the source it writes for.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 */
export class LogBucket extends Construct {
  readonly bucket: S3Bucket;
  /** What a writer's configuration must wait for: ELB and CloudTrail check write access when configured. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: LogBucketProps) {
    super(scope, id);
    const { deployment } = props;
    const env = deployment.environment;
    const name = `${env.prefix}-logs`;

    const { bucket, publicAccessBlock } = privateBucket(this, name);
    this.bucket = bucket;
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-logs',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: env.logRetentionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    const objects = (prefix: string) => `${this.bucket.arn}/${prefix}`;
    const fromThisAccount = { test: 'StringEquals', variable: 'aws:SourceAccount', values: [deployment.accountId] };
    const statements: PolicyStatement[] = [
      ...tlsOnlyStatements(this.bucket.arn),
      {
        sid: 'LoadBalancerAccessLogs',
        actions: ['s3:PutObject'],
        resources: [objects(`${LOG_PREFIXES.loadBalancer}/AWSLogs/${deployment.accountId}/*`)],
        principals: [this.loadBalancerLogWriter(deployment.region)],
      },
      {
        sid: 'ExportBucketServerAccessLogs',
        actions: ['s3:PutObject'],
        resources: [objects(`${LOG_PREFIXES.exportBucketAccess}*`)],
        principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
        conditions: [{ test: 'ArnLike', variable: 'aws:SourceArn', values: [props.accessLoggedBucket.arn] }, fromThisAccount],
      },
      {
        sid: 'CloudTrailAclCheck',
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.arn],
        principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
        conditions: [{ test: 'StringEquals', variable: 'aws:SourceArn', values: [props.trailArn] }],
      },
      {
        sid: 'CloudTrailWrite',
        actions: ['s3:PutObject'],
        resources: [objects(`${LOG_PREFIXES.cloudTrail}/AWSLogs/${deployment.accountId}/*`)],
        principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
        conditions: [
          { test: 'StringEquals', variable: 's3:x-amz-acl', values: ['bucket-owner-full-control'] },
          { test: 'StringEquals', variable: 'aws:SourceArn', values: [props.trailArn] },
        ],
      },
    ];
    this.policy = new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: policyDocument(this, 'policy-document', statements).json,
      // S3 rejects policy writes while the public access block is being applied.
      dependsOn: [publicAccessBlock],
    });

    new S3BucketLoggingA(this, 'export-bucket-access-logging', {
      bucket: props.accessLoggedBucket.id,
      targetBucket: this.bucket.id,
      targetPrefix: LOG_PREFIXES.exportBucketAccess,
      dependsOn: [this.policy],
    });
  }

  /** Who writes ALB access logs in `region`: the region's ELB account, or the log delivery service. */
  private loadBalancerLogWriter(region: string): { type: string; identifiers: string[] } {
    if (!ELB_ACCOUNT_REGIONS.has(region)) return { type: 'Service', identifiers: [ELB_LOG_DELIVERY_PRINCIPAL] };
    const elb = new DataAwsElbServiceAccount(this, 'elb-account', {});
    return { type: 'AWS', identifiers: [elb.arn] };
  }
}
