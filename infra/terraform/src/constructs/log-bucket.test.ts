import { environments, staging } from '../environments';
import {
  documentName,
  policyDocuments,
  ref,
  resourceAt,
  resourcesOf,
  synthesize,
  type Block,
  type SynthesizedStack,
} from '../testing/terraform-json';
import { ELB_LOG_DELIVERY_PRINCIPAL } from './log-bucket';

const statementsOf = (synth: SynthesizedStack) =>
  policyDocuments(synth).get(documentName(resourceAt(synth, 'aws_s3_bucket_policy', 'log-bucket/policy').body.policy)!)!;

describe.each(environments.map((env) => [env.name, env] as const))('%s log bucket and audit trail', (_name, env) => {
  const synth = synthesize(env);
  const bucket = resourceAt(synth, 'aws_s3_bucket', 'log-bucket/bucket');
  const bucketId = ref('aws_s3_bucket', bucket.name, 'id');
  const bucketArn = ref('aws_s3_bucket', bucket.name, 'arn');
  const exportBucket = resourceAt(synth, 'aws_s3_bucket', 'export-bucket/bucket').name;
  const statements = statementsOf(synth);
  const sid = (name: string) => statements.find((s) => s.sid === name)!;

  it('is private, SSE-S3 encrypted (what ELB log delivery requires), without ACLs, and expires logs after the retention', () => {
    const forBucket = (type: string) => resourcesOf(synth, type).find(({ body }) => body.bucket === bucketId)?.body;
    expect(forBucket('aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(forBucket('aws_s3_bucket_ownership_controls')?.rule).toEqual({ object_ownership: 'BucketOwnerEnforced' });
    expect(forBucket('aws_s3_bucket_server_side_encryption_configuration')?.rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } },
    ]);
    const [rule] = (forBucket('aws_s3_bucket_lifecycle_configuration')?.rule ?? []) as Block[];
    expect(rule).toMatchObject({ status: 'Enabled', expiration: [{ days: env.logRetentionDays }] });
    expect(sid('DenyInsecureTransport')).toMatchObject({
      effect: 'Deny',
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
  });

  it('receives the ALB access logs, written by the region ELB account (eu-central-1 opened before August 2022)', () => {
    const lb = resourceAt(synth, 'aws_lb', 'api-service/load-balancer').body;
    expect(lb.access_logs).toEqual({ bucket: ref('aws_s3_bucket', bucket.name, 'bucket'), prefix: 'alb', enabled: true });
    const policy = resourceAt(synth, 'aws_s3_bucket_policy', 'log-bucket/policy').name;
    expect(lb.depends_on).toContain(`aws_s3_bucket_policy.${policy}`);
    const elbAccount = Object.keys(synth.json.data['aws_elb_service_account'] ?? {});
    expect(elbAccount).toHaveLength(1);
    expect(sid('LoadBalancerAccessLogs')).toMatchObject({
      effect: 'Allow',
      actions: ['s3:PutObject'],
      resources: [`${bucketArn}/alb/AWSLogs/\${var.aws_account_id}/*`],
      principals: [{ type: 'AWS', identifiers: [`\${data.aws_elb_service_account.${elbAccount[0]}.arn}`] }],
    });
  });

  it('receives the export bucket server access logs from logging.s3.amazonaws.com, only for that bucket and account', () => {
    expect(resourceAt(synth, 'aws_s3_bucket_logging', 'log-bucket/export-bucket-access-logging').body).toMatchObject({
      bucket: ref('aws_s3_bucket', exportBucket, 'id'),
      target_bucket: bucketId,
      target_prefix: 's3-access/export-bucket/',
    });
    expect(sid('ExportBucketServerAccessLogs')).toMatchObject({
      actions: ['s3:PutObject'],
      resources: [`${bucketArn}/s3-access/export-bucket/*`],
      principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
      condition: [
        { test: 'ArnLike', variable: 'aws:SourceArn', values: [ref('aws_s3_bucket', exportBucket, 'arn')] },
        { test: 'StringEquals', variable: 'aws:SourceAccount', values: ['${var.aws_account_id}'] },
      ],
    });
  });

  it('records CloudTrail data events (reads and writes) on the export files, delivered under the trail policy', () => {
    const trail = resourceAt(synth, 'aws_cloudtrail', 'audit-trail/trail').body;
    expect(trail).toMatchObject({
      s3_bucket_name: ref('aws_s3_bucket', bucket.name, 'bucket'),
      s3_key_prefix: 'cloudtrail',
      enable_log_file_validation: true,
    });
    expect(trail.event_selector).toBeUndefined();
    expect(trail.advanced_event_selector).toEqual([
      expect.objectContaining({
        field_selector: [
          { field: 'eventCategory', equals: ['Data'] },
          { field: 'resources.type', equals: ['AWS::S3::Object'] },
          { field: 'resources.ARN', starts_with: [`${ref('aws_s3_bucket', exportBucket, 'arn')}/`] },
        ],
      }),
    ]);
    // No readOnly selector: reads (downloads) and writes alike.
    const trailArn = `arn:\${data.aws_partition.partition.partition}:cloudtrail:${env.region}:\${var.aws_account_id}:trail/${trail.name}`;
    expect(sid('CloudTrailAclCheck')).toMatchObject({
      actions: ['s3:GetBucketAcl'],
      resources: [bucketArn],
      condition: [{ test: 'StringEquals', variable: 'aws:SourceArn', values: [trailArn] }],
    });
    expect(sid('CloudTrailWrite')).toMatchObject({
      actions: ['s3:PutObject'],
      resources: [`${bucketArn}/cloudtrail/AWSLogs/\${var.aws_account_id}/*`],
      principals: [{ type: 'Service', identifiers: ['cloudtrail.amazonaws.com'] }],
      condition: expect.arrayContaining([
        { test: 'StringEquals', variable: 's3:x-amz-acl', values: ['bucket-owner-full-control'] },
        { test: 'StringEquals', variable: 'aws:SourceArn', values: [trailArn] },
      ]),
    });
    expect(trail.depends_on).toContain(`aws_s3_bucket_policy.${resourceAt(synth, 'aws_s3_bucket_policy', 'log-bucket/policy').name}`);
  });
});

describe('a region that opened after August 2022', () => {
  it('lets the ELB log delivery service principal write the access logs instead of an ELB account', () => {
    const synth = synthesize({ ...staging, region: 'ap-southeast-5', availabilityZones: ['ap-southeast-5a', 'ap-southeast-5b'] });
    expect(synth.json.data['aws_elb_service_account']).toBeUndefined();
    expect(statementsOf(synth).find((s) => s.sid === 'LoadBalancerAccessLogs')?.principals).toEqual([
      { type: 'Service', identifiers: [ELB_LOG_DELIVERY_PRINCIPAL] },
    ]);
  });
});
