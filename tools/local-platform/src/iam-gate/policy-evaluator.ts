import type { Simulation } from '@cloud-copilot/iam-simulate';
import type { EnvironmentRoles, ResolvedRole } from '@memberships/infra/dist/role-policies';
import { SECRET_ARN_SUFFIX } from '@memberships/infra/dist/role-policies';
import type { AuthorizationCheck, LocalResource } from './aws-requests';

/**
 * Decides a request the way IAM would in each environment: every check of
 * the request, translated from local names to the environment's, evaluated by
 * @cloud-copilot/iam-simulate against the caller role's trust policy (can its
 * service assume it at all?) and its permission policies as synthesized by
 * infra/terraform. A request is allowed only if every environment allows
 * every check, so one test run covers staging and production.
 */

/**
 * Prefixes of the local platform's resource names: `local-` (`npm start`)
 * and `test-<8 hex>-` (a test suite's own resources). Names with another
 * prefix are not translated, so a role's policy cannot match them.
 */
const LOCAL_NAME = /^(?:local|test-[0-9a-f]{8})-(.+)$/;

export interface Decision {
  readonly allowed: boolean;
  /** Set when denied: what AWS would say, naming action, resource and environment. */
  readonly reason?: string;
}

/** What a role's service presents when it assumes the role (AWS's confused-deputy context keys). */
export interface AssumeContext {
  readonly servicePrincipal: string;
  /** `aws:SourceArn` in local naming (e.g. the schedule group a schedule belongs to). */
  readonly sourceArn?: LocalResource;
}

export class PolicyEvaluator {
  private readonly cache = new Map<string, Promise<Decision>>();
  /** Per environment and role: its permission policies' Resource patterns, null when one holds a policy variable. */
  private readonly resourcePatterns = new Map<string, readonly RegExp[] | null>();
  private evaluations = 0;

  constructor(private readonly environments: readonly EnvironmentRoles[]) {}

  async decide(rolePath: string, checks: readonly AuthorizationCheck[], assume: AssumeContext): Promise<Decision> {
    for (const environment of this.environments) {
      const role = environment.roles.get(rolePath);
      const where = `in ${environment.environment.name}`;
      if (!role) return { allowed: false, reason: `no role ${rolePath} is synthesized ${where}` };
      const trust = await this.cached(`trust|${environment.environment.name}|${rolePath}|${JSON.stringify(assume)}`, () =>
        this.trusts(environment, role, assume),
      );
      if (!trust.allowed) return trust;
      for (const check of checks) {
        const resource = translate(check.resource, environment);
        const decisive = this.decisiveResource(environment, role, check.resource, resource);
        const key = `${environment.environment.name}|${rolePath}|${check.action}|${decisive}|${JSON.stringify(check.context ?? {})}`;
        const decision = await this.cached(key, () => this.permits(environment, role, check, resource));
        // A denial names its resource: one found under another object's key is made again for this one.
        if (!decision.allowed) return decisive === resource ? decision : this.permits(environment, role, check, resource);
      }
    }
    return { allowed: true };
  }

  /** Policy simulations run so far (trust and permission): the decisions the cache did not have. */
  get simulations(): number {
    return this.evaluations;
  }

  /**
   * What of a check's resource its decision can depend on, for the cache key.
   * An S3 object's key is new with every export, so keyed by the whole ARN
   * every PutObject missed the cache and was simulated anew. An identity
   * policy's statement applies to a resource only through its Resource
   * patterns (conditions read the request context, which is in the key too;
   * these documents have no NotResource), so two objects of one bucket that
   * match the same patterns get the same decision. The key is then the
   * bucket and the patterns matched. A pattern with a policy variable
   * (`${aws:…}`) depends on more than the ARN: such a role keeps whole ARNs.
   */
  private decisiveResource(environment: EnvironmentRoles, role: ResolvedRole, local: LocalResource, resource: string): string {
    if (local.kind !== 'object') return resource;
    const patterns = this.patternsOf(environment, role);
    if (!patterns) return resource;
    const matched = patterns.flatMap((pattern, index) => (pattern.test(resource) ? [index] : []));
    const bucket = translate({ kind: 'bucket', bucket: local.bucket }, environment);
    return `object of ${bucket}${local.key === '' ? ' (empty key)' : ''} matching [${matched.join(',')}]`;
  }

  private patternsOf(environment: EnvironmentRoles, role: ResolvedRole): readonly RegExp[] | null {
    const key = `${environment.environment.name}|${role.path}`;
    let patterns = this.resourcePatterns.get(key);
    if (patterns === undefined) {
      const all = role.permissionPolicies.flatMap(({ policy }) => policy.Statement.flatMap((statement) => statement.Resource ?? []));
      patterns = all.some((pattern) => pattern.includes('${')) ? null : all.map(iamPattern);
      this.resourcePatterns.set(key, patterns);
    }
    return patterns;
  }

  private cached(key: string, compute: () => Promise<Decision>): Promise<Decision> {
    let decision = this.cache.get(key);
    if (!decision) {
      decision = compute();
      this.cache.set(key, decision);
    }
    return decision;
  }

  private async trusts(environment: EnvironmentRoles, role: ResolvedRole, assume: AssumeContext): Promise<Decision> {
    this.evaluations += 1;
    const sourceArn = assume.sourceArn ? translate(assume.sourceArn, environment) : undefined;
    const result = await evaluate({
      request: {
        principal: assume.servicePrincipal,
        action: 'sts:AssumeRole',
        resource: { resource: role.arn, accountId: environment.accountId },
        contextVariables: { 'aws:SourceAccount': environment.accountId, ...(sourceArn ? { 'aws:SourceArn': sourceArn } : {}) },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: role.trustPolicy,
    });
    if (result === 'Allowed') return { allowed: true };
    return {
      allowed: false,
      reason: `${assume.servicePrincipal} is not authorized to perform: sts:AssumeRole on resource: ${role.arn}${sourceArn ? ` with aws:SourceArn ${sourceArn}` : ''} (${result}, in ${environment.environment.name})`,
    };
  }

  private async permits(environment: EnvironmentRoles, role: ResolvedRole, check: AuthorizationCheck, resource: string): Promise<Decision> {
    this.evaluations += 1;
    const result = await evaluate({
      request: {
        principal: `${role.arn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/local`,
        action: check.action,
        resource: { resource, accountId: environment.accountId },
        contextVariables: { ...check.context },
      },
      identityPolicies: role.permissionPolicies.map(({ name, policy }) => ({ name, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    });
    if (result === 'Allowed') return { allowed: true };
    const because =
      result === 'ExplicitlyDenied' ? 'with an explicit deny' : `because no identity-based policy allows the ${check.action} action`;
    return {
      allowed: false,
      reason: `User: ${role.arn} is not authorized to perform: ${check.action} on resource: ${resource} ${because} (in ${environment.environment.name})`,
    };
  }
}

async function evaluate(simulation: Simulation): Promise<string> {
  // Loaded on first use (with AWS's action data): processes that only import the local platform pay nothing.
  const { runSimulation } = require('@cloud-copilot/iam-simulate') as typeof import('@cloud-copilot/iam-simulate');
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') {
    // An action or ARN iam-data does not know: AWS would refuse the request too.
    return `invalid request: ${JSON.stringify(response.errors).slice(0, 300)}`;
  }
  return response.overallResult;
}

/** An IAM Resource pattern as a RegExp over the whole ARN: `*` any run of characters, `?` any one, case-sensitive. */
function iamPattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** The environment's name for a local name: `test-1a2b3c4d-export-jobs` → `memberships-production-export-jobs`. */
export function environmentName(localName: string, environment: EnvironmentRoles): string {
  const match = LOCAL_NAME.exec(localName);
  return match ? `${environment.environment.prefix}-${match[1]}` : localName;
}

/** The ARN `resource` has in `environment`. */
export function translate(resource: LocalResource, environment: EnvironmentRoles): string {
  const { region } = environment.environment;
  const account = environment.accountId;
  const name = (local: string) => environmentName(local, environment);
  switch (resource.kind) {
    case 'table':
      return `arn:aws:dynamodb:${region}:${account}:table/${name(resource.name)}${resource.index ? `/index/${resource.index}` : ''}`;
    case 'queue':
      return `arn:aws:sqs:${region}:${account}:${name(resource.name)}`;
    case 'bucket':
      return `arn:aws:s3:::${name(resource.bucket)}`;
    case 'object':
      return `arn:aws:s3:::${name(resource.bucket)}/${resource.key}`;
    case 'sesIdentity':
      return `arn:aws:ses:${region}:${account}:identity/${resource.identity}`;
    case 'sesConfigurationSet':
      return `arn:aws:ses:${region}:${account}:configuration-set/${name(resource.name)}`;
    case 'schedule':
      return `arn:aws:scheduler:${region}:${account}:schedule/${name(resource.group)}/${resource.name}`;
    case 'scheduleGroup':
      return `arn:aws:scheduler:${region}:${account}:schedule-group/${name(resource.name)}`;
    case 'role': {
      const roleName = resource.arn.slice(resource.arn.lastIndexOf('/') + 1);
      return `arn:aws:iam::${account}:role/${name(roleName)}`;
    }
    case 'secret': {
      // By name or ARN; an ARN's own six-character suffix is replaced by the one the resolved policies use.
      const secretName = resource.id.startsWith('arn:') ? resource.id.split(':secret:')[1]!.replace(/-[A-Za-z0-9]{6}$/, '') : resource.id;
      return `arn:aws:secretsmanager:${region}:${account}:secret:${name(secretName)}-${SECRET_ARN_SUFFIX}`;
    }
    case 'eventBus':
      // The account's default bus keeps its name in every environment.
      return `arn:aws:events:${region}:${account}:event-bus/${name(resource.name)}`;
    case 'any':
      return '*';
    case 'unrecognised':
      return resource.arn;
  }
}
