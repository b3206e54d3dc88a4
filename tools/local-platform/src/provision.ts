import { randomInt } from 'node:crypto';
import { CreateScheduleCommand, CreateScheduleGroupCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  EXPIRY_SWEEP_SCHEDULE,
  expirySweepTargetInput,
  queues,
  tables,
  type ResourceNames,
  type TableDefinition,
  type TableKey,
} from '@memberships/core/contract';
import type { AwsClientSettings } from '@memberships/core/config';
import { dynamoDbClient, localClientConfig, s3Client, sqsClient } from './aws-clients';
import { LocalPlatformError, ProvisioningConflictError } from './errors';

export interface ProvisionedQueues {
  readonly exportQueueUrl: string;
  readonly exportDlqUrl: string;
  /** ARNs, for EventBridge Scheduler targets (the schedule fires into the queue, failures go to the DLQ). */
  readonly exportQueueArn: string;
  readonly exportDlqArn: string;
  /** The webhook queue (completion events and deliveries; API and worker) and its dead-letter queue (worker). */
  readonly webhookQueueUrl: string;
  readonly webhookDlqUrl: string;
  /** Their ARNs: the expiry sweep's schedule targets the queue, its undelivered ticks go to the DLQ. */
  readonly webhookQueueArn: string;
  readonly webhookDlqArn: string;
}

export interface ProvisionOptions {
  /**
   * Overrides of the export queue's definition, for tests that need e.g. a
   * quicker redrive to the dead-letter queue. Default: the values in
   * `queues.exportRequests` of @memberships/core.
   */
  readonly exportQueue?: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number };
  /** Likewise for the webhook queue (`queues.webhookEvents`). */
  readonly webhookQueue?: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number };
}

/**
 * Creates the platform's AWS resources from their definitions in
 * @memberships/core (resources.ts) for a local or test environment: the
 * DynamoDB tables (on-demand, with their GSIs and TTL), the export and webhook
 * queues with their dead-letter queues and redrive policies, the export bucket,
 * and, where their stand-ins run, the Scheduler groups (the subscriptions'
 * and the maintenance group) and the EventBridge bus of completion events. Idempotent:
 * existing resources are kept (queue attributes are brought up to date), and
 * an existing table whose keys differ from the definition is an error rather
 * than silently used. Real deployments get the same definitions through
 * Terraform, which also sets what the emulators do not support (bucket
 * lifecycle expiry and default encryption).
 */
export async function provisionResources(
  settings: AwsClientSettings,
  names: ResourceNames,
  options: ProvisionOptions = {},
): Promise<ProvisionedQueues> {
  const dynamodb = dynamoDbClient(settings);
  const sqs = sqsClient(settings);
  const s3 = s3Client(settings);
  try {
    const queueWork = provisionQueues(sqs, names, options);
    // allSettled: when one resource fails, the others still finish before the clients are destroyed.
    const results = await Promise.allSettled([
      queueWork,
      ...(Object.keys(tables) as TableKey[]).map((key) => ensureTable(dynamodb, tables[key], names.tables[key])),
      ensureBucket(s3, names.buckets.exportFiles, settings.region),
      settings.endpoints.scheduler ? ensureScheduleGroup(settings, names.scheduleGroup) : undefined,
      settings.endpoints.scheduler ? ensureScheduleGroup(settings, names.maintenanceScheduleGroup) : undefined,
      settings.endpoints.events ? ensureEventBus(settings, names.eventBus) : undefined,
    ]);
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    return await queueWork;
  } finally {
    dynamodb.destroy();
    sqs.destroy();
    s3.destroy();
  }
}

/**
 * Creates one table from its shared definition in core (keys, indexes and TTL as deployed) if it
 * is missing, waits until it is active and checks an existing one matches.
 */
export async function ensureTable(client: DynamoDBClient, definition: TableDefinition, name: string): Promise<void> {
  const keySchema = (partitionKey: string, sortKey?: string): KeySchemaElement[] => [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Object.entries(definition.attributes).map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: keySchema(definition.partitionKey, definition.sortKey),
        ...(definition.globalIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
                IndexName: index.name,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const { state } = await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
  if (state !== 'SUCCESS') throw new ProvisioningConflictError(`Table ${name} did not become active (${state}).`);
  await checkTableMatches(client, definition, name);
  if (definition.ttlAttribute) await ensureTimeToLive(client, name, definition.ttlAttribute);
}

async function checkTableMatches(client: DynamoDBClient, definition: TableDefinition, name: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  const describeKeys = (schema: KeySchemaElement[] | undefined) =>
    (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  const expectedKeys = (partitionKey: string, sortKey?: string) =>
    [`${partitionKey}:HASH`, ...(sortKey ? [`${sortKey}:RANGE`] : [])].join(',');
  const problems: string[] = [];
  if (describeKeys(Table?.KeySchema) !== expectedKeys(definition.partitionKey, definition.sortKey)) {
    problems.push(`key schema is ${describeKeys(Table?.KeySchema)}, expected ${expectedKeys(definition.partitionKey, definition.sortKey)}`);
  }
  for (const index of definition.globalIndexes) {
    const existing = indexNamed(Table, index.name);
    if (!existing) problems.push(`global index ${index.name} is missing`);
    else if (describeKeys(existing.KeySchema) !== expectedKeys(index.partitionKey, index.sortKey)) {
      problems.push(
        `global index ${index.name} has keys ${describeKeys(existing.KeySchema)}, expected ${expectedKeys(index.partitionKey, index.sortKey)}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new ProvisioningConflictError(
      `Table ${name} exists but does not match its definition: ${problems.join('; ')}. Delete it or use another prefix.`,
    );
  }
}

function indexNamed(table: TableDescription | undefined, indexName: string) {
  return table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === indexName);
}

async function ensureTimeToLive(client: DynamoDBClient, name: string, attribute: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (TimeToLiveDescription?.AttributeName !== attribute) {
      throw new ProvisioningConflictError(`Table ${name} has TTL on ${TimeToLiveDescription?.AttributeName}, expected ${attribute}.`);
    }
    return;
  }
  await client.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { Enabled: true, AttributeName: attribute } }));
}

async function provisionQueues(client: SQSClient, names: ResourceNames, options: ProvisionOptions): Promise<ProvisionedQueues> {
  const [exports, webhooks] = await Promise.all([
    ensureQueueWithDeadLetter(client, {
      name: names.queues.exportRequests,
      deadLetterName: names.queues.exportRequestsDeadLetter,
      definition: queues.exportRequests,
      deadLetterDefinition: queues.exportRequestsDeadLetter,
      ...(options.exportQueue ? { overrides: options.exportQueue } : {}),
    }),
    ensureQueueWithDeadLetter(client, {
      name: names.queues.webhookEvents,
      deadLetterName: names.queues.webhookEventsDeadLetter,
      definition: queues.webhookEvents,
      deadLetterDefinition: queues.webhookEventsDeadLetter,
      ...(options.webhookQueue ? { overrides: options.webhookQueue } : {}),
    }),
  ]);
  return {
    exportQueueUrl: exports.queueUrl,
    exportDlqUrl: exports.deadLetterUrl,
    exportQueueArn: exports.queueArn,
    exportDlqArn: exports.deadLetterArn,
    webhookQueueUrl: webhooks.queueUrl,
    webhookDlqUrl: webhooks.deadLetterUrl,
    webhookQueueArn: webhooks.queueArn,
    webhookDlqArn: webhooks.deadLetterArn,
  };
}

interface QueueDefinition {
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly messageRetentionSeconds: number;
}

/** A queue and its dead-letter queue, with the redrive policy between them (the DLQ first: the policy names its ARN). */
async function ensureQueueWithDeadLetter(
  client: SQSClient,
  queue: {
    readonly name: string;
    readonly deadLetterName: string;
    readonly definition: QueueDefinition;
    readonly deadLetterDefinition: { readonly messageRetentionSeconds: number };
    readonly overrides?: { readonly visibilityTimeoutSeconds?: number; readonly maxReceiveCount?: number };
  },
): Promise<{ queueUrl: string; queueArn: string; deadLetterUrl: string; deadLetterArn: string }> {
  const deadLetterUrl = await ensureQueue(client, queue.deadLetterName, {
    MessageRetentionPeriod: String(queue.deadLetterDefinition.messageRetentionSeconds),
  });
  const deadLetterArn = await queueArn(client, deadLetterUrl, queue.deadLetterName);
  const { definition, overrides } = queue;
  const queueUrl = await ensureQueue(client, queue.name, {
    VisibilityTimeout: String(overrides?.visibilityTimeoutSeconds ?? definition.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(definition.messageRetentionSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterArn,
      maxReceiveCount: overrides?.maxReceiveCount ?? definition.maxReceiveCount,
    }),
  });
  return { queueUrl, queueArn: await queueArn(client, queueUrl, queue.name), deadLetterUrl, deadLetterArn };
}

async function queueArn(client: SQSClient, queueUrl: string, name: string): Promise<string> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new ProvisioningConflictError(`Queue ${name} has no QueueArn attribute.`);
  return arn;
}

/**
 * The EventBridge bus of completion events (only where an EventBridge endpoint is configured: the
 * local stand-in). In AWS, infra/terraform creates it, with its archive and the operators' rules.
 */
async function ensureEventBus(settings: AwsClientSettings, name: string): Promise<void> {
  const client = new EventBridgeClient(localClientConfig(settings, 'events'));
  try {
    await client.send(new CreateEventBusCommand({ Name: name }));
  } catch (error) {
    if (!isErrorNamed(error, 'ResourceAlreadyExistsException')) throw error;
  } finally {
    client.destroy();
  }
}

/**
 * What infra/terraform's Scheduler construct deploys beside the groups: the
 * expiry sweep's hourly schedule in the maintenance group, sending an
 * `expiry.sweep` to the webhook queue with `roleArn` (the stand-in delivers
 * as the scheduler identity, which the IAM gate holds to the synthesized
 * target role). Created, or brought up to date when it exists. `npm start`
 * calls it; tests send the sweep message themselves instead of waiting an hour.
 */
export async function ensureExpirySweepSchedule(
  settings: AwsClientSettings,
  names: ResourceNames,
  queueUrls: Pick<ProvisionedQueues, 'webhookQueueArn' | 'webhookDlqArn'>,
  roleArn: string,
): Promise<void> {
  if (!settings.endpoints.scheduler) {
    throw new LocalPlatformError(
      'scheduler_missing',
      'No Scheduler endpoint: the expiry sweep schedule is created in the local stand-in only.',
    );
  }
  const client = new SchedulerClient(localClientConfig(settings, 'scheduler'));
  const definition = {
    Name: EXPIRY_SWEEP_SCHEDULE.name,
    GroupName: names.maintenanceScheduleGroup,
    ScheduleExpression: EXPIRY_SWEEP_SCHEDULE.expression,
    FlexibleTimeWindow: { Mode: 'OFF' as const },
    Target: {
      Arn: queueUrls.webhookQueueArn,
      RoleArn: roleArn,
      Input: expirySweepTargetInput(),
      RetryPolicy: { MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: queueUrls.webhookDlqArn },
    },
  };
  try {
    try {
      await client.send(new CreateScheduleCommand(definition));
    } catch (error) {
      if (!isErrorNamed(error, 'ConflictException')) throw error;
      await client.send(new UpdateScheduleCommand(definition));
    }
  } finally {
    client.destroy();
  }
}

/** The EventBridge Scheduler group of the export subscriptions (only where a Scheduler endpoint is configured). */
async function ensureScheduleGroup(settings: AwsClientSettings, name: string): Promise<void> {
  const client = new SchedulerClient(localClientConfig(settings, 'scheduler'));
  try {
    await client.send(new CreateScheduleGroupCommand({ Name: name }));
  } catch (error) {
    if (!isErrorNamed(error, 'ConflictException')) throw error;
  } finally {
    client.destroy();
  }
}

/** Creates the queue, or brings an existing one's attributes up to date (SQS refuses CreateQueue with changed attributes). */
async function ensureQueue(client: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new ProvisioningConflictError(`CreateQueue ${name} returned no QueueUrl.`);
    return QueueUrl;
  } catch (error) {
    if (!isErrorNamed(error, 'QueueNameExists', 'QueueAlreadyExists')) throw error;
  }
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new ProvisioningConflictError(`GetQueueUrl ${name} returned no QueueUrl.`);
  await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

async function ensureBucket(client: S3Client, name: string, region: string): Promise<void> {
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: name,
        // us-east-1 is the one region that rejects an explicit location constraint.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (error) {
    if (isErrorNamed(error, 'BucketAlreadyOwnedByYou')) return;
    if (isErrorNamed(error, 'BucketAlreadyExists'))
      throw new ProvisioningConflictError(`Bucket ${name} already exists and belongs to someone else.`);
    throw error;
  }
}

/**
 * The link signing key secret of a resource prefix, named as infra/terraform names it
 * (`<prefix>-link-signing-key`): the IAM gate maps `local-…` and `test-<8 hex>-…` to
 * `<environment prefix>-…`, the secret the synthesized task roles may read.
 */
export function linkSigningSecretName(prefix: string): string {
  return `${prefix}-link-signing-key`;
}

/** The JSON key of the secret's value, as infra/terraform writes it: `{"key": "<random>"}`. */
const LINK_SECRET_KEY = 'key';
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A fresh key like Terraform's `random_password` (length 64, special = false), as the secret's JSON value. */
export function newLinkSigningSecretValue(): { readonly key: string; readonly secretString: string } {
  // randomInt draws without modulo bias.
  const key = Array.from({ length: 64 }, () => KEY_ALPHABET[randomInt(KEY_ALPHABET.length)]).join('');
  return { key, secretString: JSON.stringify({ [LINK_SECRET_KEY]: key }) };
}

/**
 * What `terraform apply` does in AWS: the link signing key secret, created as the operator with
 * a fresh random key when missing (an existing secret keeps its key, and gets one if it has no
 * AWSCURRENT version). Returns its ARN: LINK_SIGNING_SECRET_ARN of both services.
 */
export async function ensureLinkSigningSecret(settings: AwsClientSettings, prefix: string): Promise<string> {
  const client = secretsManagerClient(settings);
  const name = linkSigningSecretName(prefix);
  try {
    try {
      const created = await client.send(
        new CreateSecretCommand({
          Name: name,
          Description: 'HMAC key of the emailed download links (local): JSON {"key"}',
          SecretString: newLinkSigningSecretValue().secretString,
        }),
      );
      return created.ARN!;
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
    }
    const existing = await client.send(new DescribeSecretCommand({ SecretId: name }));
    const hasCurrent = Object.values(existing.VersionIdsToStages ?? {}).some((stages) => stages.includes('AWSCURRENT'));
    if (!hasCurrent)
      await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: newLinkSigningSecretValue().secretString }));
    return existing.ARN!;
  } finally {
    client.destroy();
  }
}

/**
 * A rotation, as raising `link_signing_key_version` does in AWS: a new version with a fresh key,
 * which Secrets Manager makes AWSCURRENT, the one before becoming AWSPREVIOUS. Returns the new key.
 */
export async function rotateLinkSigningKey(settings: AwsClientSettings, secretArn: string): Promise<string> {
  const client = secretsManagerClient(settings);
  try {
    const value = newLinkSigningSecretValue();
    await client.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: value.secretString }));
    return value.key;
  } finally {
    client.destroy();
  }
}

/** The operator's client; refuses to run without a local endpoint, so it never reaches a real account. */
function secretsManagerClient(settings: AwsClientSettings): SecretsManagerClient {
  if (!settings.endpoints.secretsManager) {
    throw new LocalPlatformError(
      'secrets_manager_missing',
      'No Secrets Manager endpoint: the link signing key is provisioned in the local stand-in only.',
    );
  }
  return new SecretsManagerClient(localClientConfig(settings, 'secretsManager'));
}

function isErrorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}
