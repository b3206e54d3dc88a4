import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isUuid } from '@memberships/core/contract';
import type { ScheduleStore } from '@memberships/core/dynamodb';
import type { ExportScheduler } from './export-scheduler';

/** The part of a pino logger the reconciler uses. */
export interface ReconcileLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ReconcileSchedulesOptions {
  readonly store: ScheduleStore;
  readonly scheduler: ExportScheduler;
  /** Client and name of the schedules table, to find records whose Scheduler schedule is missing. */
  readonly dynamodb: DynamoDBClient;
  readonly table: string;
  readonly log: ReconcileLogger;
  /** Report what would change, change nothing. Default false. */
  readonly dryRun?: boolean;
}

export interface ReconcileFailure {
  readonly scheduleId: string;
  readonly action: 'delete' | 'create' | 'update' | 'check';
  readonly message: string;
}

export interface ReconcileReport {
  /** Scheduler schedules of the group looked at. */
  readonly checked: number;
  /** Schedule ids whose Scheduler schedule had no record and was deleted (orphans). */
  readonly deleted: string[];
  /** Records whose Scheduler schedule was missing and was created. */
  readonly created: string[];
  /** Records whose Scheduler schedule differed (expression, zone, state, target...) and was brought in line. */
  readonly updated: string[];
  /** What could not be repaired this time (the next run tries again). */
  readonly failed: ReconcileFailure[];
  readonly dryRun: boolean;
}

/**
 * Brings EventBridge Scheduler in line with the schedule records, which are
 * the source of truth:
 * 1. every `export-*` schedule of the group without a record is deleted (an
 *    orphan: a crash between the API's two writes, or a failed compensation);
 *    one whose definition differs from its record's is updated;
 * 2. every record without a Scheduler schedule gets one.
 * Orphans are harmless meanwhile (the worker skips ticks of a missing
 * schedule), so this can run now and then (scripts/reconcile-schedules.ts).
 * It races benignly with the API: a schedule deleted by a request while this
 * runs may be re-created from its record a moment before the record goes,
 * and is removed by the next run.
 */
export async function reconcileSchedules(options: ReconcileSchedulesOptions): Promise<ReconcileReport> {
  const { store, scheduler, log } = options;
  const dryRun = options.dryRun ?? false;
  const report: { -readonly [K in keyof ReconcileReport]: ReconcileReport[K] } = {
    checked: 0,
    deleted: [],
    created: [],
    updated: [],
    failed: [],
    dryRun,
  };
  const seen = new Set<string>();

  for await (const entry of scheduler.list()) {
    report.checked += 1;
    const id = entry.scheduleId ?? entry.name;
    try {
      const record = entry.scheduleId ? await store.get(entry.scheduleId) : undefined;
      if (!record) {
        if (!dryRun) await scheduler.delete(id);
        report.deleted.push(id);
        log.warn({ scheduleId: id, dryRun }, 'orphan Scheduler schedule deleted: it has no record');
        continue;
      }
      seen.add(record.id);
      const actual = await scheduler.get(record.id);
      if (actual && scheduler.matches(record, actual)) continue;
      if (!dryRun) await scheduler.update(record);
      (actual ? report.updated : report.created).push(record.id);
      log.warn(
        { scheduleId: record.id, dryRun },
        actual ? 'Scheduler schedule differed from its record: updated' : 'Scheduler schedule was missing: created',
      );
    } catch (error) {
      report.failed.push({ scheduleId: id, action: 'check', message: (error as Error).message });
      log.error({ err: error, scheduleId: id }, 'could not reconcile a Scheduler schedule');
    }
  }

  for await (const id of recordIds(options.dynamodb, options.table)) {
    if (seen.has(id)) continue;
    try {
      // Read again, consistently: it may have been deleted since the scan, or created after the listing above.
      const record = await store.get(id);
      if (!record) continue;
      if (await scheduler.get(id)) continue;
      if (!dryRun) await scheduler.create(record);
      report.created.push(id);
      log.warn({ scheduleId: id, dryRun }, 'Scheduler schedule was missing: created');
    } catch (error) {
      report.failed.push({ scheduleId: id, action: 'create', message: (error as Error).message });
      log.error({ err: error, scheduleId: id }, 'could not create the Scheduler schedule of a record');
    }
  }

  log.info(
    {
      checked: report.checked,
      deleted: report.deleted.length,
      created: report.created.length,
      updated: report.updated.length,
      failed: report.failed.length,
      dryRun,
    },
    'export schedules reconciled',
  );
  return report;
}

/** The ids of every schedule record (the table also holds per-user count items, which are skipped). */
async function* recordIds(client: DynamoDBClient, table: string): AsyncGenerator<string> {
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: '#id',
        ExpressionAttributeNames: { '#id': 'id' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const id = item.id?.S;
      if (id && isUuid(id)) yield id;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
