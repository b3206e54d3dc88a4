import { buckets } from '@memberships/core/contract';
import { environments } from '../environments';
import { resolveRoles, SECRET_ARN_SUFFIX } from '../role-policies';
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
} from '../testing/terraform-json';

/**
 * The plumbing of the emailed download links' HMAC key and of the file
 * retention they last for: one secret Terraform fills write-only, read at run
 * time by exactly the two task roles (AWSCURRENT and AWSPREVIOUS are versions
 * of that one secret: GetSecretValue on its ARN covers both), and one variable
 * for how long a file is kept, so the bucket and the services cannot disagree.
 */
describe.each(environments.map((env) => [env.name, env] as const))('%s link signing key and file retention', (_name, env) => {
  const synth = synthesize(env);
  const ephemeral = (synth.json as unknown as { ephemeral?: Record<string, Record<string, Block>> }).ephemeral ?? {};
  const secret = resourceAt(synth, 'aws_secretsmanager_secret', 'secrets/link-signing-key');
  const secretArn = ref('aws_secretsmanager_secret', secret.name, 'arn');
  const version = resourceAt(synth, 'aws_secretsmanager_secret_version', 'secrets/link-signing-key-value');
  const api = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'api-service/task-definition').body);
  const worker = containerOf(resourceAt(synth, 'aws_ecs_task_definition', 'worker-service/task-definition').body);

  it('is one secret, its value a 64-character random key generated ephemeral and written write-only, versioned by a variable', () => {
    expect(secret.body).toMatchObject({ name: `${env.prefix}-link-signing-key`, recovery_window_in_days: 30 });
    const passwords = ephemeral['random_password'] ?? {};
    expect(Object.values(passwords)).toEqual([expect.objectContaining({ length: 64, special: false })]);
    const [passwordName] = Object.keys(passwords);
    expect((synth.json.terraform.required_providers as Record<string, Block>).random).toMatchObject({
      source: 'hashicorp/random',
      version: '~> 3.7',
    });
    // A managed random_password would keep the key in the state.
    expect(resourcesOf(synth, 'random_password')).toHaveLength(0);

    const versions = resourcesOf(synth, 'aws_secretsmanager_secret_version').filter(
      ({ body }) => body.secret_id === ref('aws_secretsmanager_secret', secret.name, 'id'),
    );
    expect(versions.map(({ name }) => name)).toEqual([version.name]);
    expect(version.body.secret_string).toBeUndefined();
    expect(version.body.secret_binary).toBeUndefined();
    expect(version.body.secret_string_wo).toBe(`\${jsonencode({"key" = ephemeral.random_password.${passwordName}.result})}`);
    expect(version.body.secret_string_wo_version).toBe('${var.link_signing_key_version}');
  });

  it("declares link_signing_key_version (default 1) and export_file_retention_days (default core's retention)", () => {
    expect(synth.json.variable.link_signing_key_version).toMatchObject({ type: 'string', default: '1', nullable: false });
    expect(synth.json.variable.export_file_retention_days).toMatchObject({
      type: 'string',
      default: String(buckets.exportFiles.expireAfterDays),
      nullable: false,
    });
    expect(buckets.exportFiles.expireAfterDays).toBe(7);
  });

  it('lets the API and worker task roles read exactly that secret, and no other role read it at all', () => {
    const documents = policyDocuments(synth);
    const taskPolicy = (role: string) => documentName(resourceAt(synth, 'aws_iam_role_policy', `iam/${role}/policy`).body.policy)!;
    for (const role of ['api-task-role', 'worker-task-role']) {
      const reads = documents.get(taskPolicy(role))!.filter((s) => s.resources?.includes(secretArn));
      expect(reads).toEqual([
        { sid: 'ReadLinkSigningKey', effect: 'Allow', actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] },
      ]);
    }
    const naming = [...documents].filter(([, statements]) => JSON.stringify(statements).includes(secretArn)).map(([name]) => name);
    expect(naming.sort()).toEqual([taskPolicy('api-task-role'), taskPolicy('worker-task-role')].sort());
  });

  it('resolves, for the local IAM gate, to the ARN of `<prefix>-link-signing-key` in both task roles', () => {
    const resolved = resolveRoles(synth, env, ['iam/api-task-role', 'iam/worker-task-role'], {
      accountId: '111122223333',
      variables: { email_domain: 'memberships.example.com' },
    });
    const arn = `arn:aws:secretsmanager:${env.region}:111122223333:secret:${env.prefix}-link-signing-key-${SECRET_ARN_SUFFIX}`;
    for (const role of resolved.roles.values()) {
      const statements = role.permissionPolicies.flatMap(({ policy }) => policy.Statement);
      expect(statements).toContainEqual(expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'], Resource: [arn] }));
    }
    expect(resolved.roles.size).toBe(2);
  });

  it('tells both services the secret ARN and the retention at run time (no task-definition secret), and the worker the public API URL', () => {
    for (const container of [api, worker]) {
      expect(environmentOf(container)).toMatchObject({
        LINK_SIGNING_SECRET_ARN: secretArn,
        FILE_RETENTION_DAYS: '${var.export_file_retention_days}',
      });
      expect(JSON.stringify(container.secrets)).not.toContain(secret.name);
    }
    // The name the certificate is issued for and the alias record points at, over HTTPS, no trailing slash.
    const publicUrl = environmentOf(worker).PUBLIC_API_URL;
    expect(publicUrl).toBe('https://${var.api_domain_name}');
    expect(resourceAt(synth, 'aws_acm_certificate', 'dns/certificate').body.domain_name).toBe('${var.api_domain_name}');
    expect(synth.json.output.api_url).toMatchObject({ value: publicUrl });
    expect(environmentOf(api).PUBLIC_API_URL).toBeUndefined();
  });

  it("keeps the files exactly as long as the services' FILE_RETENTION_DAYS says: one variable sets both", () => {
    const [rule] = resourceAt(synth, 'aws_s3_bucket_lifecycle_configuration', 'export-bucket/lifecycle').body.rule as Block[];
    const [expiration] = rule!.expiration as Block[];
    expect(expiration!.days).toBe(environmentOf(api).FILE_RETENTION_DAYS);
    expect(expiration!.days).toBe(environmentOf(worker).FILE_RETENTION_DAYS);
  });

  it('starts neither service before the key has a value, and outputs the secret ARN', () => {
    for (const service of ['api-service/service', 'worker-service/service']) {
      expect(resourceAt(synth, 'aws_ecs_service', service).body.depends_on).toContain(`aws_secretsmanager_secret_version.${version.name}`);
    }
    expect(synth.json.output.link_signing_key_secret_arn).toMatchObject({ value: secretArn });
  });
});
