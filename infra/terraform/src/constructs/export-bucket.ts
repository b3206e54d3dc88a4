import type { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy';
import { Construct } from 'constructs';
import type { Deployment } from './deployment';
import { EXPORT_OBJECT_PREFIX, policyDocument } from './iam';
import { privateBucket, tlsOnlyStatements } from './private-bucket';

export interface ExportBucketProps {
  readonly deployment: Deployment;
  /**
   * Days after which S3 deletes an export file: the `export_file_retention_days` variable (default
   * core's `buckets.exportFiles.expireAfterDays`), the same value the services get as FILE_RETENTION_DAYS.
   */
  readonly expireAfterDays: number;
}

/**
 * The bucket of export CSV files. Private in every way S3 offers (public
 * access block, ACLs disabled by BucketOwnerEnforced, a policy that refuses
 * anything but TLS ≥ 1.2), SSE-S3 encrypted (the worker also asks for it per
 * object), and files expire after `expireAfterDays` (the retention the
 * services promise in the job and the emailed link): they are derived data, rebuilt by a new export, so there is no versioning.
 */
export class ExportBucket extends Construct {
  readonly bucket: S3Bucket;

  constructor(scope: Construct, id: string, props: ExportBucketProps) {
    super(scope, id);
    const { deployment } = props;
    const name = deployment.names.buckets.exportFiles;

    const { bucket, publicAccessBlock } = privateBucket(this, name);
    this.bucket = bucket;

    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-export-files',
          status: 'Enabled',
          filter: [{ prefix: EXPORT_OBJECT_PREFIX }],
          expiration: [{ days: props.expireAfterDays }],
          // A worker killed mid-upload leaves parts behind that are billed until aborted.
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });

    const tlsOnly = policyDocument(this, 'tls-only-policy', tlsOnlyStatements(this.bucket.arn));
    new S3BucketPolicy(this, 'policy', {
      bucket: this.bucket.id,
      policy: tlsOnly.json,
      // S3 rejects policy writes while the public access block is being applied.
      dependsOn: [publicAccessBlock],
    });
  }
}
