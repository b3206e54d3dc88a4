import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import type { Construct } from 'constructs';
import type { PolicyStatement } from './iam';

/**
 * The baseline every bucket of the platform has, created in `scope` (ids
 * `bucket`, `public-access-block`, `ownership`, `encryption`, so their
 * Terraform addresses are those of the construct that calls this): public
 * access blocked in all four ways, ACLs disabled (BucketOwnerEnforced: the
 * bucket owner owns every object, log deliveries included), SSE-S3 by
 * default, and no `force_destroy`.
 */
export function privateBucket(scope: Construct, name: string): { bucket: S3Bucket; publicAccessBlock: S3BucketPublicAccessBlock } {
  const bucket = new S3Bucket(scope, 'bucket', { bucket: name, forceDestroy: false, tags: { Name: name } });
  const publicAccessBlock = new S3BucketPublicAccessBlock(scope, 'public-access-block', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new S3BucketOwnershipControls(scope, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
  new S3BucketServerSideEncryptionConfigurationA(scope, 'encryption', {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
  });
  return { bucket, publicAccessBlock };
}

/**
 * The first statements of every bucket policy: refuse plain HTTP and TLS older than 1.2, for
 * everyone (Denies restrict, they grant nothing, so `s3:*` and principal `*` are right here).
 */
export function tlsOnlyStatements(bucketArn: string): PolicyStatement[] {
  const everything = {
    effect: 'Deny' as const,
    actions: ['s3:*'],
    resources: [bucketArn, `${bucketArn}/*`],
    principals: [{ type: '*', identifiers: ['*'] }],
  };
  return [
    { sid: 'DenyInsecureTransport', ...everything, conditions: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }] },
    { sid: 'DenyOutdatedTls', ...everything, conditions: [{ test: 'NumericLessThan', variable: 's3:TlsVersion', values: ['1.2'] }] },
  ];
}
