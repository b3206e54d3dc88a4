/**
 * The AWS resources the platform uses, defined once. The services receive the
 * concrete names through their configuration; the local platform and the
 * Terraform app create the resources from these same definitions, so code and
 * infrastructure cannot drift apart.
 */

export interface TableIndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

export interface TableDefinition {
  /** Logical name; the physical name is `${prefix}-${logicalName}`. */
  readonly logicalName: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Every attribute used as a key of the table or of an index, with its DynamoDB type. */
  readonly attributes: Readonly<Record<string, 'S' | 'N'>>;
  readonly globalIndexes: readonly TableIndexDefinition[];
  /** Attribute holding the expiry time in epoch seconds (DynamoDB TTL). */
  readonly ttlAttribute?: string;
}

export const tables = {
  /**
   * Export jobs, one item per job; `byUser` lists a user's jobs newest first.
   * `byExpiryHour` is sparse: only a succeeded job has `expiryHour` (the UTC
   * hour its file expires, written by JobStore.complete), so the worker's
   * expiry sweep reads one hour's expiring files as one partition. At 10
   * million exports a month the busiest hour (files of the 1st) holds about
   * 100,000 items, far below a partition's limits.
   */
  exportJobs: {
    logicalName: 'export-jobs',
    partitionKey: 'id',
    attributes: { id: 'S', userId: 'S', createdAt: 'S', expiryHour: 'S' },
    globalIndexes: [
      { name: 'byUser', partitionKey: 'userId', sortKey: 'createdAt' },
      { name: 'byExpiryHour', partitionKey: 'expiryHour', sortKey: 'id' },
    ],
    ttlAttribute: 'expiresAt',
  },
  /**
   * Small guard items that make job creation safe: `active#<userId>` points at
   * the user's queued/running export, `idem#<userId>#<key>` at the job an
   * Idempotency-Key created. Written in the same transaction as the job.
   */
  exportGuards: {
    logicalName: 'export-guards',
    partitionKey: 'key',
    attributes: { key: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
  /** Users (`id` = user id) and their unique-email claims (`id` = `email#<address>`). */
  users: {
    logicalName: 'users',
    partitionKey: 'id',
    attributes: { id: 'S' },
    globalIndexes: [],
  },
  /**
   * Refresh tokens and their families (auth/refresh-token-store.ts): `token#<sha256>`
   * holds a token by its hash only, `family#<id>` the login it descends from, revoked
   * as a whole on logout or when a rotated token is presented again. TTL removes
   * both once their last token has expired.
   */
  refreshTokens: {
    logicalName: 'refresh-tokens',
    partitionKey: 'id',
    attributes: { id: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
  /**
   * Login attempt counters (auth/login-throttle.ts), one fixed window each:
   * `account#<sha256 of the email>` and `address#<client address>`. TTL removes
   * them when their window has passed.
   */
  loginAttempts: {
    logicalName: 'login-attempts',
    partitionKey: 'id',
    attributes: { id: 'S' },
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
  /**
   * Monthly export subscriptions (schedules/schedule-store.ts), one item per
   * schedule (`id` = schedule id); `byUser` lists a user's schedules oldest
   * first. `id` = `count#<userId>` holds the user's schedule count, written in
   * the same transaction as each create and delete so the per-user limit
   * holds under concurrent requests; it has no `createdAt`, so `byUser` does
   * not index it. No TTL: a schedule lives until its user deletes it.
   */
  exportSchedules: {
    logicalName: 'export-schedules',
    partitionKey: 'id',
    attributes: { id: 'S', userId: 'S', createdAt: 'S' },
    globalIndexes: [{ name: 'byUser', partitionKey: 'userId', sortKey: 'createdAt' }],
  },
  /**
   * Webhook endpoints and their deliveries (webhooks/webhook-store.ts):
   * `id` = `we_…` an endpoint (with `ownerId`, so `byOwner` lists a user's
   * endpoints oldest first), `count#<userId>` the user's endpoint count
   * (written in the same transaction as each create and delete, as for
   * schedules), `wd_…` a delivery (with `endpointId`, so `byEndpoint` lists an
   * endpoint's deliveries newest first). TTL removes deliveries after
   * DELIVERY_RETENTION_DAYS; endpoints live until deleted.
   */
  webhooks: {
    logicalName: 'webhooks',
    partitionKey: 'id',
    attributes: { id: 'S', ownerId: 'S', endpointId: 'S', createdAt: 'S' },
    globalIndexes: [
      { name: 'byOwner', partitionKey: 'ownerId', sortKey: 'createdAt' },
      { name: 'byEndpoint', partitionKey: 'endpointId', sortKey: 'createdAt' },
    ],
    ttlAttribute: 'expiresAt',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof tables;

export const queues = {
  exportRequests: {
    logicalName: 'export-requests',
    /** Seconds a received message stays invisible; the worker extends it while an export runs. */
    visibilityTimeoutSeconds: 60,
    /**
     * Attempts at an export (the worker's MAX_ATTEMPTS): on this receive a failure that may pass
     * becomes final, and the worker marks the job failed and moves the message to the
     * dead-letter queue itself, with the reason.
     */
    maxAttempts: 5,
    /**
     * Receives before SQS's redrive policy moves a message to the dead-letter queue on its own
     * (without a reason). Three above maxAttempts: a worker that died, or could not write to
     * DynamoDB, during the last attempt gets the message again and still fails the job, so no
     * job is left `running` without a message.
     */
    maxReceiveCount: 8,
    messageRetentionSeconds: 4 * 24 * 3600,
  },
  exportRequestsDeadLetter: {
    logicalName: 'export-requests-dlq',
    messageRetentionSeconds: 14 * 24 * 3600,
  },
  /**
   * Completion events and webhook deliveries (webhooks/webhook.ts messages),
   * consumed by the worker's webhook lanes, apart from the exports so a slow
   * receiver never holds an export. A failed delivery stays on the queue,
   * hidden for its backoff (ChangeMessageVisibility, at most 12 hours per
   * receive), and is retried for the retry window (24 hours): the redrive
   * count is above the attempts that window holds at the backoff's cap.
   */
  webhookEvents: {
    logicalName: 'webhook-events',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 100,
    messageRetentionSeconds: 4 * 24 * 3600,
  },
  webhookEventsDeadLetter: {
    logicalName: 'webhook-events-dlq',
    messageRetentionSeconds: 14 * 24 * 3600,
  },
} as const;

/**
 * The platform's EventBridge bus: every completion event is put on it
 * (source EVENT_SOURCE, detail-type the event type, detail the event), for
 * operators to route to targets of their own. An archive keeps them.
 */
export const eventBus = {
  logicalName: 'events',
  archiveRetentionDays: 30,
} as const;

export const buckets = {
  exportFiles: {
    logicalName: 'export-files',
    /** Days after which the lifecycle rule deletes an export file. */
    expireAfterDays: 7,
  },
} as const;

/** How long a job record lives before DynamoDB's TTL removes it. */
export const JOB_RETENTION_DAYS = 30;
/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 24;
/** Default lifetime of a refresh token (each rotation issues a new one for this long). */
export const REFRESH_TOKEN_TTL_DAYS = 30;

export interface ResourceNames {
  readonly tables: Readonly<Record<TableKey, string>>;
  readonly queues: {
    readonly exportRequests: string;
    readonly exportRequestsDeadLetter: string;
    readonly webhookEvents: string;
    readonly webhookEventsDeadLetter: string;
  };
  /** The EventBridge bus of completion events. */
  readonly eventBus: string;
  readonly buckets: { readonly exportFiles: string };
  /** EventBridge Scheduler schedule group of the export subscriptions. */
  readonly scheduleGroup: string;
  /**
   * EventBridge Scheduler schedule group of the platform's own recurring work
   * (the expiry sweep): apart from the subscriptions' group, whose schedules
   * the API manages and the reconciler deletes when they have no record.
   */
  readonly maintenanceScheduleGroup: string;
}

/**
 * Logical name of the EventBridge Scheduler schedule group that holds one
 * schedule per export subscription; the physical name is `${prefix}-exports`.
 */
export const EXPORT_SCHEDULE_GROUP_LOGICAL = 'exports';

/** Logical name of the schedule group of the platform's own schedules; physical `${prefix}-maintenance`. */
export const MAINTENANCE_SCHEDULE_GROUP_LOGICAL = 'maintenance';

/**
 * The expiry sweep's schedule (in the maintenance group): every hour it puts
 * an `expiry.sweep` message on the webhook queue, and the worker emits
 * `export.expired` for the files that expired in the hours since the last
 * sweep (services/worker/src/expiry-sweep.ts).
 */
export const EXPIRY_SWEEP_SCHEDULE = {
  name: 'expiry-sweep',
  expression: 'rate(1 hour)',
} as const;

/** Physical names for one deployment (`prefix` is e.g. `memberships-production`). */
export function resourceNames(prefix: string): ResourceNames {
  const name = (logical: string): string => `${prefix}-${logical}`;
  return {
    // Every table definition gets its name, so a new definition needs no change here.
    tables: Object.fromEntries((Object.keys(tables) as TableKey[]).map((key) => [key, name(tables[key].logicalName)])) as Record<
      TableKey,
      string
    >,
    queues: {
      exportRequests: name(queues.exportRequests.logicalName),
      exportRequestsDeadLetter: name(queues.exportRequestsDeadLetter.logicalName),
      webhookEvents: name(queues.webhookEvents.logicalName),
      webhookEventsDeadLetter: name(queues.webhookEventsDeadLetter.logicalName),
    },
    eventBus: name(eventBus.logicalName),
    buckets: { exportFiles: name(buckets.exportFiles.logicalName) },
    scheduleGroup: name(EXPORT_SCHEDULE_GROUP_LOGICAL),
    maintenanceScheduleGroup: name(MAINTENANCE_SCHEDULE_GROUP_LOGICAL),
  };
}
