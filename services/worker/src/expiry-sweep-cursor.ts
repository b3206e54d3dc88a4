import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Where the expiry sweep (expiry-sweep.ts) has got to: one item in the
 * webhooks table, `id` = `cursor#expiry-sweep`. It has no owner, endpoint or
 * TTL attribute, so neither index lists it and it never expires.
 *
 * Every write is conditional on the revision the writer read: of two sweeps
 * running at once (a duplicate message, a redelivery while the first still
 * runs) only one moves the cursor; the other sees `false` and stops.
 */

export const EXPIRY_SWEEP_CURSOR_ID = 'cursor#expiry-sweep';

export interface SweepPosition {
  /** The first hour (expiryHourOf) not completely swept. */
  readonly nextHour: string;
  /** Within nextHour: the last job id whose page was sent (the sweep resumes after it). */
  readonly afterId?: string | undefined;
}

export interface SweepCursor extends SweepPosition {
  /** Counts the writes; the condition of the next one. */
  readonly revision: number;
}

export class ExpirySweepCursor {
  constructor(private readonly options: { readonly client: DynamoDBClient; readonly table: string; readonly now?: () => Date }) {}

  /** The cursor, or undefined before the first sweep. */
  async read(): Promise<SweepCursor | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.table, Key: { id: { S: EXPIRY_SWEEP_CURSOR_ID } }, ConsistentRead: true }),
    );
    const nextHour = Item?.nextHour?.S;
    const revision = Number(Item?.revision?.N);
    if (nextHour === undefined || !Number.isInteger(revision)) return undefined;
    const afterId = Item?.afterId?.S;
    return { nextHour, revision, ...(afterId !== undefined ? { afterId } : {}) };
  }

  /**
   * Moves the cursor to `position` if it is still at `seen` (undefined: if
   * there is none yet). Returns the cursor written, or undefined when another
   * sweep moved it first.
   */
  async advance(seen: SweepCursor | undefined, position: SweepPosition): Promise<SweepCursor | undefined> {
    const revision = (seen?.revision ?? 0) + 1;
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.table,
          Item: {
            id: { S: EXPIRY_SWEEP_CURSOR_ID },
            nextHour: { S: position.nextHour },
            ...(position.afterId ? { afterId: { S: position.afterId } } : {}),
            revision: { N: String(revision) },
            updatedAt: { S: (this.options.now?.() ?? new Date()).toISOString() },
          },
          ...(seen
            ? { ConditionExpression: 'revision = :seen', ExpressionAttributeValues: { ':seen': { N: String(seen.revision) } } }
            : { ConditionExpression: 'attribute_not_exists(id)' }),
        }),
      );
      return { nextHour: position.nextHour, revision, ...(position.afterId ? { afterId: position.afterId } : {}) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
