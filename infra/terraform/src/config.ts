import * as path from 'node:path';
import { readConfig, string } from '@memberships/core/config';

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

/** The synth variables, described once. */
export const synthVariables = {
  INFRA_STATE_BUCKET: string({ default: DEFAULT_STATE_BUCKET, doc: 'S3 bucket holding the Terraform state of every environment' }),
  INFRA_STATE_REGION: string({ optional: true, defaultDoc: "the environment's region", doc: 'region of the state bucket' }),
  INFRA_STATE_LOCK_TABLE: string({ optional: true, doc: 'DynamoDB table for state locking, next to S3-native locking' }),
  // Relative to this package, not to the working directory: `npm run synth` runs from the repo root.
  INFRA_OUTDIR: string({
    default: path.join(__dirname, '..', 'cdktf.out'),
    defaultDoc: 'infra/terraform/cdktf.out',
    doc: 'where the Terraform JSON is written',
  }),
};

export function loadSynthConfig(env: NodeJS.ProcessEnv = process.env): SynthConfig {
  const values = readConfig(synthVariables, env);
  return Object.freeze({
    stateBucket: values.INFRA_STATE_BUCKET,
    stateRegion: values.INFRA_STATE_REGION,
    stateLockTable: values.INFRA_STATE_LOCK_TABLE,
    outdir: path.resolve(values.INFRA_OUTDIR),
  });
}
