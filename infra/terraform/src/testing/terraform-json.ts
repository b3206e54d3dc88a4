import { synthesize, type Block, type PolicyStatementJson, type SynthesizedStack } from '../synthesize';

/** Test helpers over the Terraform JSON a stack synthesizes (what `terraform plan` would read). */

export { synthesize, type Block, type PolicyStatementJson, type SynthesizedStack };

export interface ResourceJson {
  /** Terraform name (`aws_sqs_queue.<name>`). */
  readonly name: string;
  /** Construct path, e.g. `production/export-queue/queue`. */
  readonly path: string;
  readonly body: Block;
}

/** Every resource of a type, with its Terraform name and construct path. */
export function resourcesOf(synth: SynthesizedStack, type: string): ResourceJson[] {
  return Object.entries(synth.json.resource[type] ?? {}).map(([name, body]) => ({ name, path: synth.paths.get(name) ?? '', body }));
}

/** The one resource of a type whose construct path ends with `pathSuffix` (e.g. `export-queue/queue`). */
export function resourceAt(synth: SynthesizedStack, type: string, pathSuffix: string): ResourceJson {
  const matches = resourcesOf(synth, type).filter(({ path }) => path.endsWith(`/${pathSuffix}`));
  if (matches.length !== 1) throw new Error(`expected one ${type} at */${pathSuffix}, found ${matches.length}`);
  return matches[0]!;
}

/** `${<type>.<name>.<attribute>}` as Terraform writes a reference. */
export function ref(type: string, name: string, attribute: string): string {
  return `\${${type}.${name}.${attribute}}`;
}

/** Statements of every aws_iam_policy_document, by document name. */
export function policyDocuments(synth: SynthesizedStack): Map<string, PolicyStatementJson[]> {
  const documents = synth.json.data['aws_iam_policy_document'] ?? {};
  return new Map(Object.entries(documents).map(([name, body]) => [name, (body.statement as PolicyStatementJson[]) ?? []]));
}

/** The policy document a `${data.aws_iam_policy_document.<name>.json}` reference points at. */
export function documentName(reference: unknown): string | undefined {
  const match = /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(String(reference));
  return match?.[1];
}

/** The container definition of an ECS task definition. */
export interface ContainerJson {
  readonly name: string;
  readonly image: string;
  readonly environment: { name: string; value: string }[];
  readonly secrets: { name: string; valueFrom: string }[];
  readonly stopTimeout: number;
  readonly healthCheck?: { command: string[] };
  readonly portMappings: { containerPort: number }[];
  readonly readonlyRootFilesystem: boolean;
  readonly logConfiguration: { logDriver: string; options: Record<string, string> };
}

export function containerOf(taskDefinition: Block): ContainerJson {
  const containers = JSON.parse(String(taskDefinition.container_definitions)) as ContainerJson[];
  if (containers.length !== 1) throw new Error(`expected one container, found ${containers.length}`);
  return containers[0]!;
}

export function environmentOf(container: ContainerJson): Record<string, string> {
  return Object.fromEntries(container.environment.map(({ name, value }) => [name, value]));
}

/**
 * Every resource, data source and local that `address` (`aws_ecs_service.<name>`) reaches through
 * its references and `depends_on`, transitively: what Terraform orders before it. An address in
 * its own answer is a cycle, which `terraform plan` refuses.
 */
export function dependenciesOf(synth: SynthesizedStack, address: string): Set<string> {
  const nodes = new Map<string, unknown>();
  for (const [type, byName] of Object.entries(synth.json.resource)) {
    for (const [name, body] of Object.entries(byName)) nodes.set(`${type}.${name}`, body);
  }
  for (const [type, byName] of Object.entries(synth.json.data)) {
    for (const [name, body] of Object.entries(byName)) nodes.set(`data.${type}.${name}`, body);
  }
  for (const [name, value] of Object.entries(synth.json.locals ?? {})) nodes.set(`local.${name}`, value);
  if (!nodes.has(address)) throw new Error(`no ${address} in the synthesized JSON`);

  const reached = new Set<string>();
  const pending = [address];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [candidate] of JSON.stringify(nodes.get(next)).matchAll(/(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+/g)) {
      if (nodes.has(candidate) && !reached.has(candidate)) {
        reached.add(candidate);
        pending.push(candidate);
      }
    }
  }
  return reached;
}
