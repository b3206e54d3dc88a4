import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_STATE_BUCKET, loadSynthConfig } from './config';
import { App } from 'cdktn';
import { environments, staging } from './environments';
import { buildApp, TARGET_VERSIONS } from './main';
import { PlatformStack } from './stacks/platform-stack';

const run = promisify(execFile);

describe('npm run synth', () => {
  let outdir: string;
  beforeEach(async () => {
    outdir = await mkdtemp(path.join(tmpdir(), 'memberships-synth-'));
  });
  afterEach(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('writes one Terraform JSON file per environment (the built entry point, as the root script runs it)', async () => {
    const entry = path.join(__dirname, '..', 'dist', 'main.js');
    const { stdout } = await run(process.execPath, [entry], {
      env: { ...process.env, INFRA_OUTDIR: outdir, INFRA_STATE_BUCKET: 'acme-terraform-state' },
    });
    for (const environment of environments) {
      const file = path.join(outdir, 'stacks', environment.name, 'cdk.tf.json');
      expect(stdout).toContain(file);
      const json = JSON.parse(await readFile(file, 'utf8')) as {
        terraform: { backend: { s3: Record<string, unknown> } };
        resource: object;
      };
      expect(json.terraform.backend.s3).toMatchObject({
        bucket: 'acme-terraform-state',
        key: `memberships/${environment.name}/terraform.tfstate`,
        use_lockfile: true,
      });
      expect(Object.keys(json.resource).length).toBeGreaterThan(30);
    }
  });

  it('synthesizes every environment from the library entry too, with a DynamoDB lock table when one is configured', async () => {
    const { app } = buildApp({ stateBucket: 'state', stateRegion: 'us-east-1', stateLockTable: 'terraform-locks', outdir });
    app.synth();
    for (const environment of environments) {
      const json = JSON.parse(await readFile(path.join(outdir, 'stacks', environment.name, 'cdk.tf.json'), 'utf8'));
      expect(json.terraform.backend.s3).toMatchObject({ region: 'us-east-1', dynamodb_table: 'terraform-locks', use_lockfile: true });
    }
  });
});

describe('loadSynthConfig', () => {
  it('defaults to the documented state bucket, S3-native locking and infra/terraform/cdktf.out', () => {
    expect(loadSynthConfig({})).toEqual({
      stateBucket: DEFAULT_STATE_BUCKET,
      stateRegion: undefined,
      stateLockTable: undefined,
      outdir: path.resolve(__dirname, '..', 'cdktf.out'),
    });
  });

  it('reads every setting from INFRA_* variables', () => {
    expect(
      loadSynthConfig({
        INFRA_STATE_BUCKET: 'acme-state',
        INFRA_STATE_REGION: 'eu-west-1',
        INFRA_STATE_LOCK_TABLE: 'locks',
        INFRA_OUTDIR: 'relative/out',
      }),
    ).toEqual({ stateBucket: 'acme-state', stateRegion: 'eu-west-1', stateLockTable: 'locks', outdir: path.resolve('relative/out') });
  });
});

describe('TARGET_VERSIONS', () => {
  let outdir: string;
  beforeEach(async () => {
    outdir = await mkdtemp(path.join(tmpdir(), 'memberships-synth-'));
  });
  afterEach(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('is the first release with write-only attributes: under 1.10 the JWT key could not be written, and cdktn refuses to synthesize', () => {
    expect(TARGET_VERSIONS).toEqual({ terraform: '>=1.11.0', opentofu: '>=1.11.0' });
    const app = new App({ outdir, context: { targetVersions: { terraform: '>=1.10.0', opentofu: '>=1.10.0' } } });
    new PlatformStack(app, staging.name, {
      environment: staging,
      state: { stateBucket: 'state', stateRegion: undefined, stateLockTable: undefined },
    });
    expect(() => app.synth()).toThrow(/write-only attributes/i);
  });
});
