import * as path from 'node:path';
import { EnvReader } from '@memberships/core/config';

/**
 * Settings needed while synthesizing, before Terraform runs. Terraform cannot
 * take variables in a `backend` block, so the state location is decided here;
 * everything else a team supplies is a Terraform variable. This is the only
 * module of the infra app that reads `process.env`.
 */
export interface SynthConfig {
  /** S3 bucket holding the Terraform state of every environment (INFRA_STATE_BUCKET, default memberships-terraform-state). */
  readonly stateBucket: string;
  /** Region of the state bucket (INFRA_STATE_REGION, default: the environment's region). */
  readonly stateRegion: string | undefined;
  /**
   * DynamoDB table for state locking (INFRA_STATE_LOCK_TABLE, optional), kept
   * next to S3-native locking (`use_lockfile`) for teams migrating off it.
   * Unset: S3-native locking only.
   */
  readonly stateLockTable: string | undefined;
  /** Where the Terraform JSON is written (INFRA_OUTDIR, default infra/terraform/cdktf.out). */
  readonly outdir: string;
}

export const DEFAULT_STATE_BUCKET = 'memberships-terraform-state';

export function loadSynthConfig(env: NodeJS.ProcessEnv = process.env): SynthConfig {
  const read = new EnvReader(env);
  const config: SynthConfig = {
    stateBucket: read.string('INFRA_STATE_BUCKET', DEFAULT_STATE_BUCKET),
    stateRegion: read.optionalString('INFRA_STATE_REGION'),
    stateLockTable: read.optionalString('INFRA_STATE_LOCK_TABLE'),
    // Relative to this package, not to the working directory: `npm run synth` runs from the repo root.
    outdir: path.resolve(read.string('INFRA_OUTDIR', path.join(__dirname, '..', 'cdktf.out'))),
  };
  read.done();
  return Object.freeze(config);
}
