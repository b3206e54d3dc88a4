import type { Clock } from './clock';
import { faultError, type FaultInjector } from './faults';
import type { FiringEngine } from './firing-engine';
import type { Logger } from './logger';
import type { GroupRecord, ScheduleRecord } from './schedule-model';
import type { ListSchedulesFilter, Page, ScheduleStore } from './schedule-store';
import type { FaultOperation, Firing } from './types';
import type { ScheduleRequest } from './validation';

/**
 * The Scheduler operations, independent of HTTP: each consumes an injected
 * fault first, brings the firings up to the clock's "now" (so a change never
 * swallows an occurrence that was already due under the old definition), then
 * changes the store and tells the engine.
 */
export class SchedulerService {
  constructor(
    private readonly store: ScheduleStore,
    private readonly engine: FiringEngine,
    private readonly clock: Clock,
    private readonly faults: FaultInjector,
    private readonly logger: Logger,
    private readonly maxFiringsPerClockMove: number,
  ) {}

  createScheduleGroup(name: string, clientToken: string | undefined, tags: GroupRecord['tags']): GroupRecord {
    return this.guarded('CreateScheduleGroup', () => this.store.createGroup(name, clientToken, tags, this.clock.now()));
  }

  getScheduleGroup(name: string): GroupRecord {
    return this.guarded('GetScheduleGroup', () => this.store.getGroup(name));
  }

  deleteScheduleGroup(name: string): void {
    this.guarded('DeleteScheduleGroup', () => {
      this.catchUp();
      for (const schedule of this.store.deleteGroup(name)) this.engine.cancel(schedule.incarnation, `schedule group ${name} was deleted`);
      this.logger.info({ group: name }, 'schedule group deleted');
    });
  }

  listScheduleGroups(filter: {
    namePrefix?: string | undefined;
    nextToken?: string | undefined;
    maxResults?: number | undefined;
  }): Page<GroupRecord> {
    return this.guarded('ListScheduleGroups', () => this.store.listGroups(filter));
  }

  createSchedule(request: ScheduleRequest): ScheduleRecord {
    return this.guarded('CreateSchedule', () => {
      this.catchUp();
      const { record, created } = this.store.createSchedule(request, this.clock.now());
      if (created)
        this.logger.info(
          { schedule: record.arn, expression: record.definition.expression.text, timeZone: record.definition.timeZone },
          'schedule created',
        );
      return record;
    });
  }

  getSchedule(name: string, groupName: string): ScheduleRecord {
    return this.guarded('GetSchedule', () => this.store.getSchedule(name, groupName));
  }

  /**
   * Replaces the whole definition. The schedule fires per the new definition
   * from now on: occurrences already due stay with the old one, and none
   * missed while DISABLED is fired on re-enabling.
   */
  updateSchedule(request: ScheduleRequest): ScheduleRecord {
    return this.guarded('UpdateSchedule', () => {
      this.catchUp();
      const record = this.store.getSchedule(request.name, request.groupName);
      const now = this.clock.now();
      if (request.definition.state === 'DISABLED') this.engine.cancel(record.incarnation, 'schedule was disabled');
      record.definition = request.definition;
      record.lastModificationDate = now;
      record.evaluatedUntilMs = Math.max(record.evaluatedUntilMs, now.getTime());
      record.anchorMs = (request.definition.startDate ?? now).getTime();
      this.logger.info(
        { schedule: record.arn, expression: request.definition.expression.text, state: request.definition.state },
        'schedule updated',
      );
      return record;
    });
  }

  deleteSchedule(name: string, groupName: string): void {
    this.guarded('DeleteSchedule', () => {
      this.catchUp();
      const record = this.store.deleteSchedule(name, groupName);
      this.engine.cancel(record.incarnation, 'schedule was deleted');
      this.logger.info({ schedule: record.arn }, 'schedule deleted');
    });
  }

  listSchedules(filter: ListSchedulesFilter): Page<ScheduleRecord> {
    return this.guarded('ListSchedules', () => this.store.listSchedules(filter));
  }

  /**
   * Sets the clock (forwards or backwards; it becomes manual) and delivers
   * everything due up to it. Resolves with the firings that became final.
   * A move that would fire more than maxFiringsPerClockMove events is refused
   * with TooManyFiringsError and changes nothing.
   */
  async setTime(instant: Date): Promise<Firing[]> {
    this.engine.collect(instant.getTime(), this.maxFiringsPerClockMove);
    this.clock.set(instant);
    return this.engine.deliverDue();
  }

  /** Fires what is due at the clock's current time (the real clock's timer calls this). */
  tick(): Promise<Firing[]> {
    this.catchUp();
    return this.engine.deliverDue();
  }

  private catchUp(): void {
    this.engine.collect(this.clock.nowMs());
  }

  /** Runs an operation under an injected fault: `before` fails it untouched, `after` lets it take effect first. */
  private guarded<T>(operation: FaultOperation, run: () => T): T {
    const fault = this.faults.take(operation);
    if (fault?.when === 'before') {
      this.logger.info({ operation, errorType: fault.errorType }, 'injected fault');
      throw faultError(fault);
    }
    const result = run();
    if (fault) {
      this.logger.info({ operation, errorType: fault.errorType }, 'injected fault after the operation took effect');
      throw faultError(fault);
    }
    return result;
  }
}
