import { Cloudtrail } from '@cdktn/provider-aws/lib/cloudtrail';
import type { ITerraformDependable } from 'cdktn';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { LOG_PREFIXES } from './log-bucket';

export interface AuditTrailProps {
  readonly deployment: Deployment;
  /** Bucket the trail delivers to (the log bucket, whose policy lets exactly this trail write). */
  readonly logBucketName: string;
  /** The export bucket: every object-level call on it is recorded. */
  readonly exportBucketArn: string;
  /** The log bucket's policy: CloudTrail refuses a bucket it cannot write to yet. */
  readonly dependsOn: ITerraformDependable[];
}

/** The trail's name, fixed so its ARN is known before it exists (the log bucket policy names it). */
export function auditTrailName(deployment: Deployment): string {
  return `${deployment.environment.prefix}-export-files`;
}

/** The trail's ARN as CloudTrail presents it in aws:SourceArn. */
export function auditTrailArn(deployment: Deployment): string {
  return `arn:${deployment.partition}:cloudtrail:${deployment.region}:${deployment.accountId}:trail/${auditTrailName(deployment)}`;
}

/**
 * Who read or wrote which export file, and when: a CloudTrail trail with
 * data events (reads and writes) on the export bucket's objects, selected by
 * advanced event selectors, delivered with log file validation to the log
 * bucket. Export files hold members' personal data; S3 server access logs
 * are best effort, CloudTrail data events are the audit record. Management
 * events are left to the account's own (organization) trail: a second copy
 * here would be billed and say nothing about the files.
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
 */
export class AuditTrail extends Construct {
  readonly trail: Cloudtrail;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    this.trail = new Cloudtrail(this, 'trail', {
      name: auditTrailName(props.deployment),
      s3BucketName: props.logBucketName,
      s3KeyPrefix: LOG_PREFIXES.cloudTrail,
      enableLogFileValidation: true,
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      advancedEventSelector: [
        {
          name: 'Export file reads and writes',
          fieldSelector: [
            { field: 'eventCategory', equalTo: ['Data'] },
            { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
            { field: 'resources.ARN', startsWith: [`${props.exportBucketArn}/`] },
          ],
        },
      ],
      dependsOn: props.dependsOn,
    });
  }
}
