import { environments as allEnvironments } from '@memberships/infra/dist/environments';
import { environmentRoles, type EnvironmentRoles } from '@memberships/infra/dist/role-policies';
import type { AwsService } from './aws-requests';
import { startIamGate, type DenialRecord, type RunningIamGate, type ServiceLatency } from './gate-server';
import { IDENTITIES } from './identities';
import { PolicyEvaluator } from './policy-evaluator';

export { ACKNOWLEDGE_PATH, DENIALS_PATH, type DenialRecord, type RunningIamGate, type ServiceLatency } from './gate-server';
export { AWS_SERVICES, type AwsService } from './aws-requests';
export { localCredentials, type LocalCredentials, type LocalIdentity } from './identities';
export { PolicyEvaluator } from './policy-evaluator';

/** The account the synthesized policies are resolved for (AWS's documentation account). */
export const GATE_ACCOUNT_ID = '111122223333';

export interface LocalIamGateOptions {
  readonly upstreams: Partial<Record<AwsService, string>>;
  /** Domain of the local sender address: the SES identity (`var.email_domain`) the policies name. */
  readonly emailDomain: string;
  readonly port?: number;
  readonly onDenial?: (denial: DenialRecord) => void;
  /** Replace the synthesized roles (tests of the gate itself). Default: every environment of infra/terraform. */
  readonly environments?: readonly EnvironmentRoles[];
  /** Round-trip latency added per service before a call is forwarded (IamGateOptions.latencyMs). */
  readonly latencyMs?: ServiceLatency;
}

const resolved = new Map<string, EnvironmentRoles[]>();

/**
 * The role paths the local identities use, resolved in every environment
 * infra/terraform defines (synthesized once per process and domain: the
 * documents are immutable).
 */
export function synthesizedEnvironmentRoles(emailDomain: string): EnvironmentRoles[] {
  const cached = resolved.get(emailDomain);
  if (cached) return cached;
  const paths = [...new Set(Object.values(IDENTITIES).flatMap((identity) => (identity.rolePath ? [identity.rolePath] : [])))];
  const roles = allEnvironments.map((environment) =>
    environmentRoles(environment, paths, { accountId: GATE_ACCOUNT_ID, variables: { email_domain: emailDomain } }),
  );
  resolved.set(emailDomain, roles);
  return roles;
}

/** Starts the gate in this process, evaluating against the policies infra/terraform synthesizes. */
export function startLocalIamGate(options: LocalIamGateOptions): Promise<RunningIamGate> {
  const environments = options.environments ?? synthesizedEnvironmentRoles(options.emailDomain);
  return startIamGate({
    upstreams: options.upstreams,
    evaluator: new PolicyEvaluator(environments),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.onDenial ? { onDenial: options.onDenial } : {}),
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
}
