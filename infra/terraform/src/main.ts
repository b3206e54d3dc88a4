import { App } from 'cdktn';
import { loadSynthConfig, type SynthConfig } from './config';
import { environments as allEnvironments, type EnvironmentConfig } from './environments';
import { PlatformStack } from './stacks/platform-stack';

/**
 * Terraform / OpenTofu releases the synthesized JSON is for: 1.10 brought
 * S3-native state locking (`use_lockfile`), 1.11 write-only attributes
 * (Terraform and OpenTofu alike; OpenTofu's ephemeral resources too). cdktn
 * checks every feature the stacks use against these ranges while
 * synthesizing, so the JWT key's ephemeral resource and write-only secret
 * would fail the synth under 1.10.
 */
export const TARGET_VERSIONS = { terraform: '>=1.11.0', opentofu: '>=1.11.0' } as const;

/**
 * The infra app: one PlatformStack per environment, all from the same
 * definition. `npm run synth` runs this file and writes
 * `cdktf.out/stacks/<environment>/cdk.tf.json` for `terraform` or `tofu`.
 * (The cdktn CLI is not needed: `app.synth()` is what it would call.)
 */
export function buildApp(
  config: SynthConfig,
  environments: readonly EnvironmentConfig[] = allEnvironments,
): { app: App; stacks: PlatformStack[] } {
  const app = new App({ outdir: config.outdir, context: { targetVersions: TARGET_VERSIONS } });
  const stacks = environments.map((environment) => new PlatformStack(app, environment.name, { environment, state: config }));
  return { app, stacks };
}

if (require.main === module) {
  const config = loadSynthConfig();
  const { app, stacks } = buildApp(config);
  app.synth();
  for (const stack of stacks) {
    process.stdout.write(`${stack.node.id}: ${config.outdir}/stacks/${stack.node.id}/cdk.tf.json\n`);
  }
}
