import type { EnvironmentConfig } from './environments';
import type { Block, PolicyStatementJson, SynthesizedStack } from './synthesize';

/**
 * The IAM roles of one environment as `terraform apply` would create them:
 * trust policy and inline permission policies as IAM JSON, every Terraform
 * reference replaced by the value AWS would give it. The local platform's IAM
 * gate evaluates service calls against exactly these documents, so a policy
 * that would deny a call in AWS denies it in `npm start` and in the tests.
 *
 * Only what a policy of a role the gate evaluates refers to is resolved; a
 * reference this file cannot compute is an error naming it (a new kind of
 * resource in a policy must be taught here, not silently ignored).
 */

export interface IamStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource?: string[];
  readonly Principal?: Record<string, string[]>;
  readonly Condition?: Record<string, Record<string, string[]>>;
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: IamStatement[];
}

export interface ResolvedRole {
  /** Construct path inside the stack, e.g. `iam/api-task-role`. */
  readonly path: string;
  readonly name: string;
  readonly arn: string;
  readonly trustPolicy: IamPolicy;
  readonly permissionPolicies: readonly { readonly name: string; readonly policy: IamPolicy }[];
}

export interface ResolutionValues {
  /** The `aws_account_id` variable. */
  readonly accountId: string;
  /** Every other Terraform variable a resolved policy refers to (e.g. `email_domain`). */
  readonly variables?: Readonly<Record<string, string>>;
}

/**
 * Suffix AWS appends to a Secrets Manager secret's name in its ARN (six random
 * characters). Fixed here, so a caller translating a secret name to an ARN
 * (`secretArn`) gets the ARN the policy names.
 */
export const SECRET_ARN_SUFFIX = 'AbC123';

export interface EnvironmentRoles {
  readonly environment: EnvironmentConfig;
  readonly accountId: string;
  readonly partition: 'aws';
  /** By construct path inside the stack (`iam/api-task-role`, `scheduler/target-role`, ...). */
  readonly roles: ReadonlyMap<string, ResolvedRole>;
}

/** Synthesizes `environment` and resolves the roles at `paths` (construct paths inside the stack) that it has. */
export function environmentRoles(environment: EnvironmentConfig, paths: readonly string[], values: ResolutionValues): EnvironmentRoles {
  // Loaded on use: synthesizing loads cdktn and the AWS provider's bindings (tens of MB), which a
  // process importing only the types and SECRET_ARN_SUFFIX (the local platform's index) should not pay for.
  const { synthesize } = require('./synthesize') as typeof import('./synthesize');
  return resolveRoles(synthesize(environment), environment, paths, values);
}

export function resolveRoles(
  synth: SynthesizedStack,
  environment: EnvironmentConfig,
  paths: readonly string[],
  values: ResolutionValues,
): EnvironmentRoles {
  const resolver = new ReferenceResolver(synth, environment, values);
  const byPath = new Map<string, [string, Block]>();
  for (const [name, body] of Object.entries(synth.json.resource['aws_iam_role'] ?? {})) {
    byPath.set(stackPath(synth, name), [name, body]);
  }
  const roles = new Map<string, ResolvedRole>();
  for (const path of paths) {
    // A path the stack does not have is left out: a caller asking for its role learns there is none.
    const entry = byPath.get(`${path}/role`);
    if (!entry) continue;
    const [terraformName, body] = entry;
    const permissionPolicies = Object.entries(synth.json.resource['aws_iam_role_policy'] ?? {})
      .filter(([, policy]) => policy.role === `\${aws_iam_role.${terraformName}.id}`)
      .map(([, policy]) => ({ name: String(policy.name), policy: resolver.document(String(policy.policy)) }));
    roles.set(path, {
      path,
      name: resolver.resolve(String(body.name)),
      arn: resolver.attribute('aws_iam_role', terraformName, 'arn'),
      trustPolicy: resolver.document(String(body.assume_role_policy)),
      permissionPolicies,
    });
  }
  return { environment, accountId: values.accountId, partition: 'aws', roles };
}

function stackPath(synth: SynthesizedStack, terraformName: string): string {
  const full = synth.paths.get(terraformName) ?? '';
  return full.slice(full.indexOf('/') + 1);
}

const REFERENCE = /\$\{([^}]*)\}/g;

/** Computes what Terraform would substitute for `${...}` references in the policies. */
class ReferenceResolver {
  private readonly region: string;

  constructor(
    private readonly synth: SynthesizedStack,
    environment: EnvironmentConfig,
    private readonly values: ResolutionValues,
  ) {
    this.region = environment.region;
  }

  /** `${data.aws_iam_policy_document.<name>.json}` as IAM JSON. */
  document(reference: string): IamPolicy {
    const match = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(reference);
    if (!match) throw new Error(`not a policy document reference: ${reference}`);
    const body = this.synth.json.data['aws_iam_policy_document']?.[match[1]!];
    if (!body) throw new Error(`no aws_iam_policy_document ${match[1]}`);
    const statements = (body.statement as PolicyStatementJson[] | undefined) ?? [];
    return { Version: '2012-10-17', Statement: statements.map((s) => this.statement(s)) };
  }

  private statement(s: PolicyStatementJson): IamStatement {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const c of s.condition ?? []) {
      condition[c.test] = { ...condition[c.test], [c.variable]: c.values.map((v) => this.resolve(v)) };
    }
    const principal: Record<string, string[]> = {};
    for (const p of s.principals ?? []) principal[p.type] = p.identifiers.map((v) => this.resolve(v));
    return {
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: s.effect === 'Deny' ? 'Deny' : 'Allow',
      Action: [...(s.actions ?? [])],
      ...(s.resources ? { Resource: s.resources.map((r) => this.resolve(r)) } : {}),
      ...(s.principals ? { Principal: principal } : {}),
      ...(s.condition ? { Condition: condition } : {}),
    };
  }

  /** A string with every `${...}` replaced by its value. */
  resolve(value: string): string {
    return value.replace(REFERENCE, (_whole, expression: string) => this.expression(expression.trim()));
  }

  private expression(expression: string): string {
    const parts = expression.split('.');
    if (parts[0] === 'var' && parts.length === 2) return this.variable(parts[1]!);
    if (parts[0] === 'data' && parts[1] === 'aws_partition' && parts[3] === 'partition') return 'aws';
    if (parts.length === 3 && /^aws_[a-z0-9_]+$/.test(parts[0]!)) return this.attribute(parts[0]!, parts[1]!, parts[2]!);
    // `aws_db_instance.<name>.master_user_secret[0].secret_arn`: the secret RDS creates and names itself.
    const masterSecret = /^aws_db_instance\.([^.]+)\.master_user_secret\[0\]\.secret_arn$/.exec(expression);
    if (masterSecret) return this.secretArn(`${this.arg('aws_db_instance', masterSecret[1]!, 'identifier')}-master`);
    throw new Error(`cannot resolve \${${expression}} in a policy the IAM gate evaluates`);
  }

  private variable(name: string): string {
    if (name === 'aws_account_id') return this.values.accountId;
    const value = this.values.variables?.[name];
    if (value === undefined) throw new Error(`a policy refers to var.${name}: give it a value`);
    return value;
  }

  private arg(type: string, name: string, argument: string): string {
    const body = this.synth.json.resource[type]?.[name];
    if (!body) throw new Error(`no ${type}.${name}`);
    const value = body[argument];
    if (typeof value !== 'string') throw new Error(`${type}.${name} has no string ${argument}`);
    return this.resolve(value);
  }

  private secretArn(name: string): string {
    return `arn:aws:secretsmanager:${this.region}:${this.values.accountId}:secret:${name}-${SECRET_ARN_SUFFIX}`;
  }

  /** The attributes AWS assigns, computed from the resource's arguments the way AWS forms them. */
  attribute(type: string, name: string, attribute: string): string {
    const { region } = this;
    const account = this.values.accountId;
    const arg = (argument: string) => this.arg(type, name, argument);
    const computed: Record<string, Record<string, () => string>> = {
      aws_dynamodb_table: { arn: () => `arn:aws:dynamodb:${region}:${account}:table/${arg('name')}`, name: () => arg('name') },
      aws_sqs_queue: {
        arn: () => `arn:aws:sqs:${region}:${account}:${arg('name')}`,
        name: () => arg('name'),
        url: () => `https://sqs.${region}.amazonaws.com/${account}/${arg('name')}`,
      },
      aws_s3_bucket: { arn: () => `arn:aws:s3:::${arg('bucket')}`, bucket: () => arg('bucket'), id: () => arg('bucket') },
      aws_sesv2_email_identity: { arn: () => `arn:aws:ses:${region}:${account}:identity/${arg('email_identity')}` },
      aws_sesv2_configuration_set: {
        arn: () => `arn:aws:ses:${region}:${account}:configuration-set/${arg('configuration_set_name')}`,
        configuration_set_name: () => arg('configuration_set_name'),
      },
      aws_iam_role: { arn: () => `arn:aws:iam::${account}:role/${arg('name')}`, name: () => arg('name'), id: () => arg('name') },
      aws_scheduler_schedule_group: {
        arn: () => `arn:aws:scheduler:${region}:${account}:schedule-group/${arg('name')}`,
        name: () => arg('name'),
      },
      aws_secretsmanager_secret: { arn: () => this.secretArn(arg('name')), id: () => this.secretArn(arg('name')), name: () => arg('name') },
      aws_ecs_cluster: { arn: () => `arn:aws:ecs:${region}:${account}:cluster/${arg('name')}`, name: () => arg('name') },
      aws_cloudwatch_event_bus: { arn: () => `arn:aws:events:${region}:${account}:event-bus/${arg('name')}`, name: () => arg('name') },
    };
    const compute = computed[type]?.[attribute];
    if (!compute) throw new Error(`cannot resolve \${${type}.${name}.${attribute}} in a policy the IAM gate evaluates`);
    return compute();
  }
}
