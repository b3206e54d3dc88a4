import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buckets, JOB_RETENTION_DAYS, JOB_STATES, queues, tables } from '@memberships/core/contract';
import { TerraformElement } from 'cdktn';
import { staging } from './environments';
import { synthesize } from './testing/terraform-json';

/**
 * docs/architecture.md is the picture of the platform: these checks keep it
 * naming the components the infrastructure code creates and the values core
 * defines, and keep its Mermaid within the syntax GitHub renders.
 */
const doc = readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'architecture.md'), 'utf8');
const blocks = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((match) => match[1]!);
const blockOf = (kind: string): string => {
  const block = blocks.find((b) => b.trimStart().startsWith(kind));
  if (!block) throw new Error(`no ${kind} block in docs/architecture.md`);
  return block;
};

/** The stack's components: its direct children that are our constructs (not Terraform elements, not the inputs). */
const componentIds = synthesize(staging)
  .stack.node.children.filter((child) => !(child instanceof TerraformElement) && child.node.id !== 'inputs')
  .map((child) => child.node.id);

describe('docs/architecture.md', () => {
  it('has the component flowchart, the sequence of one export and the job state machine', () => {
    expect(blocks.map((b) => b.trimStart().split(/\s/)[0])).toEqual(['flowchart', 'sequenceDiagram', 'stateDiagram-v2']);
  });

  it.each(componentIds)('names the %s construct in the flowchart and the component table', (id) => {
    expect(blockOf('flowchart')).toMatch(new RegExp(`"${id} ·`));
    expect(doc).toContain(`| \`${id}\` |`);
  });

  it('covers every component the stack has (and no more)', () => {
    expect(componentIds.sort()).toEqual(
      [
        'network',
        'ecs-cluster',
        'tables',
        'export-queue',
        'webhook-queue',
        'event-bus',
        'export-bucket',
        'database',
        'secrets',
        'log-bucket',
        'audit-trail',
        'email',
        'scheduler',
        'observability',
        'iam',
        'dns',
        'api-service',
        'worker-service',
        'migrate-task',
        'web-acl',
      ].sort(),
    );
    const documented = [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(componentIds.sort());
  });

  it('states the values core defines: tables, redrive count, file expiry, job retention', () => {
    for (const table of Object.values(tables)) expect(blockOf('flowchart')).toContain(table.logicalName);
    expect(blockOf('flowchart')).toContain(
      `by the worker on attempt ${queues.exportRequests.maxAttempts}, by SQS after ${queues.exportRequests.maxReceiveCount} receives`,
    );
    expect(blockOf('sequenceDiagram')).toContain(`on attempt ${queues.exportRequests.maxAttempts} the worker marks the job failed`);
    expect(blockOf('sequenceDiagram')).toContain(`after ${queues.exportRequests.maxReceiveCount} receives`);
    expect(blockOf('sequenceDiagram')).toContain(`invisible for ${queues.exportRequests.visibilityTimeoutSeconds} s`);
    expect(blockOf('flowchart')).toContain(`expire after ${buckets.exportFiles.expireAfterDays} days`);
    expect(blockOf('stateDiagram-v2')).toContain(`after ${JOB_RETENTION_DAYS} days`);
  });

  it('walks one export through every step, from token to email, with heartbeat, retry and dead-letter', () => {
    const sequence = blockOf('sequenceDiagram');
    for (const step of [
      'POST /v1/auth/token',
      'POST /v1/exports',
      'TransactWriteItems',
      'SendMessage export.requested v1',
      '202 Accepted',
      'ReceiveMessage',
      'claim, conditional UpdateItem queued to running with a lease',
      'COPY export query TO STDOUT',
      'UploadPart',
      'SHA-256',
      'CompleteMultipartUpload',
      'SendEmail with the CSV attached',
      'signed link to the API',
      'record the download on the job',
      'presigned S3 URL valid 5 minutes',
      'complete, running to succeeded',
      'ChangeMessageVisibility, extend',
      'heartbeat',
      'release, running to queued',
      'dead-letter queue',
    ]) {
      expect(sequence).toContain(step);
    }
  });

  it('draws the job state machine of core: every state and the transitions the JobStore allows', () => {
    const states = blockOf('stateDiagram-v2');
    for (const state of JOB_STATES) expect(states).toMatch(new RegExp(`\\b${state}\\b`));
    const transitions = [...states.matchAll(/^\s*(\S+) --> (\S+?):/gm)].map((m) => `${m[1]} -> ${m[2]}`);
    expect(transitions).toEqual(
      expect.arrayContaining([
        '[*] -> queued',
        'queued -> running',
        'running -> succeeded',
        'running -> failed',
        'queued -> failed',
        'running -> queued',
        'queued -> canceled',
        'running -> canceled',
      ]),
    );
    // Final states stay final; a succeeded job only reads as expired once its file's retention has passed.
    expect(transitions.filter((t) => /^(succeeded|failed|canceled|expired) -> /.test(t))).toEqual([
      'succeeded -> expired',
      'succeeded -> [*]',
      'failed -> [*]',
      'canceled -> [*]',
      'expired -> [*]',
    ]);
  });

  it('keeps Mermaid labels quoted and message texts free of characters Mermaid treats as syntax', () => {
    const flowchart = blockOf('flowchart');
    // An unquoted label with parentheses, brackets or pipes breaks the flowchart parser.
    for (const [, id, shape] of flowchart.matchAll(/\b([A-Za-z][\w-]*)([[({]+)(?![[({"])/g)) {
      throw new Error(`unquoted label for ${id}${shape} in the flowchart`);
    }
    for (const [, label] of flowchart.matchAll(/\|([^|]*)\|/g)) expect(label).toMatch(/^".*"$/);
    const sequence = blockOf('sequenceDiagram');
    for (const line of sequence.split('\n').filter((l) => /->>|-->>/.test(l))) {
      const text = line.slice(line.indexOf(':') + 1);
      expect({ line, unsafe: /[;#<>]/.test(text) }).toEqual({ line, unsafe: false });
    }
  });
});
