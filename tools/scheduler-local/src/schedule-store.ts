import { ConflictException, ResourceNotFoundException, ValidationException } from './errors';
import { DEFAULT_GROUP, groupArn, scheduleArn, type ArnContext, type GroupRecord, type ScheduleRecord } from './schedule-model';
import type { ScheduleRequest } from './validation';

export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | undefined;
}

export interface ListSchedulesFilter {
  readonly groupName?: string | undefined;
  readonly namePrefix?: string | undefined;
  readonly state?: 'ENABLED' | 'DISABLED' | undefined;
  readonly nextToken?: string | undefined;
  readonly maxResults?: number | undefined;
}

/** AWS answers at most 100 items a page; the SDK's paginators ask for less. */
const MAX_PAGE_SIZE = 100;

/**
 * Schedule groups and schedules, in memory, with the existence rules of
 * EventBridge Scheduler: names are unique per group, a schedule's group must
 * exist, the `default` group always exists and cannot be deleted, deleting a
 * group deletes its schedules. Lists are ordered by group, then name, and
 * paged with an opaque NextToken.
 */
export class ScheduleStore {
  private readonly groups = new Map<string, GroupRecord>();
  private readonly schedules = new Map<string, ScheduleRecord>();
  private nextIncarnation = 1;

  constructor(
    private readonly arns: ArnContext,
    startedAt: Date,
  ) {
    this.groups.set(DEFAULT_GROUP, {
      name: DEFAULT_GROUP,
      arn: groupArn(arns, DEFAULT_GROUP),
      creationDate: startedAt,
      lastModificationDate: startedAt,
      clientToken: undefined,
      tags: [],
    });
  }

  createGroup(name: string, clientToken: string | undefined, tags: GroupRecord['tags'], now: Date): GroupRecord {
    const existing = this.groups.get(name);
    if (existing) {
      // A retry of the same request (the SDK reuses its ClientToken) gets the same answer.
      if (clientToken !== undefined && existing.clientToken === clientToken) return existing;
      throw new ConflictException(`Schedule group ${name} already exists.`);
    }
    const group: GroupRecord = { name, arn: groupArn(this.arns, name), creationDate: now, lastModificationDate: now, clientToken, tags };
    this.groups.set(name, group);
    return group;
  }

  getGroup(name: string): GroupRecord {
    const group = this.groups.get(name);
    if (!group) throw new ResourceNotFoundException(`Schedule group ${name} does not exist.`);
    return group;
  }

  /** Deletes the group and its schedules; returns the schedules deleted with it. */
  deleteGroup(name: string): ScheduleRecord[] {
    if (name === DEFAULT_GROUP) throw new ValidationException('The default schedule group cannot be deleted.');
    this.getGroup(name);
    const removed = [...this.schedules.values()].filter((schedule) => schedule.groupName === name);
    for (const schedule of removed) this.schedules.delete(key(schedule.groupName, schedule.name));
    this.groups.delete(name);
    return removed;
  }

  listGroups(filter: {
    namePrefix?: string | undefined;
    nextToken?: string | undefined;
    maxResults?: number | undefined;
  }): Page<GroupRecord> {
    const groups = [...this.groups.values()]
      .filter((group) => filter.namePrefix === undefined || group.name.startsWith(filter.namePrefix))
      .sort((a, b) => compare(a.name, b.name));
    return page(groups, (group) => group.name, filter.nextToken, filter.maxResults);
  }

  /**
   * Adds a schedule. A schedule of that name already in the group is a
   * ConflictException, unless it was created by this same request (same
   * ClientToken): then it is returned with `created: false`.
   */
  createSchedule(request: ScheduleRequest, now: Date): { record: ScheduleRecord; created: boolean } {
    this.getGroup(request.groupName);
    const existing = this.schedules.get(key(request.groupName, request.name));
    if (existing) {
      if (request.clientToken !== undefined && existing.clientToken === request.clientToken) return { record: existing, created: false };
      throw new ConflictException(`Schedule ${request.name} already exists.`);
    }
    const record: ScheduleRecord = {
      incarnation: this.nextIncarnation++,
      name: request.name,
      groupName: request.groupName,
      arn: scheduleArn(this.arns, request.groupName, request.name),
      creationDate: now,
      clientToken: request.clientToken,
      definition: request.definition,
      lastModificationDate: now,
      evaluatedUntilMs: now.getTime(),
      anchorMs: (request.definition.startDate ?? now).getTime(),
    };
    this.schedules.set(key(record.groupName, record.name), record);
    return { record, created: true };
  }

  getSchedule(name: string, groupName: string): ScheduleRecord {
    this.getGroup(groupName);
    const record = this.schedules.get(key(groupName, name));
    if (!record) throw new ResourceNotFoundException(`Schedule ${name} does not exist.`);
    return record;
  }

  deleteSchedule(name: string, groupName: string): ScheduleRecord {
    const record = this.getSchedule(name, groupName);
    this.schedules.delete(key(groupName, name));
    return record;
  }

  /** Removes a schedule that completed (ActionAfterCompletion DELETE), if it is still that incarnation. */
  removeCompleted(record: ScheduleRecord): void {
    if (this.schedules.get(key(record.groupName, record.name)) === record) this.schedules.delete(key(record.groupName, record.name));
  }

  /**
   * Schedules matching the filter. A group that does not exist simply has no
   * schedules here (a reconciler listing it gets an empty page).
   */
  listSchedules(filter: ListSchedulesFilter): Page<ScheduleRecord> {
    const schedules = [...this.schedules.values()]
      .filter(
        (schedule) =>
          (filter.groupName === undefined || schedule.groupName === filter.groupName) &&
          (filter.namePrefix === undefined || schedule.name.startsWith(filter.namePrefix)) &&
          (filter.state === undefined || schedule.definition.state === filter.state),
      )
      .sort((a, b) => compare(key(a.groupName, a.name), key(b.groupName, b.name)));
    return page(schedules, (schedule) => key(schedule.groupName, schedule.name), filter.nextToken, filter.maxResults);
  }

  all(): ScheduleRecord[] {
    return [...this.schedules.values()];
  }
}

// `/` cannot occur in names, so it separates group and name unambiguously.
function key(groupName: string, name: string): string {
  return `${groupName}/${name}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pages a sorted list; the token is the sort key of the last item handed out. */
function page<T>(sorted: T[], sortKey: (item: T) => string, nextToken: string | undefined, maxResults: number | undefined): Page<T> {
  const size = maxResults ?? MAX_PAGE_SIZE;
  let start = 0;
  if (nextToken !== undefined) {
    const after = decodeToken(nextToken);
    start = sorted.findIndex((item) => sortKey(item) > after);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + size);
  const last = items.at(-1);
  const more = start + size < sorted.length;
  return { items, nextToken: more && last !== undefined ? encodeToken(sortKey(last)) : undefined };
}

function encodeToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // answered below
  }
  throw new ValidationException('Invalid NextToken.');
}
