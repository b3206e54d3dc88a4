import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../errors';
import { DEFAULT_EXPORT_OPTIONS, type ExportOptions } from '../exports/export-options';
import { buckets, IDEMPOTENCY_KEY_RETENTION_HOURS, JOB_RETENTION_DAYS } from '../resources';
import {
  DOWNLOAD_RECORDS_KEPT,
  expiryHourOf,
  exportOptionsOf,
  isFinal,
  JOB_ID_PATTERN,
  type DownloadRecord,
  type EmailAttempt,
  type ExportDelivery,
  type ExportFileFacts,
  type ExportJob,
  type JobTrigger,
} from './job';
import { exportOptionsFingerprint } from './idempotency-key';
import { decodeIndexCursor, encodeIndexCursor } from '../index-cursor';

/** The ids a cursor of the byUser index may name. */
const JOB_ID = new RegExp(JOB_ID_PATTERN);

export interface JobStoreOptions {
  readonly client: DynamoDBClient;
  readonly jobsTable: string;
  readonly guardsTable: string;
  /** Injectable clock (tests). */
  readonly now?: () => Date;
}

export interface CreateJobInput {
  readonly userId: string;
  readonly trigger: JobTrigger;
  /** Client-chosen key; the same key from the same user with the same options returns the same job. */
  readonly idempotencyKey?: string | undefined;
  /** Complete options of the export (parseExportOptions); default DEFAULT_EXPORT_OPTIONS. Stored on the job. */
  readonly options?: ExportOptions | undefined;
  /** Fixed id (scheduled exports derive it from schedule + time, so a duplicate tick creates nothing). */
  readonly jobId?: string | undefined;
  readonly scheduleId?: string | undefined;
  readonly scheduledAt?: string | undefined;
  /**
   * Neither checks nor takes the user's active-export guard (scheduled
   * exports): a schedule tick must not be swallowed by the user's on-demand
   * export in progress, nor block the next one. Such a job relies on its
   * fixed `jobId` for uniqueness.
   */
  readonly skipActiveGuard?: boolean | undefined;
}

export interface CreateJobResult {
  readonly job: ExportJob;
  /** false when an existing job was returned (active export, idempotent retry, duplicate id). */
  readonly created: boolean;
  readonly reason?: 'active_export' | 'idempotent_replay' | 'duplicate_id';
}

/** Who holds a running job, until when, and on which message's attempt. */
export interface JobLease {
  readonly owner: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The SQS message id whose handling took the lease (absent on leases taken before it was recorded). */
  readonly attemptId?: string | undefined;
}

export type ClaimResult =
  | { readonly claimed: true; readonly job: ExportJob }
  | { readonly claimed: false; readonly reason: 'not_found' | 'finished'; readonly job?: ExportJob }
  | { readonly claimed: false; readonly reason: 'leased'; readonly job: ExportJob; readonly lease: JobLease };

export interface JobPage {
  readonly jobs: ExportJob[];
  /** Opaque cursor for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

export interface ExpiringPage {
  readonly jobs: ExportJob[];
  /** The last job id of this page, while more jobs of the hour follow; absent on the last page. */
  readonly nextAfterId?: string;
}

/** Lost the lease (another worker took over, or the job was finished elsewhere). */
export class LeaseLostError extends DomainError {
  constructor(jobId: string, code = 'lease_lost', message = `Job ${jobId} is no longer held by this worker.`) {
    super(code, message);
  }
}

/**
 * The Idempotency-Key was used before with other options: answering with the
 * export the first request created would hand back a file the client did not
 * ask for, and creating another would make the key mean two things.
 */
export class IdempotencyKeyReusedError extends DomainError {
  constructor(readonly jobId: string) {
    super('idempotency_key_reused', 'This Idempotency-Key was used with other options; use a new key for other options.');
  }
}

/** The job was canceled (POST /v1/exports/{id}/cancel) while this worker ran it: stop, send nothing, do not retry. */
export class JobCanceledError extends LeaseLostError {
  constructor(jobId: string) {
    super(jobId, 'job_canceled', `Job ${jobId} was canceled.`);
  }
}

export type CancelResult =
  | { readonly outcome: 'canceled'; readonly job: ExportJob; readonly was: 'queued' | 'running' }
  | { readonly outcome: 'final'; readonly job: ExportJob }
  | { readonly outcome: 'not_found' };

const activeKey = (userId: string) => `active#${userId}`;
const idempotencyGuardKey = (userId: string, key: string) => `idem#${userId}#${key}`;

/**
 * DynamoDB store of export jobs. Every state change is a conditional write:
 * a duplicate or late SQS delivery can neither move a finished job back nor
 * run one export twice at the same time (a running job is held by a lease
 * that only its owner renews; a crashed owner's lease runs out).
 */
export class JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly now: () => Date;

  constructor(private readonly options: JobStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.now = options.now ?? (() => new Date());
  }

  async get(jobId: string): Promise<ExportJob | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.jobsTable, Key: { id: jobId }, ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /** The job if it belongs to `userId`; another user's job is indistinguishable from a missing one. */
  async getForUser(jobId: string, userId: string): Promise<ExportJob | undefined> {
    const job = await this.get(jobId);
    return job && job.userId === userId ? job : undefined;
  }

  /**
   * Creates a queued job, unless the user already has one queued or running
   * (then that job is returned), the idempotency key was seen (the job it
   * created is returned), or the fixed job id exists (that job is returned).
   * The job, the active-export guard and the idempotency guard are written in
   * one transaction, so two concurrent requests cannot both create a job.
   * With `skipActiveGuard` the active export is neither checked nor taken.
   * A known idempotency key with other options throws IdempotencyKeyReusedError.
   */
  async create(input: CreateJobInput): Promise<CreateJobResult> {
    const fingerprint = exportOptionsFingerprint(input.options ?? DEFAULT_EXPORT_OPTIONS);
    if (input.idempotencyKey) {
      const replay = await this.replayOf(idempotencyGuardKey(input.userId, input.idempotencyKey), fingerprint);
      if (replay) return { job: replay, created: false, reason: 'idempotent_replay' };
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const job = this.newJob(input);
      const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [
        { Put: { TableName: this.options.jobsTable, Item: toItem(job), ConditionExpression: 'attribute_not_exists(id)' } },
      ];
      if (!input.skipActiveGuard) {
        items.push({
          Put: {
            TableName: this.options.guardsTable,
            Item: { key: activeKey(input.userId), jobId: job.id, expiresAt: job.expiresAt },
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': 'key' },
          },
        });
      }
      if (input.idempotencyKey) {
        items.push({
          Put: {
            TableName: this.options.guardsTable,
            Item: {
              key: idempotencyGuardKey(input.userId, input.idempotencyKey),
              jobId: job.id,
              optionsFingerprint: fingerprint,
              expiresAt: Math.floor(this.now().getTime() / 1000) + IDEMPOTENCY_KEY_RETENTION_HOURS * 3600,
            },
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': 'key' },
          },
        });
      }
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return { job, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        // Reasons come in the order of `items`; without the active guard, the idempotency guard moves up.
        const reasons = (error.CancellationReasons ?? []).map((r) => r.Code);
        const jobReason = reasons[0];
        const activeReason = input.skipActiveGuard ? undefined : reasons[1];
        const idemReason = input.idempotencyKey ? reasons[input.skipActiveGuard ? 1 : 2] : undefined;
        if (jobReason === 'ConditionalCheckFailed') {
          const existing = await this.get(job.id);
          if (existing) return { job: existing, created: false, reason: 'duplicate_id' };
        }
        if (idemReason === 'ConditionalCheckFailed' && input.idempotencyKey) {
          const replay = await this.replayOf(idempotencyGuardKey(input.userId, input.idempotencyKey), fingerprint);
          if (replay) return { job: replay, created: false, reason: 'idempotent_replay' };
        }
        if (activeReason === 'ConditionalCheckFailed') {
          const guard = activeKey(input.userId);
          const active = await this.jobFromGuard(guard);
          if (active && !isFinal(active.state)) return { job: active, created: false, reason: 'active_export' };
          // The guard outlived its job (finished without clearing it, or expired): drop it and try again.
          await this.clearGuard(guard, active?.id);
          continue;
        }
        if (reasons.includes('TransactionConflict')) continue;
        throw error;
      }
    }
    throw new DomainError('job_create_conflict', 'Could not create the export job because of concurrent requests; retry.');
  }

  async listForUser(userId: string, options: { limit: number; cursor?: string | undefined }): Promise<JobPage> {
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.options.jobsTable,
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :userId',
        ExpressionAttributeValues: { ':userId': userId },
        ScanIndexForward: false,
        Limit: options.limit,
        ExclusiveStartKey: options.cursor
          ? decodeIndexCursor(options.cursor, { ownerField: 'userId', owner: userId, id: JOB_ID })
          : undefined,
      }),
    );
    const jobs = (result.Items ?? []).map(fromItem);
    return result.LastEvaluatedKey ? { jobs, nextCursor: encodeIndexCursor(result.LastEvaluatedKey) } : { jobs };
  }

  /**
   * One page of the jobs whose file expires in the UTC hour `hour`
   * (expiryHourOf; the sparse `byExpiryHour` index, in id order), starting
   * after the job id `afterId`. `nextAfterId` is there while more follow: the
   * expiry sweep records it, so a sweep cut short resumes where it stopped.
   * The index is eventually consistent, which costs nothing here: a job is
   * filed under an hour days before that hour is read.
   */
  async listExpiringIn(hour: string, page: { afterId?: string | undefined; limit?: number } = {}): Promise<ExpiringPage> {
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.options.jobsTable,
        IndexName: 'byExpiryHour',
        KeyConditionExpression: 'expiryHour = :hour',
        ExpressionAttributeValues: { ':hour': hour },
        ...(page.limit ? { Limit: page.limit } : {}),
        // The index's key and the table's (id is both).
        ExclusiveStartKey: page.afterId ? { expiryHour: hour, id: page.afterId } : undefined,
      }),
    );
    const jobs = (result.Items ?? []).map(fromItem);
    const next = result.LastEvaluatedKey?.id;
    return typeof next === 'string' ? { jobs, nextAfterId: next } : { jobs };
  }

  /**
   * Takes the job for `owner` until `leaseMs` from now: from queued, or from
   * running when the previous owner's lease has run out (that worker died).
   * `attemptId` (the SQS message id) is recorded with the lease, so a later
   * delivery of the same message can tell that the live lease it finds is
   * its own earlier attempt's (which failed without releasing it) rather than
   * another copy's; a lost claim returns the lease it ran into.
   */
  async claim(jobId: string, owner: string, leaseMs: number, attemptId?: string): Promise<ClaimResult> {
    const now = this.now();
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.jobsTable,
          Key: { id: jobId },
          UpdateExpression:
            'SET #state = :running, leaseOwner = :owner, leaseExpiresAt = :lease, leaseAttempt = :attempt, updatedAt = :now, ' +
            'startedAt = if_not_exists(startedAt, :now) ADD attempts :one',
          ConditionExpression: 'attribute_exists(id) AND (#state = :queued OR (#state = :running AND leaseExpiresAt < :nowMs))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':queued': 'queued',
            ':owner': owner,
            ':lease': now.getTime() + leaseMs,
            ':attempt': attemptId ?? '-',
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, job: fromItem(Attributes!) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.jobsTable, Key: { id: jobId }, ConsistentRead: true }));
      if (!Item) return { claimed: false, reason: 'not_found' };
      const job = fromItem(Item);
      if (isFinal(job.state)) return { claimed: false, reason: 'finished', job };
      const lease: JobLease = {
        owner: typeof Item.leaseOwner === 'string' ? Item.leaseOwner : '',
        // A queued job that failed the condition was claimed in between: treat it as just leased.
        expiresAt: typeof Item.leaseExpiresAt === 'number' ? Item.leaseExpiresAt : now.getTime() + leaseMs,
        attemptId: typeof Item.leaseAttempt === 'string' && Item.leaseAttempt !== '-' ? Item.leaseAttempt : undefined,
      };
      return { claimed: false, reason: 'leased', job, lease };
    }
  }

  /**
   * Records the state of the export email on a job this worker holds
   * (`sending` before SendEmail, then what came of it). Throws
   * LeaseLostError when the job is no longer ours: then nothing is sent.
   * With `renewLeaseMs` the same write renews the lease (the confirmation
   * before the email, without a request of its own).
   */
  async recordEmailAttempt(jobId: string, owner: string, attempt: EmailAttempt, renewLeaseMs?: number): Promise<void> {
    const now = this.now();
    await this.ownedUpdate(
      jobId,
      owner,
      `SET emailAttempt = :attempt, updatedAt = :now${renewLeaseMs === undefined ? '' : ', leaseExpiresAt = :lease'}`,
      {
        ':attempt': attempt,
        ':now': now.toISOString(),
        ...(renewLeaseMs === undefined ? {} : { ':lease': now.getTime() + renewLeaseMs }),
      },
    );
  }

  /**
   * Renews the lease; throws LeaseLostError when the job is no longer ours.
   * Progress is recordProgress()'s alone: a heartbeat carrying rows too could
   * land after a newer progress write and move the count back.
   */
  async heartbeat(jobId: string, owner: string, leaseMs: number): Promise<void> {
    const now = this.now();
    await this.ownedUpdate(jobId, owner, 'SET leaseExpiresAt = :lease, updatedAt = :now', {
      ':lease': now.getTime() + leaseMs,
      ':now': now.toISOString(),
    });
  }

  /**
   * Marks the job succeeded (only while `owner` holds it); `emailAttempt`
   * records the email's final state with it. `fileRetentionDays` is the
   * worker's FILE_RETENTION_DAYS: the same write files the job under the hour
   * its file expires (`expiryHour`, the `byExpiryHour` index), where the
   * expiry sweep finds it to emit `export.expired`.
   */
  async complete(
    jobId: string,
    owner: string,
    file: ExportFileFacts,
    delivery: ExportDelivery,
    emailAttempt?: EmailAttempt,
    fileRetentionDays: number = buckets.exportFiles.expireAfterDays,
  ): Promise<void> {
    const finishedAt = this.now();
    const now = finishedAt.toISOString();
    const written = await this.ownedUpdate(
      jobId,
      owner,
      'SET #state = :succeeded, #file = :file, delivery = :delivery, rowsExported = :rows, rowsTotal = :rows, ' +
        `finishedAt = :now, updatedAt = :now, expiryHour = :expiryHour${emailAttempt ? ', emailAttempt = :attempt' : ''} ` +
        'REMOVE leaseOwner, leaseExpiresAt, leaseAttempt',
      {
        ':succeeded': 'succeeded',
        ':file': file,
        ':delivery': delivery,
        ':rows': file.rows,
        ':now': now,
        // As fileExpiresAt reads it: the finish time plus the retention.
        ':expiryHour': expiryHourOf(new Date(finishedAt.getTime() + fileRetentionDays * 86_400_000)),
        ...(emailAttempt ? { ':attempt': emailAttempt } : {}),
      },
      { '#file': 'file' },
      'ALL_NEW',
    );
    await this.clearActiveGuard(jobId, written.Attributes);
  }

  /**
   * Marks the job failed. With `owner`, only while that worker holds it;
   * without, from any state but a final one (a message the worker cannot
   * process at all). Returns false when the job was already final or missing.
   */
  async fail(jobId: string, error: { code: string; message: string }, owner?: string): Promise<boolean> {
    const now = this.now().toISOString();
    const written = await this.updateJobIf({
      Key: { id: jobId },
      UpdateExpression:
        'SET #state = :failed, #error = :error, finishedAt = :now, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt, leaseAttempt',
      ConditionExpression: owner ? '#state = :running AND leaseOwner = :owner' : 'attribute_exists(id) AND #state IN (:queued, :running)',
      ExpressionAttributeNames: { '#state': 'state', '#error': 'error' },
      ExpressionAttributeValues: {
        ':failed': 'failed',
        ':error': { code: error.code, message: error.message },
        ':now': now,
        ':running': 'running',
        ...(owner ? { ':owner': owner } : { ':queued': 'queued' }),
      },
      ReturnValues: 'ALL_NEW',
    });
    if (!written) return false;
    await this.clearActiveGuard(jobId, written.Attributes);
    return true;
  }

  /**
   * Claims the right to send a never-started job's message again: true for
   * one caller when the job is still queued with no attempt and was created,
   * and last re-sent, before `staleBefore`. The job's message was then most
   * likely never sent (the sender died between creating the job and sending
   * it); a duplicate is harmless because `claim` is conditional. Spacing the
   * re-sends keeps a slow queue from filling with copies.
   */
  async markRequeued(jobId: string, staleBefore: Date): Promise<boolean> {
    return (
      (await this.updateJobIf({
        Key: { id: jobId },
        UpdateExpression: 'SET requeuedAt = :now',
        ConditionExpression:
          '#state = :queued AND attempts = :zero AND createdAt <= :stale AND ' +
          '(attribute_not_exists(requeuedAt) OR requeuedAt <= :stale)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':now': this.now().toISOString(),
          ':queued': 'queued',
          ':zero': 0,
          ':stale': staleBefore.toISOString(),
        },
      })) !== undefined
    );
  }

  /**
   * Gives the job back (worker shutting down, or a retry after a passing
   * failure): running → queued. `emailAttempt`, when given, is recorded in
   * the same write (what became of a send this attempt made).
   */
  async release(jobId: string, owner: string, emailAttempt?: EmailAttempt): Promise<void> {
    await this.ownedUpdate(
      jobId,
      owner,
      `SET #state = :queued, updatedAt = :now${emailAttempt ? ', emailAttempt = :attempt' : ''} ` +
        'REMOVE leaseOwner, leaseExpiresAt, leaseAttempt',
      { ':queued': 'queued', ':now': this.now().toISOString(), ...(emailAttempt ? { ':attempt': emailAttempt } : {}) },
    );
  }

  /**
   * Cancels the job of `userId` if it is queued or running, in one
   * conditional write: it is `canceled` at once and the user's active-export
   * guard is freed, so they can export again. A running job loses its lease
   * in the same write: its worker's next renewal or cancel check fails and
   * stops the export, and its completion (conditional on `running`) can no
   * longer apply. Another user's job is `not_found`, like a missing one; a
   * final job is returned unchanged as `final`.
   */
  async cancel(jobId: string, userId: string): Promise<CancelResult> {
    const now = this.now().toISOString();
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.jobsTable,
          Key: { id: jobId },
          UpdateExpression:
            'SET #state = :canceled, canceledFrom = #state, finishedAt = :now, updatedAt = :now REMOVE leaseOwner, leaseExpiresAt, leaseAttempt',
          ConditionExpression: 'attribute_exists(id) AND userId = :user AND #state IN (:queued, :running)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':canceled': 'canceled', ':now': now, ':user': userId, ':queued': 'queued', ':running': 'running' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const job = fromItem(Attributes!);
      await this.clearGuard(activeKey(userId), jobId);
      return { outcome: 'canceled', job, was: job.canceledFrom === 'running' ? 'running' : 'queued' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const job = await this.getForUser(jobId, userId);
      if (!job) return { outcome: 'not_found' };
      // Neither queued nor running (the condition failed on the state): final.
      return { outcome: 'final', job };
    }
  }

  /** Whether the job has been canceled (a running export's worker checks this often, so it stops within seconds). */
  async isCanceled(jobId: string): Promise<boolean> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.options.jobsTable,
        Key: { id: jobId },
        ConsistentRead: true,
        ProjectionExpression: '#state',
        ExpressionAttributeNames: { '#state': 'state' },
      }),
    );
    return Item?.state === 'canceled';
  }

  /**
   * A conditional update of a job item: its output, or undefined when the
   * condition did not hold (the one answer every caller here expects).
   */
  private async updateJobIf(input: Omit<UpdateCommandInput, 'TableName'>): Promise<UpdateCommandOutput | undefined> {
    try {
      return await this.doc.send(new UpdateCommand({ TableName: this.options.jobsTable, ...input }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async ownedUpdate(
    jobId: string,
    owner: string,
    updateExpression: string,
    values: Record<string, unknown>,
    names: Record<string, string> = {},
    returnValues?: 'ALL_NEW',
  ): Promise<UpdateCommandOutput> {
    const written = await this.updateJobIf({
      Key: { id: jobId },
      UpdateExpression: updateExpression,
      ConditionExpression: '#state = :isRunning AND leaseOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state', ...names },
      ExpressionAttributeValues: { ...values, ':isRunning': 'running', ':owner': owner },
      ...(returnValues ? { ReturnValues: returnValues } : {}),
    });
    if (!written) throw new LeaseLostError(jobId);
    return written;
  }

  private newJob(input: CreateJobInput): ExportJob {
    const now = this.now();
    return {
      id: input.jobId ?? randomUUID(),
      userId: input.userId,
      state: 'queued',
      trigger: input.trigger,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      attempts: 0,
      progress: { rowsExported: 0, rowsTotal: null },
      options: input.options ?? DEFAULT_EXPORT_OPTIONS,
      scheduleId: input.scheduleId,
      scheduledAt: input.scheduledAt,
      expiresAt: Math.floor(now.getTime() / 1000) + JOB_RETENTION_DAYS * 86400,
    };
  }

  private async jobFromGuard(key: string): Promise<ExportJob | undefined> {
    return (await this.guardedJob(key))?.job;
  }

  private async guardedJob(key: string): Promise<{ job: ExportJob; fingerprint?: string } | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.guardsTable, Key: { key }, ConsistentRead: true }));
    const job = typeof Item?.jobId === 'string' ? await this.get(Item.jobId) : undefined;
    if (!job) return undefined;
    return { job, ...(typeof Item?.optionsFingerprint === 'string' ? { fingerprint: Item.optionsFingerprint } : {}) };
  }

  /**
   * The job an idempotency key created, when `fingerprint` is that request's;
   * IdempotencyKeyReusedError when not. A guard written before options
   * existed has no fingerprint: its job's options (the defaults) stand in.
   */
  private async replayOf(key: string, fingerprint: string): Promise<ExportJob | undefined> {
    const guarded = await this.guardedJob(key);
    if (!guarded) return undefined;
    const first = guarded.fingerprint ?? exportOptionsFingerprint(exportOptionsOf(guarded.job));
    if (first !== fingerprint) throw new IdempotencyKeyReusedError(guarded.job.id);
    return guarded.job;
  }

  /**
   * Releases the user's active-export guard if it still names `jobId`. The
   * final write that calls this returns the item (`written`), so the owner is
   * known without reading the job again: one GetItem less per export.
   */
  private async clearActiveGuard(jobId: string, written?: Record<string, unknown>): Promise<void> {
    const userId = typeof written?.userId === 'string' ? written.userId : (await this.get(jobId))?.userId;
    if (userId !== undefined) await this.clearGuard(activeKey(userId), jobId);
  }

  /** Deletes a guard only if it still points at `jobId` (or at nothing known). */
  private async clearGuard(key: string, jobId: string | undefined): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.options.guardsTable,
          Key: { key },
          ...(jobId ? { ConditionExpression: 'jobId = :jobId', ExpressionAttributeValues: { ':jobId': jobId } } : {}),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Records how far a running export has got, between heartbeats (the worker
   * writes it about once a second while rows stream, so a poller sees the
   * count move). Applies only while the job runs under the lease `lease`
   * names (its owner and the claim that took it, counted by `attempts`), and
   * never moves `rowsExported` backwards: a late or reordered write cannot
   * undo a newer one, and a stale worker cannot touch a job claimed again.
   * Returns false when it did not apply; that is no error (progress is
   * advisory; the heartbeat is what notices a lost lease).
   */
  async recordProgress(
    jobId: string,
    lease: { readonly owner: string; readonly attempt: number },
    progress: { readonly rowsExported: number; readonly rowsTotal: number | null },
  ): Promise<boolean> {
    const total = progress.rowsTotal === null ? {} : { ':total': progress.rowsTotal };
    return (
      (await this.updateJobIf({
        Key: { id: jobId },
        UpdateExpression: `SET rowsExported = :rows, updatedAt = :now${progress.rowsTotal === null ? '' : ', rowsTotal = :total'}`,
        ConditionExpression:
          '#state = :running AND leaseOwner = :owner AND attempts = :attempt AND ' +
          '(attribute_not_exists(rowsExported) OR rowsExported < :rows)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':rows': progress.rowsExported,
          ':now': this.now().toISOString(),
          ':running': 'running',
          ':owner': lease.owner,
          ':attempt': lease.attempt,
          ...total,
        },
      })) !== undefined
    );
  }

  /**
   * Counts a download of a succeeded job and keeps its record: the count and
   * the last time are exact, the records the latest DOWNLOAD_RECORDS_KEPT (the
   * oldest are trimmed in a second, conditional write, so concurrent
   * downloads never lose a count). The records live on the job item, so they
   * expire with it. Returns false when the job is not (or no longer) succeeded.
   */
  async recordDownload(jobId: string, record: DownloadRecord): Promise<boolean> {
    const appended = await this.updateJobIf({
      Key: { id: jobId },
      UpdateExpression:
        'SET downloads = list_append(if_not_exists(downloads, :none), :record), lastDownloadedAt = :at ADD downloadCount :one',
      ConditionExpression: '#state = :succeeded',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':none': [], ':record': [record], ':at': record.at, ':one': 1, ':succeeded': 'succeeded' },
      ReturnValues: 'UPDATED_NEW',
    });
    if (!appended) return false;
    const length = Array.isArray(appended.Attributes?.downloads) ? appended.Attributes.downloads.length : 0;
    const excess = length - DOWNLOAD_RECORDS_KEPT;
    if (excess > 0) {
      // Refused when another download changed the list first; the next one trims it.
      await this.updateJobIf({
        Key: { id: jobId },
        UpdateExpression: `REMOVE ${Array.from({ length: excess }, (_, index) => `downloads[${index}]`).join(', ')}`,
        // Only the list this write saw: a concurrent download's trim must not remove records twice.
        ConditionExpression: 'size(downloads) = :length',
        ExpressionAttributeValues: { ':length': length },
      });
    }
    return true;
  }

  /**
   * Revokes the emailed links of the user's job: every link issued before
   * now stops working (a new email's link would work again). Returns false
   * for a job that is not the user's.
   */
  async revokeLinks(jobId: string, userId: string): Promise<boolean> {
    return (
      (await this.updateJobIf({
        Key: { id: jobId },
        UpdateExpression: 'SET linksRevokedAt = :now',
        ConditionExpression: 'userId = :user',
        ExpressionAttributeValues: { ':now': this.now().toISOString(), ':user': userId },
      })) !== undefined
    );
  }

  /**
   * Takes the right to send the failure notice of a failed job (the worker's
   * failure-notice.ts): sets `failureNotice` only where it is absent and the
   * job is `failed`, so exactly one caller wins however often the job's
   * message is delivered. Returns the job as written, or undefined when the
   * notice was taken already or the job is not failed (or is gone). Taken
   * before sending: a notice is sent at most once.
   */
  async claimFailureNotice(jobId: string, notice: { readonly at: string; readonly by: string }): Promise<ExportJob | undefined> {
    const written = await this.updateJobIf({
      Key: { id: jobId },
      UpdateExpression: 'SET failureNotice = :notice',
      ConditionExpression: '#state = :failed AND attribute_not_exists(failureNotice)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':notice': { at: notice.at, by: notice.by }, ':failed': 'failed' },
      ReturnValues: 'ALL_NEW',
    });
    return written?.Attributes ? fromItem(written.Attributes) : undefined;
  }
}

function toItem(job: ExportJob): Record<string, unknown> {
  const { progress, ...rest } = job;
  return { ...rest, rowsExported: progress.rowsExported, rowsTotal: progress.rowsTotal };
}

function fromItem(item: Record<string, unknown>): ExportJob {
  const { rowsExported, rowsTotal, leaseOwner: _owner, leaseExpiresAt: _lease, leaseAttempt: _attempt, ...rest } = item;
  return {
    ...(rest as Omit<ExportJob, 'progress'>),
    attempts: typeof rest.attempts === 'number' ? rest.attempts : 0,
    progress: {
      rowsExported: typeof rowsExported === 'number' ? rowsExported : 0,
      rowsTotal: typeof rowsTotal === 'number' ? rowsTotal : null,
    },
  };
}
