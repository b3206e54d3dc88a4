import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../errors';
import { decodeIndexCursor, encodeIndexCursor } from '../index-cursor';
import {
  DEFAULT_WEBHOOK_ENDPOINTS_PER_USER,
  DELIVERY_ATTEMPTS_KEPT,
  DELIVERY_RETENTION_DAYS,
  deliveryIdOf,
  PREVIOUS_SECRET_VALIDITY_MS,
  type DeliveryAttempt,
  type DeliveryStatus,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from './webhook';

export interface WebhookStoreOptions {
  readonly client: DynamoDBClient;
  /** Physical name of the `webhooks` table. */
  readonly table: string;
  /** Most endpoints one user may have. Default DEFAULT_WEBHOOK_ENDPOINTS_PER_USER (5). */
  readonly limitPerUser?: number;
  /** Injectable clock (tests). */
  readonly now?: () => Date;
}

export interface CreateEndpointInput {
  readonly userId: string;
  /** The URL as accepted (the caller checks it against the address policy first). */
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string | undefined;
}

export interface EndpointChanges {
  readonly url?: string | undefined;
  readonly events?: readonly WebhookEventType[] | undefined;
  /** null removes the description. */
  readonly description?: string | null | undefined;
  /** true enables (and forgets the failures that disabled it); false disables. */
  readonly enabled?: boolean | undefined;
}

export interface CreateDeliveryInput {
  readonly endpoint: WebhookEndpoint;
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  readonly jobId: string;
  /** The exact body every attempt sends. */
  readonly payload: string;
}

export interface DeliveryPage {
  readonly items: WebhookDelivery[];
  /** Opaque cursor for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/** The user already has as many webhook endpoints as allowed. */
export class WebhookEndpointLimitError extends DomainError {
  constructor(readonly limit: number) {
    super('webhook_endpoint_limit_reached', `A user can have at most ${limit} webhook endpoints; delete one to create another.`);
  }
}

/** No endpoint with that id for that user (another user's endpoint is reported the same way). */
export class WebhookEndpointNotFoundError extends DomainError {
  constructor(readonly id: string) {
    super('webhook_endpoint_not_found', `Webhook endpoint ${id} does not exist.`);
  }
}

/** No delivery with that id on that endpoint. */
export class WebhookDeliveryNotFoundError extends DomainError {
  constructor(readonly id: string) {
    super('webhook_delivery_not_found', `Webhook delivery ${id} does not exist.`);
  }
}

/** Why an endpoint is disabled when its owner disabled it through the API (the worker gives its own reasons). */
export const DISABLED_BY_USER = 'disabled_by_user';

const ENDPOINT_ID = /^we_[0-9a-f]{24}$/;
const DELIVERY_ID = /^wd_[0-9a-f]{24}$/;
/** Item holding a user's endpoint count; it has no `ownerId`, so `byOwner` does not index it. */
const countKey = (userId: string) => `count#${userId}`;
const CONCURRENCY_RETRIES = 5;

/**
 * DynamoDB store of webhook endpoints and their deliveries (the `webhooks`
 * table, see resources.ts).
 *
 * The per-user limit is exact, as for schedules: each create and delete
 * changes the user's count item (`count#<userId>`) in the same transaction
 * as the endpoint, and a create's count update is conditional on room.
 *
 * The API side always names the caller: another user's endpoint, or a
 * delivery of it, is "not found", never "forbidden". The worker side reads by
 * id alone (the message it acts on came from us).
 *
 * An endpoint's owner is stored as `ownerId` (the `byOwner` index); a
 * delivery carries `endpointId` (the `byEndpoint` index) and `userId`, which
 * no index reads, so deliveries never show up among a user's endpoints.
 */
export class WebhookStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => Date;
  readonly limitPerUser: number;

  constructor(private readonly options: WebhookStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.now = options.now ?? (() => new Date());
    this.limitPerUser = options.limitPerUser ?? DEFAULT_WEBHOOK_ENDPOINTS_PER_USER;
  }

  // ---- API side: always scoped to the caller ----

  /**
   * Creates an enabled endpoint with a new signing secret. Throws
   * WebhookEndpointLimitError when the user already has `limitPerUser`.
   */
  async createEndpoint(input: CreateEndpointInput): Promise<WebhookEndpoint> {
    const now = this.now().toISOString();
    const endpoint: WebhookEndpoint = {
      id: `we_${randomBytes(12).toString('hex')}`,
      userId: input.userId,
      url: input.url,
      events: [...input.events],
      ...(input.description !== undefined ? { description: input.description } : {}),
      status: 'enabled',
      secret: newSecret(),
      createdAt: now,
      updatedAt: now,
    };
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt += 1) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.options.table, Item: toItem(endpoint), ConditionExpression: 'attribute_not_exists(id)' } },
              {
                Update: {
                  TableName: this.options.table,
                  Key: { id: countKey(input.userId) },
                  UpdateExpression: 'SET endpointCount = if_not_exists(endpointCount, :zero) + :one',
                  ConditionExpression: 'attribute_not_exists(endpointCount) OR endpointCount < :limit',
                  ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': this.limitPerUser },
                },
              },
            ],
          }),
        );
        return endpoint;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (reasons[1] === 'ConditionalCheckFailed') throw new WebhookEndpointLimitError(this.limitPerUser);
        // Another create or delete of the same user changed the count at the same moment: try again.
        if (reasons.includes('TransactionConflict')) {
          await conflictBackoff(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new DomainError(
      'webhook_endpoint_create_conflict',
      'Could not create the webhook endpoint because of concurrent changes; retry.',
    );
  }

  /** The user's endpoint, read consistently; undefined for a missing one or another user's. */
  async getEndpoint(userId: string, endpointId: string): Promise<WebhookEndpoint | undefined> {
    const endpoint = await this.getEndpointById(endpointId);
    return endpoint && endpoint.userId === userId ? endpoint : undefined;
  }

  /**
   * The user's endpoints, oldest first (at most `limitPerUser`, so one page
   * in practice). The `byOwner` index is eventually consistent: an endpoint
   * created a moment ago may be missing for that moment.
   */
  async listEndpoints(userId: string): Promise<WebhookEndpoint[]> {
    const endpoints: WebhookEndpoint[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.table,
          IndexName: 'byOwner',
          KeyConditionExpression: 'ownerId = :owner',
          ExpressionAttributeValues: { ':owner': userId },
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
        }),
      );
      endpoints.push(...(page.Items ?? []).map(endpointFromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return endpoints;
  }

  /**
   * Applies `changes` to the user's endpoint and returns it as written.
   * Enabling clears what disabled it (disabledAt, disabledReason and the run
   * of failures, failingSince), so the endpoint gets a fresh retry window;
   * enabling an enabled one, or disabling a disabled one, keeps those as
   * they are. Throws WebhookEndpointNotFoundError.
   */
  async updateEndpoint(userId: string, endpointId: string, changes: EndpointChanges): Promise<WebhookEndpoint> {
    const current = await this.getEndpoint(userId, endpointId);
    if (!current) throw new WebhookEndpointNotFoundError(endpointId);
    const now = this.now().toISOString();
    const set: Record<string, unknown> = { updatedAt: now };
    const remove: string[] = [];
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.events !== undefined) set.events = [...changes.events];
    if (changes.description === null) remove.push('description');
    else if (changes.description !== undefined) set.description = changes.description;
    if (changes.enabled === true && current.status === 'disabled') {
      set.status = 'enabled';
      remove.push('disabledAt', 'disabledReason', 'failingSince');
    } else if (changes.enabled === false && current.status === 'enabled') {
      Object.assign(set, { status: 'disabled', disabledAt: now, disabledReason: DISABLED_BY_USER });
    }
    const names: Record<string, string> = { '#id': 'id', '#owner': 'ownerId' };
    const values: Record<string, unknown> = { ':owner': userId };
    const assignments = Object.entries(set).map(([field, value]) => {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      return `#${field} = :${field}`;
    });
    for (const field of remove) names[`#${field}`] = field;
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: endpointId },
          UpdateExpression: `SET ${assignments.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.map((field) => `#${field}`).join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(#id) AND #owner = :owner',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return endpointFromItem(Attributes ?? {});
    } catch (error) {
      // Deleted between the read and the write.
      if (error instanceof ConditionalCheckFailedException) throw new WebhookEndpointNotFoundError(endpointId);
      throw error;
    }
  }

  /**
   * Deletes the user's endpoint and frees its place in the limit. Its
   * deliveries stay until their TTL (the worker finds no endpoint for them
   * and drops their messages). Throws WebhookEndpointNotFoundError.
   */
  async deleteEndpoint(userId: string, endpointId: string): Promise<void> {
    if (!ENDPOINT_ID.test(endpointId)) throw new WebhookEndpointNotFoundError(endpointId);
    const endpointGone = {
      TableName: this.options.table,
      Key: { id: endpointId },
      ConditionExpression: 'attribute_exists(id) AND ownerId = :owner',
      ExpressionAttributeValues: { ':owner': userId },
    };
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt += 1) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: endpointGone },
              {
                Update: {
                  TableName: this.options.table,
                  Key: { id: countKey(userId) },
                  UpdateExpression: 'SET endpointCount = endpointCount - :one',
                  ConditionExpression: 'endpointCount > :zero',
                  ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
                },
              },
            ],
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (reasons[0] === 'ConditionalCheckFailed') throw new WebhookEndpointNotFoundError(endpointId);
        if (reasons[1] === 'ConditionalCheckFailed') {
          // The count is missing or zero while an endpoint exists: it cannot go lower; delete the endpoint alone.
          try {
            await this.doc.send(new DeleteCommand(endpointGone));
            return;
          } catch (alone) {
            if (alone instanceof ConditionalCheckFailedException) throw new WebhookEndpointNotFoundError(endpointId);
            throw alone;
          }
        }
        if (reasons.includes('TransactionConflict')) {
          await conflictBackoff(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new DomainError(
      'webhook_endpoint_delete_conflict',
      'Could not delete the webhook endpoint because of concurrent changes; retry.',
    );
  }

  /**
   * Gives the endpoint a new secret. The old one keeps signing beside it for
   * PREVIOUS_SECRET_VALIDITY_MS, so a receiver can switch without dropping
   * events; a second rotation within that time retires the first old one.
   * Conditional on the secret read, so two concurrent rotations cannot both
   * think they replaced the same secret. Throws WebhookEndpointNotFoundError.
   */
  async rotateSecret(userId: string, endpointId: string): Promise<WebhookEndpoint> {
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt += 1) {
      const current = await this.getEndpoint(userId, endpointId);
      if (!current) throw new WebhookEndpointNotFoundError(endpointId);
      const now = this.now();
      try {
        const { Attributes } = await this.doc.send(
          new UpdateCommand({
            TableName: this.options.table,
            Key: { id: endpointId },
            UpdateExpression: 'SET secret = :secret, previousSecret = :old, previousSecretExpiresAt = :expires, updatedAt = :now',
            ConditionExpression: 'ownerId = :owner AND secret = :old',
            ExpressionAttributeValues: {
              ':secret': newSecret(),
              ':old': current.secret,
              ':expires': new Date(now.getTime() + PREVIOUS_SECRET_VALIDITY_MS).toISOString(),
              ':now': now.toISOString(),
              ':owner': userId,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return endpointFromItem(Attributes ?? {});
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Rotated (or deleted) meanwhile: read it again.
      }
    }
    throw new DomainError('webhook_secret_rotation_conflict', 'Could not rotate the secret because of concurrent changes; retry.');
  }

  /**
   * A page of the endpoint's deliveries, newest first. The cursor only pages
   * through this endpoint's deliveries (anything else is an
   * InvalidCursorError). Throws WebhookEndpointNotFoundError.
   */
  async listDeliveries(userId: string, endpointId: string, page: { limit: number; cursor?: string | undefined }): Promise<DeliveryPage> {
    if (!(await this.getEndpoint(userId, endpointId))) throw new WebhookEndpointNotFoundError(endpointId);
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.options.table,
        IndexName: 'byEndpoint',
        KeyConditionExpression: 'endpointId = :endpoint',
        ExpressionAttributeValues: { ':endpoint': endpointId },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: page.cursor
          ? decodeIndexCursor(page.cursor, { ownerField: 'endpointId', owner: endpointId, id: DELIVERY_ID })
          : undefined,
      }),
    );
    const items = (result.Items ?? []).map(deliveryFromItem);
    return result.LastEvaluatedKey ? { items, nextCursor: encodeIndexCursor(result.LastEvaluatedKey) } : { items };
  }

  /** The delivery if it is of this endpoint of this user (the endpoint still existing); else undefined. */
  async getDelivery(userId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    if (!(await this.getEndpoint(userId, endpointId))) return undefined;
    const delivery = await this.getDeliveryById(deliveryId);
    return delivery && delivery.endpointId === endpointId && delivery.userId === userId ? delivery : undefined;
  }

  /**
   * Queues the delivery again (status `pending`, due now), whatever its
   * status; the caller then sends its `webhook.delivery` message. Throws
   * WebhookEndpointNotFoundError or WebhookDeliveryNotFoundError.
   */
  async markForResend(userId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    if (!(await this.getEndpoint(userId, endpointId))) throw new WebhookEndpointNotFoundError(endpointId);
    if (!DELIVERY_ID.test(deliveryId)) throw new WebhookDeliveryNotFoundError(deliveryId);
    const now = this.now().toISOString();
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: deliveryId },
          UpdateExpression: 'SET #status = :pending, nextRetryAt = :now, updatedAt = :now',
          ConditionExpression: 'attribute_exists(id) AND endpointId = :endpoint AND userId = :user',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':now': now, ':endpoint': endpointId, ':user': userId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return deliveryFromItem(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new WebhookDeliveryNotFoundError(deliveryId);
      throw error;
    }
  }

  // ---- Worker side: by id ----

  /** The endpoint, read consistently, whoever owns it; undefined when there is none. */
  async getEndpointById(endpointId: string): Promise<WebhookEndpoint | undefined> {
    if (!ENDPOINT_ID.test(endpointId)) return undefined;
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id: endpointId }, ConsistentRead: true }));
    return Item ? endpointFromItem(Item) : undefined;
  }

  /** Every endpoint of the user, enabled or not, oldest first: the fan-out picks the ones to deliver to. */
  listEndpointsFor(userId: string): Promise<WebhookEndpoint[]> {
    return this.listEndpoints(userId);
  }

  /**
   * Writes the pending delivery of `eventId` to `endpoint`, once: its id is
   * derived from the two, and the put is conditional on it being new, so a
   * repeated fan-out of the same event (a message received twice, a crash
   * between endpoints) returns the existing delivery with `created: false`.
   */
  async createDelivery(input: CreateDeliveryInput): Promise<{ created: boolean; delivery: WebhookDelivery }> {
    const now = this.now();
    const delivery: WebhookDelivery = {
      id: deliveryIdOf(input.endpoint.id, input.eventId),
      endpointId: input.endpoint.id,
      userId: input.endpoint.userId,
      eventId: input.eventId,
      eventType: input.eventType,
      jobId: input.jobId,
      status: 'pending',
      attemptCount: 0,
      attempts: [],
      payload: input.payload,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_RETENTION_DAYS * 86_400,
    };
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.options.table, Item: { ...delivery }, ConditionExpression: 'attribute_not_exists(id)' }),
      );
      return { created: true, delivery };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getDeliveryById(delivery.id);
      if (!existing) throw error;
      return { created: false, delivery: existing };
    }
  }

  /** The delivery, read consistently; undefined when there is none (or TTL removed it). */
  async getDeliveryById(deliveryId: string): Promise<WebhookDelivery | undefined> {
    if (!DELIVERY_ID.test(deliveryId)) return undefined;
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id: deliveryId }, ConsistentRead: true }));
    return Item ? deliveryFromItem(Item) : undefined;
  }

  /**
   * Appends `attempt` (keeping the last DELIVERY_ATTEMPTS_KEPT), counts it,
   * and sets the status and the next retry (removed when undefined).
   * Conditional on the count read, so two lanes recording at once both land
   * (the loser reads again). Throws WebhookDeliveryNotFoundError.
   */
  async recordAttempt(
    deliveryId: string,
    attempt: DeliveryAttempt,
    outcome: { status: DeliveryStatus; nextRetryAt?: string | undefined },
  ): Promise<WebhookDelivery> {
    for (let round = 0; round < CONCURRENCY_RETRIES; round += 1) {
      const current = await this.getDeliveryById(deliveryId);
      if (!current) throw new WebhookDeliveryNotFoundError(deliveryId);
      const attempts = [...current.attempts, { ...attempt }].slice(-DELIVERY_ATTEMPTS_KEPT);
      const retry = outcome.nextRetryAt !== undefined;
      try {
        const { Attributes } = await this.doc.send(
          new UpdateCommand({
            TableName: this.options.table,
            Key: { id: deliveryId },
            UpdateExpression: `SET attempts = :attempts, attemptCount = :count, #status = :status, updatedAt = :now${
              retry ? ', nextRetryAt = :retry' : ' REMOVE nextRetryAt'
            }`,
            ConditionExpression: 'attribute_exists(id) AND attemptCount = :read',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':attempts': attempts,
              ':count': current.attemptCount + 1,
              ':read': current.attemptCount,
              ':status': outcome.status,
              ':now': this.now().toISOString(),
              ...(retry ? { ':retry': outcome.nextRetryAt } : {}),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return deliveryFromItem(Attributes ?? {});
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        await conflictBackoff(round);
      }
    }
    throw new DomainError('webhook_delivery_conflict', `Could not record the attempt of ${deliveryId} because of concurrent changes.`);
  }

  /**
   * Marks the start of a run of failures (failingSince = `at`, unless a run
   * is already going) and returns the endpoint as written, for the caller to
   * decide whether the run has lasted too long; undefined when it is gone.
   * Not a change of the user's: updatedAt stays.
   */
  async recordEndpointFailure(endpointId: string, at: string): Promise<WebhookEndpoint | undefined> {
    if (!ENDPOINT_ID.test(endpointId)) return undefined;
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: endpointId },
          UpdateExpression: 'SET failingSince = if_not_exists(failingSince, :at)',
          ConditionExpression: 'attribute_exists(id)',
          ExpressionAttributeValues: { ':at': at },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return endpointFromItem(Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Ends the run of failures (removes failingSince); nothing when the endpoint is gone. */
  async recordEndpointSuccess(endpointId: string): Promise<void> {
    if (!ENDPOINT_ID.test(endpointId)) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: endpointId },
          UpdateExpression: 'REMOVE failingSince',
          ConditionExpression: 'attribute_exists(id) AND attribute_exists(failingSince)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Disables an enabled endpoint, conditional on it being enabled: of any
   * number of lanes that find it failing too long at once, exactly one gets
   * true (and emails the owner). False when it is disabled already or gone.
   */
  async disableEndpoint(endpointId: string, reason: string, at: string): Promise<boolean> {
    if (!ENDPOINT_ID.test(endpointId)) return false;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: endpointId },
          UpdateExpression: 'SET #status = :disabled, disabledAt = :at, disabledReason = :reason, updatedAt = :at',
          ConditionExpression: 'attribute_exists(id) AND #status = :enabled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':enabled': 'enabled', ':at': at, ':reason': reason },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** `whsec_` and 32 random bytes, base64url. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** A short random pause before retrying a write that collided with another, so the two do not collide again. */
function conflictBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
}

/** The endpoint as an item: the owner under `ownerId`, the key of `byOwner`. */
function toItem(endpoint: WebhookEndpoint): Record<string, unknown> {
  const { userId, ...rest } = endpoint;
  return { ...rest, ownerId: userId };
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

function endpointFromItem(item: Record<string, unknown>): WebhookEndpoint {
  const optional = {
    description: optionalString(item.description),
    disabledAt: optionalString(item.disabledAt),
    disabledReason: optionalString(item.disabledReason),
    previousSecret: optionalString(item.previousSecret),
    previousSecretExpiresAt: optionalString(item.previousSecretExpiresAt),
    failingSince: optionalString(item.failingSince),
  };
  return {
    id: item.id as string,
    userId: item.ownerId as string,
    url: item.url as string,
    events: (item.events as WebhookEventType[] | undefined) ?? [],
    status: item.status === 'disabled' ? 'disabled' : 'enabled',
    secret: item.secret as string,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

function deliveryFromItem(item: Record<string, unknown>): WebhookDelivery {
  return {
    id: item.id as string,
    endpointId: item.endpointId as string,
    userId: item.userId as string,
    eventId: item.eventId as string,
    eventType: item.eventType as WebhookEventType,
    jobId: item.jobId as string,
    status: item.status as DeliveryStatus,
    attemptCount: typeof item.attemptCount === 'number' ? item.attemptCount : 0,
    attempts: (item.attempts as DeliveryAttempt[] | undefined) ?? [],
    ...(typeof item.nextRetryAt === 'string' ? { nextRetryAt: item.nextRetryAt } : {}),
    payload: item.payload as string,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    expiresAt: item.expiresAt as number,
  };
}
