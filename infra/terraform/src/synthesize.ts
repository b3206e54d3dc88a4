import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformElement, Testing } from 'cdktn';
import type { EnvironmentConfig } from './environments';
import { buildApp } from './main';
import type { PlatformStack } from './stacks/platform-stack';

/**
 * One environment's stack synthesized in memory: the Terraform JSON `npm run synth` would write
 * (what `terraform plan` reads), with the construct path of every element. Used by the infra
 * tests and by the local platform's IAM gate, which evaluates the policies found here.
 */

export type Block = Record<string, unknown>;

/** A statement of an `aws_iam_policy_document` data source, as the JSON holds it. */
export interface PolicyStatementJson {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

export interface SynthesizedStack {
  readonly stack: PlatformStack;
  /** Construct path (`production/export-queue/queue`) of every element, by its Terraform name. */
  readonly paths: ReadonlyMap<string, string>;
  readonly json: {
    readonly resource: Record<string, Record<string, Block>>;
    readonly data: Record<string, Record<string, Block>>;
    readonly variable: Record<string, Block>;
    readonly output: Record<string, Block>;
    readonly terraform: Block;
    readonly provider: Record<string, Block[]>;
    readonly locals?: Record<string, unknown>;
  };
}

const TEST_STATE = { stateBucket: 'test-state-bucket', stateRegion: undefined, stateLockTable: undefined } as const;

/** Synthesizes one environment's stack with cdktn's validations on (what `npm run synth` would refuse, this refuses). */
export function synthesize(environment: EnvironmentConfig): SynthesizedStack {
  // The App creates its output directory up front even though nothing is written to it here.
  const outdir = mkdtempSync(join(tmpdir(), 'memberships-infra-test-'));
  try {
    const { stacks } = buildApp({ ...TEST_STATE, outdir }, [environment]);
    const stack = stacks[0]!;
    const json = JSON.parse(Testing.synth(stack, true)) as SynthesizedStack['json'];
    return { stack, json, paths: elementPaths(stack) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function elementPaths(stack: PlatformStack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const element of stack.node.findAll()) {
    if (element instanceof TerraformElement) paths.set(element.friendlyUniqueId, element.node.path);
  }
  return paths;
}
