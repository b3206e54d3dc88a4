import { randomBytes } from 'node:crypto';
import { resourceNames, type ResourceNames } from '@memberships/core/contract';
import type { AwsClientSettings } from '@memberships/core/config';
import { testAwsSettings } from './environment';
import { TestEnvironmentError } from './errors';
import { ACKNOWLEDGE_PATH, startLocalIamGate, type RunningIamGate } from './iam-gate';
import { DEFAULT_EMAIL_DOMAIN } from './local-aws';
import { ensureLinkSigningSecret, provisionResources, type ProvisionedQueues, type ProvisionOptions } from './provision';

export interface TestResources {
  /** AWS settings pointing at the emulators of the jest global setup. */
  readonly aws: AwsClientSettings;
  /** Random per call, e.g. `test-1a2b3c4d`: suites never see each other's data. */
  readonly prefix: string;
  readonly names: ResourceNames;
  readonly queueUrls: ProvisionedQueues;
  /**
   * LINK_SIGNING_SECRET_ARN: this prefix's link signing key secret (`<prefix>-link-signing-key`,
   * with a fresh random key), the one the API and worker task roles may read through the IAM gate.
   */
  readonly linkSigningSecretArn: string;
}

/**
 * Provisions a fresh, isolated set of tables, queues, bucket and link
 * signing key secret (random prefix) in the emulators started by the jest global setup. The emulators
 * are in memory and stopped after the run, so nothing needs deleting.
 */
export async function provisionTestResources(options: ProvisionOptions & { readonly prefix?: string } = {}): Promise<TestResources> {
  const aws = testAwsSettings();
  const prefix = options.prefix ?? `test-${randomBytes(4).toString('hex')}`;
  const names = resourceNames(prefix);
  const [queueUrls, linkSigningSecretArn] = await Promise.all([
    provisionResources(aws, names, options),
    ensureLinkSigningSecret(aws, prefix),
  ]);
  return { aws, prefix, names, queueUrls, linkSigningSecretArn };
}

/**
 * For a test that makes a call production would refuse on purpose (a
 * misconfigured queue URL, a table that does not exist: in AWS, with the
 * task role's policy, those are AccessDenied): marks the suite-wide IAM
 * gate's denials whose reason contains `reasonIncludes` as intended, so the
 * run does not fail on them. Returns how many it marked; assert on it, it
 * proves the call was refused.
 */
export async function acknowledgeIamDenials(reasonIncludes: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const gate = env.LOCAL_IAM_GATE_ENDPOINT?.trim();
  if (!gate) throw new TestEnvironmentError(['LOCAL_IAM_GATE_ENDPOINT']);
  const response = await fetch(new URL(ACKNOWLEDGE_PATH, gate), { method: 'POST', body: JSON.stringify({ reasonIncludes }) });
  if (!response.ok) throw new Error(`acknowledging IAM denials failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { acknowledged: number }).acknowledged;
}

/**
 * An IAM gate of the test's own, in front of emulators the test started itself
 * (e.g. a Scheduler stand-in on a manual clock), evaluating against the same
 * synthesized policies as the suite-wide gate. The test stops it and asserts
 * `unacknowledged()` is empty, as the global teardown does for the suite-wide one.
 */
export function startTestIamGate(upstreams: Parameters<typeof startLocalIamGate>[0]['upstreams']): Promise<RunningIamGate> {
  return startLocalIamGate({
    upstreams,
    emailDomain: DEFAULT_EMAIL_DOMAIN,
    onDenial: (denial) => process.stderr.write(`iam-gate (test): denied ${denial.identity} ${denial.operation}: ${denial.reason}\n`),
  });
}
