import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AUTH_REQUESTS_PER_IP_PER_FIVE_MINUTES } from '../constructs/web-acl';
import { WORKER_ROLLOUT_TIMEOUT } from '../constructs/worker-service';
import { environments } from '../environments';
import { dependenciesOf, ref, resourceAt, resourcesOf, synthesize, type Block } from '../testing/terraform-json';

/**
 * The one deploy order of the runbook (infra/terraform/README.md), where the
 * synthesized JSON can show it: state bucket and ECR before the apply (the
 * backend and the image variables), the JWT key written before the API
 * service, the workers rolled out before the API, and every `terraform
 * output` the later steps (migrate, first administrator, first export) read.
 */
const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe.each(environments.map((env) => [env.name, env] as const))('%s deploy order', (_name, env) => {
  const synth = synthesize(env);
  const ephemeral = (synth.json as unknown as { ephemeral?: Record<string, Record<string, Block>> }).ephemeral ?? {};

  it('needs the state bucket and the pushed images before the apply: an S3 backend and ECR image variables', () => {
    expect((synth.json.terraform.backend as { s3: Block }).s3).toMatchObject({ bucket: expect.any(String), use_lockfile: true });
    for (const service of ['api', 'worker']) {
      const container = JSON.parse(
        String(resourceAt(synth, 'aws_ecs_task_definition', `${service}-service/task-definition`).body.container_definitions),
      )[0];
      expect(container.image).toBe(`\${var.${service}_image}`);
    }
  });

  it('writes the JWT signing key, generated ephemeral and write-only, before the API service starts', () => {
    const keys = ephemeral['tls_private_key'] ?? {};
    expect(Object.values(keys)).toEqual([expect.objectContaining({ algorithm: 'ECDSA', ecdsa_curve: 'P256' })]);
    const [keyName] = Object.keys(keys);
    expect((synth.json.terraform.required_providers as Record<string, Block>).tls).toMatchObject({
      source: 'hashicorp/tls',
      version: '~> 4.1',
    });
    // A managed tls_private_key would keep the private key in the state.
    expect(resourcesOf(synth, 'tls_private_key')).toHaveLength(0);

    const version = resourceAt(synth, 'aws_secretsmanager_secret_version', 'secrets/jwt-signing-key-value');
    const secret = resourceAt(synth, 'aws_secretsmanager_secret', 'secrets/jwt-signing-key').name;
    expect(version.body.secret_id).toBe(ref('aws_secretsmanager_secret', secret, 'id'));
    expect(version.body.secret_string).toBeUndefined();
    expect(version.body.secret_binary).toBeUndefined();
    expect(version.body.secret_string_wo).toContain(`"privateKey" = ephemeral.tls_private_key.${keyName}.private_key_pem_pkcs8`);
    expect(version.body.secret_string_wo).toContain(`"publicKey" = ephemeral.tls_private_key.${keyName}.public_key_pem`);
    expect(version.body.secret_string_wo_version).toBe('${var.jwt_signing_key_version}');
    expect(synth.json.terraform.required_version).toBe('>= 1.11.0');

    const api = resourceAt(synth, 'aws_ecs_service', 'api-service/service').body;
    expect(api.depends_on).toContain(`aws_secretsmanager_secret_version.${version.name}`);
  });

  // Message versions: the workers consume what the API produces, so the consumer is deployed before the
  // producer. An old worker rejects a version it does not know (`unsupported_version`) and fails the job;
  // so one apply rolls the workers out, waits until their deployment has completed, then updates the API.
  it('rolls the workers out first and the API after they are steady: a message version is read before it is sent', () => {
    const worker = resourceAt(synth, 'aws_ecs_service', 'worker-service/service');
    const api = resourceAt(synth, 'aws_ecs_service', 'api-service/service');
    const workerAddress = `aws_ecs_service.${worker.name}`;
    const apiAddress = `aws_ecs_service.${api.name}`;

    expect(worker.body.wait_for_steady_state).toBe(true);
    // Longer than the provider's default 20m, so a bad rollout ends with the circuit breaker's rollback
    // (which fails the wait, and so the apply, before the API is touched) rather than with Terraform's timer.
    expect(worker.body.timeouts).toEqual({ create: WORKER_ROLLOUT_TIMEOUT, update: WORKER_ROLLOUT_TIMEOUT });
    expect(WORKER_ROLLOUT_TIMEOUT).toMatch(/^\d+m$/);
    expect(Number.parseInt(WORKER_ROLLOUT_TIMEOUT, 10)).toBeGreaterThan(20);
    expect(worker.body.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });

    expect(api.body.depends_on).toContain(workerAddress);
    expect(dependenciesOf(synth, apiAddress)).toContain(workerAddress);
    // No cycle: nothing the worker waits for leads back to the API service (plan would refuse the stack),
    // and the first apply needs no API for the worker to turn steady.
    const workerNeeds = dependenciesOf(synth, workerAddress);
    expect(workerNeeds).not.toContain(apiAddress);
    expect([...workerNeeds].filter((address) => synth.paths.get(address.split('.').pop()!)?.includes('/api-service/'))).toEqual([]);
  });

  it('outputs everything the runbook reads after the apply', () => {
    const read = [...new Set([...README.matchAll(/terraform output (?:-raw|-json) ([a-z_]+)/g)].map((match) => match[1]!))];
    expect(read).toEqual(expect.arrayContaining(['ecs_cluster_name', 'users_table', 'aws_region', 'api_url']));
    for (const name of read) expect({ name, output: name in synth.json.output }).toEqual({ name, output: true });
  });
});

describe('the runbook', () => {
  it('runs the commands the tests run here: npm run synth (what main.test.ts runs), npm run build, jest on this project', () => {
    const rootScripts = (
      JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(README).toContain('npm run synth');
    expect(rootScripts.synth).toBe('tsc --build infra/terraform && node infra/terraform/dist/main.js');
    expect(README).toContain(rootScripts.synth!);
    expect(rootScripts.build).toBe('tsc --build tsconfig.build.json');
    expect(README).toContain('npm run build && npx jest infra/terraform --selectProjects infra');
  });

  it('goes in the one order: account, images, apply, migrate, first administrator, first export', () => {
    const steps = [
      '### 1. Once per account',
      '### 2. Images',
      '### 3. Synthesize and apply',
      '### 4. Migrate the database',
      '### 5. The first administrator',
      '### 6. The first export email',
    ];
    const positions = steps.map((step) => README.indexOf(step));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("states the WAF's auth rate limit as the web ACL sets it", () => {
    expect(README).toContain(`\`/v1/auth/\` (${AUTH_REQUESTS_PER_IP_PER_FIVE_MINUTES} per 5 minutes)`);
  });

  it('names the entry points the images ship and the scripts it runs', () => {
    for (const entry of [
      'services/worker/dist/migrate.js',
      'services/api/dist/scripts/create-user.js',
      '/app/services/worker/dist/health-check.js',
    ]) {
      expect(README).toContain(entry);
    }
    const repo = path.join(__dirname, '..', '..', '..', '..');
    for (const source of [
      'services/worker/src/migrate.ts',
      'services/api/src/scripts/create-user.ts',
      'services/worker/src/health-check.ts',
    ]) {
      expect(() => readFileSync(path.join(repo, source))).not.toThrow();
    }
  });
});
