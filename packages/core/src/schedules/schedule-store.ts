import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../errors';
import { DEFAULT_EXPORT_OPTIONS, type ExportOptions } from '../exports/export-options';
import { isUuid } from '../messages';
import {
  applyScheduleChanges,
  DEFAULT_SCHEDULES_PER_USER,
  validateScheduleTiming,
  type ExportSchedule,
  type ScheduleChanges,
  type ScheduleTiming,
} from './schedule';

export interface ScheduleStoreOptions {
  readonly client: DynamoDBClient;
  /** Physical name of the `exportSchedules` table. */
  readonly table: string;
  /** Most schedules one user may have. Default DEFAULT_SCHEDULES_PER_USER (5). */
  readonly limitPerUser?: number;
  /** Injectable clock (tests). */
  readonly now?: () => Date;
}

export interface CreateScheduleInput extends Partial<ScheduleTiming> {
  readonly userId: string;
  /** Complete options of the exports it starts (parseExportOptions); default DEFAULT_EXPORT_OPTIONS. */
  readonly options?: ExportOptions | undefined;
}

export interface UpdateScheduleInput {
  readonly id: string;
  /** Only this user's schedule is changed; another user's is "not found". */
  readonly userId: string;
  /** The `version` the caller read; a concurrent change in between makes the update fail. */
  readonly expectedVersion: number;
  readonly changes: ScheduleChanges;
}

/** The user already has as many schedules as allowed. */
export class ScheduleLimitReachedError extends DomainError {
  constructor(readonly limit: number) {
    super('schedule_limit_reached', `A user can have at most ${limit} export schedules; delete one to create another.`);
  }
}

/** No schedule with that id for that user (another user's schedule is reported the same way). */
export class ScheduleNotFoundError extends DomainError {
  constructor(id: string) {
    super('schedule_not_found', `Export schedule ${id} does not exist.`);
  }
}

/** The schedule changed since the caller read it (its `version` moved on): read it again and retry. */
export class ScheduleVersionConflictError extends DomainError {
  constructor(
    id: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      'schedule_version_conflict',
      `Export schedule ${id} is at version ${currentVersion}, not ${expectedVersion}; it was changed meanwhile.`,
    );
  }
}

/** Item holding a user's schedule count; its id cannot collide with a schedule's UUID. */
const countKey = (userId: string) => `count#${userId}`;
const CONCURRENCY_RETRIES = 5;

/**
 * DynamoDB store of export schedules (the `exportSchedules` table).
 *
 * The per-user limit is exact: every create and delete changes the user's
 * count item (`count#<userId>`) in the same transaction as the schedule, and
 * a create's count update is conditional on the count being under the limit.
 * (Counting through the `byUser` index alone would let concurrent creates all
 * see room, since index reads are eventually consistent.)
 *
 * Changes are optimistic: `update` applies only when the record is still at
 * the version the caller read, so the API never overwrites a change it did
 * not see when it told the Scheduler what to do.
 */
export class ScheduleStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => Date;
  readonly limitPerUser: number;

  constructor(private readonly options: ScheduleStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.now = options.now ?? (() => new Date());
    this.limitPerUser = options.limitPerUser ?? DEFAULT_SCHEDULES_PER_USER;
  }

  /**
   * Creates an active schedule (defaults for the timing left out). Throws
   * InvalidScheduleError for a bad timing, ScheduleLimitReachedError when the
   * user already has `limitPerUser` schedules.
   */
  async create(input: CreateScheduleInput): Promise<ExportSchedule> {
    const timing = validateScheduleTiming(input);
    const now = this.now().toISOString();
    const schedule: ExportSchedule = {
      id: randomUUID(),
      userId: input.userId,
      ...timing,
      state: 'active',
      createdAt: now,
      updatedAt: now,
      version: 1,
      options: input.options ?? DEFAULT_EXPORT_OPTIONS,
    };
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt += 1) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.options.table,
                  Item: { ...schedule },
                  ConditionExpression: 'attribute_not_exists(id)',
                },
              },
              {
                Update: {
                  TableName: this.options.table,
                  Key: { id: countKey(input.userId) },
                  UpdateExpression: 'SET scheduleCount = if_not_exists(scheduleCount, :zero) + :one',
                  ConditionExpression: 'attribute_not_exists(scheduleCount) OR scheduleCount < :limit',
                  ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': this.limitPerUser },
                },
              },
            ],
          }),
        );
        return schedule;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [, countReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (countReason === 'ConditionalCheckFailed') throw new ScheduleLimitReachedError(this.limitPerUser);
        // Another create or delete of the same user changed the count at the same moment: try again.
        if ((error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')) {
          await conflictBackoff(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new DomainError('schedule_create_conflict', 'Could not create the export schedule because of concurrent changes; retry.');
  }

  /** The schedule, read consistently; undefined when there is none (or `id` is not a schedule id). */
  async get(id: string): Promise<ExportSchedule | undefined> {
    // Schedule ids are UUIDs; anything else (such as a count item's id) is not a schedule.
    if (!isUuid(id)) return undefined;
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { id }, ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /** The schedule if it belongs to `userId`; another user's schedule is indistinguishable from a missing one. */
  async getForUser(id: string, userId: string): Promise<ExportSchedule | undefined> {
    const schedule = await this.get(id);
    return schedule && schedule.userId === userId ? schedule : undefined;
  }

  /**
   * The user's schedules, oldest first (at most `limitPerUser`, so one page).
   * Read through the `byUser` index, which is eventually consistent: a
   * schedule created a moment ago may be missing for that moment.
   */
  async listForUser(userId: string): Promise<ExportSchedule[]> {
    const schedules: ExportSchedule[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.table,
          IndexName: 'byUser',
          KeyConditionExpression: 'userId = :userId',
          ExpressionAttributeValues: { ':userId': userId },
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
        }),
      );
      schedules.push(...(page.Items ?? []).map(fromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return schedules;
  }

  /**
   * Applies `changes` (timing, and/or `state` to pause or resume) when the
   * schedule is the user's and still at `expectedVersion`; returns the new
   * record (version + 1). Throws ScheduleNotFoundError,
   * ScheduleVersionConflictError or InvalidScheduleError.
   */
  async update(input: UpdateScheduleInput): Promise<ExportSchedule> {
    const current = await this.getForUser(input.id, input.userId);
    if (!current) throw new ScheduleNotFoundError(input.id);
    if (current.version !== input.expectedVersion) {
      throw new ScheduleVersionConflictError(input.id, input.expectedVersion, current.version);
    }
    const next = applyScheduleChanges(current, input.changes, this.now());
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id: input.id },
          // Every name aliased: several (such as timeZone) are DynamoDB reserved words.
          UpdateExpression:
            'SET #day = :day, #time = :time, #zone = :zone, #state = :state, #options = :options, #updatedAt = :now, #version = :next',
          ConditionExpression: 'attribute_exists(#id) AND #userId = :userId AND #version = :expected',
          ExpressionAttributeNames: {
            '#id': 'id',
            '#userId': 'userId',
            '#day': 'dayOfMonth',
            '#time': 'timeOfDay',
            '#zone': 'timeZone',
            '#state': 'state',
            '#options': 'options',
            '#updatedAt': 'updatedAt',
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':day': next.dayOfMonth,
            ':time': next.timeOfDay,
            ':zone': next.timeZone,
            ':state': next.state,
            ':options': next.options ?? DEFAULT_EXPORT_OPTIONS,
            ':now': next.updatedAt,
            ':next': next.version,
            ':userId': input.userId,
            ':expected': input.expectedVersion,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Changed or deleted between the read and the write.
      const now = await this.getForUser(input.id, input.userId);
      if (!now) throw new ScheduleNotFoundError(input.id);
      throw new ScheduleVersionConflictError(input.id, input.expectedVersion, now.version);
    }
    // lastFiredAt may have moved on meanwhile (it does not change the version); the rest is what was written.
    return next;
  }

  /**
   * Deletes the user's schedule and frees its place in the user's limit.
   * Returns false when there is no such schedule for that user.
   */
  async delete(id: string, userId: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    for (let attempt = 0; attempt < CONCURRENCY_RETRIES; attempt += 1) {
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.options.table,
                  Key: { id },
                  ConditionExpression: 'attribute_exists(id) AND userId = :userId',
                  ExpressionAttributeValues: { ':userId': userId },
                },
              },
              {
                Update: {
                  TableName: this.options.table,
                  Key: { id: countKey(userId) },
                  UpdateExpression: 'SET scheduleCount = scheduleCount - :one',
                  ConditionExpression: 'scheduleCount > :zero',
                  ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [scheduleReason, countReason] = (error.CancellationReasons ?? []).map((reason) => reason.Code);
        if (scheduleReason === 'ConditionalCheckFailed') return false;
        if (countReason === 'ConditionalCheckFailed') {
          // The count is missing or zero while a schedule exists: it cannot go lower; delete the schedule alone.
          return this.deleteWithoutCount(id, userId);
        }
        if ((error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')) {
          await conflictBackoff(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new DomainError('schedule_delete_conflict', 'Could not delete the export schedule because of concurrent changes; retry.');
  }

  /**
   * Records that the export of the tick at `scheduledTime` succeeded. Only
   * moves forward (a late duplicate of an older tick changes nothing) and
   * does not change `version` or `updatedAt`: it is not a change the user
   * made, and must not make the API's concurrent update fail. Returns false
   * when the schedule is gone or already marked for this or a later tick.
   */
  async markFired(id: string, scheduledTime: string | Date): Promise<boolean> {
    const time = new Date(scheduledTime).toISOString();
    if (!isUuid(id)) return false;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.table,
          Key: { id },
          UpdateExpression: 'SET lastFiredAt = :time',
          ConditionExpression: 'attribute_exists(id) AND (attribute_not_exists(lastFiredAt) OR lastFiredAt < :time)',
          ExpressionAttributeValues: { ':time': time },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async deleteWithoutCount(id: string, userId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.options.table,
          Key: { id },
          ConditionExpression: 'attribute_exists(id) AND userId = :userId',
          ExpressionAttributeValues: { ':userId': userId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/** A short random pause before retrying a transaction that collided with another, so the two do not collide again. */
function conflictBackoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
}

function fromItem(item: Record<string, unknown>): ExportSchedule {
  return {
    id: item.id as string,
    userId: item.userId as string,
    dayOfMonth: item.dayOfMonth as number,
    timeOfDay: item.timeOfDay as string,
    timeZone: item.timeZone as string,
    state: item.state === 'paused' ? 'paused' : 'active',
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    ...(typeof item.lastFiredAt === 'string' ? { lastFiredAt: item.lastFiredAt } : {}),
    version: typeof item.version === 'number' ? item.version : 1,
    ...(typeof item.options === 'object' && item.options !== null ? { options: item.options as ExportOptions } : {}),
  };
}
