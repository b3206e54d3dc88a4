import type { Route } from './http-server';
import type { GroupRecord, ScheduleRecord } from './schedule-model';
import type { SchedulerService } from './scheduler-service';
import { checkClientToken, checkName, parseScheduleRequest, RequestChecker } from './validation';
import { DEFAULT_GROUP } from './schedule-model';

/**
 * The EventBridge Scheduler REST-JSON operations (paths, query parameters and
 * members as in the AWS API model that @aws-sdk/client-scheduler is generated
 * from). Timestamps go out as epoch seconds, the restJson1 default.
 */
export function schedulerApiRoutes(service: SchedulerService): Route[] {
  return [
    {
      method: 'POST',
      path: /^\/schedule-groups\/([^/]+)$/,
      operation: 'CreateScheduleGroup',
      handle: ({ params, body }) => {
        const checker = new RequestChecker();
        const name = checkName(checker, params[0], 'name');
        const clientToken = checkClientToken(checker, body.ClientToken);
        const tags = parseTags(checker, body.Tags);
        checker.done();
        return { body: { ScheduleGroupArn: service.createScheduleGroup(name!, clientToken, tags).arn } };
      },
    },
    {
      method: 'GET',
      path: /^\/schedule-groups\/([^/]+)$/,
      operation: 'GetScheduleGroup',
      handle: ({ params }) => {
        const checker = new RequestChecker();
        const name = checkName(checker, params[0], 'name');
        checker.done();
        return { body: groupOutput(service.getScheduleGroup(name!)) };
      },
    },
    {
      method: 'DELETE',
      path: /^\/schedule-groups\/([^/]+)$/,
      operation: 'DeleteScheduleGroup',
      handle: ({ params, query }) => {
        const checker = new RequestChecker();
        const name = checkName(checker, params[0], 'name');
        checkClientToken(checker, query.get('clientToken') ?? undefined);
        checker.done();
        service.deleteScheduleGroup(name!);
        return { body: {} };
      },
    },
    {
      method: 'GET',
      path: /^\/schedule-groups$/,
      operation: 'ListScheduleGroups',
      handle: ({ query }) => {
        const checker = new RequestChecker();
        const namePrefix = checkName(checker, query.get('NamePrefix') ?? undefined, 'namePrefix', false);
        const nextToken = checker.string(query.get('NextToken') ?? undefined, 'nextToken', { min: 1, max: 2048 });
        const maxResults = parseMaxResults(checker, query.get('MaxResults'));
        checker.done();
        const page = service.listScheduleGroups({ namePrefix, nextToken, maxResults });
        return { body: { ScheduleGroups: page.items.map(groupOutput), ...(page.nextToken ? { NextToken: page.nextToken } : {}) } };
      },
    },
    {
      method: 'POST',
      path: /^\/schedules\/([^/]+)$/,
      operation: 'CreateSchedule',
      handle: ({ params, body }) => ({ body: { ScheduleArn: service.createSchedule(parseScheduleRequest(params[0] ?? '', body)).arn } }),
    },
    {
      method: 'PUT',
      path: /^\/schedules\/([^/]+)$/,
      operation: 'UpdateSchedule',
      handle: ({ params, body }) => ({ body: { ScheduleArn: service.updateSchedule(parseScheduleRequest(params[0] ?? '', body)).arn } }),
    },
    {
      method: 'GET',
      path: /^\/schedules\/([^/]+)$/,
      operation: 'GetSchedule',
      handle: ({ params, query }) => {
        const checker = new RequestChecker();
        const name = checkName(checker, params[0], 'name');
        const groupName = checkName(checker, query.get('groupName') ?? undefined, 'groupName', false) ?? DEFAULT_GROUP;
        checker.done();
        return { body: scheduleOutput(service.getSchedule(name!, groupName)) };
      },
    },
    {
      method: 'DELETE',
      path: /^\/schedules\/([^/]+)$/,
      operation: 'DeleteSchedule',
      handle: ({ params, query }) => {
        const checker = new RequestChecker();
        const name = checkName(checker, params[0], 'name');
        const groupName = checkName(checker, query.get('groupName') ?? undefined, 'groupName', false) ?? DEFAULT_GROUP;
        checkClientToken(checker, query.get('clientToken') ?? undefined);
        checker.done();
        service.deleteSchedule(name!, groupName);
        return { body: {} };
      },
    },
    {
      method: 'GET',
      path: /^\/schedules$/,
      operation: 'ListSchedules',
      handle: ({ query }) => {
        const checker = new RequestChecker();
        const groupName = checkName(checker, query.get('ScheduleGroup') ?? undefined, 'groupName', false);
        const namePrefix = checkName(checker, query.get('NamePrefix') ?? undefined, 'namePrefix', false);
        const state = checker.string(query.get('State') ?? undefined, 'state', { oneOf: ['ENABLED', 'DISABLED'] }) as
          | 'ENABLED'
          | 'DISABLED'
          | undefined;
        const nextToken = checker.string(query.get('NextToken') ?? undefined, 'nextToken', { min: 1, max: 2048 });
        const maxResults = parseMaxResults(checker, query.get('MaxResults'));
        checker.done();
        const page = service.listSchedules({ groupName, namePrefix, state, nextToken, maxResults });
        return { body: { Schedules: page.items.map(scheduleSummary), ...(page.nextToken ? { NextToken: page.nextToken } : {}) } };
      },
    },
  ];
}

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function groupOutput(group: GroupRecord) {
  return {
    Arn: group.arn,
    Name: group.name,
    State: 'ACTIVE',
    CreationDate: epochSeconds(group.creationDate),
    LastModificationDate: epochSeconds(group.lastModificationDate),
  };
}

function scheduleOutput(record: ScheduleRecord) {
  const definition = record.definition;
  return {
    Arn: record.arn,
    GroupName: record.groupName,
    Name: record.name,
    ScheduleExpression: definition.expression.text,
    ...(definition.timeZone !== undefined ? { ScheduleExpressionTimezone: definition.timeZone } : {}),
    ...(definition.startDate ? { StartDate: epochSeconds(definition.startDate) } : {}),
    ...(definition.endDate ? { EndDate: epochSeconds(definition.endDate) } : {}),
    ...(definition.description !== undefined ? { Description: definition.description } : {}),
    ...(definition.kmsKeyArn !== undefined ? { KmsKeyArn: definition.kmsKeyArn } : {}),
    State: definition.state,
    CreationDate: epochSeconds(record.creationDate),
    LastModificationDate: epochSeconds(record.lastModificationDate),
    Target: definition.target,
    FlexibleTimeWindow: definition.flexibleTimeWindow,
    ActionAfterCompletion: definition.actionAfterCompletion,
  };
}

function scheduleSummary(record: ScheduleRecord) {
  return {
    Arn: record.arn,
    Name: record.name,
    GroupName: record.groupName,
    State: record.definition.state,
    CreationDate: epochSeconds(record.creationDate),
    LastModificationDate: epochSeconds(record.lastModificationDate),
    Target: { Arn: record.definition.target.Arn },
  };
}

function parseMaxResults(checker: RequestChecker, raw: string | null): number | undefined {
  if (raw === null) return undefined;
  return checker.integer(/^\d+$/.test(raw) ? Number(raw) : raw, 'maxResults', { min: 1, max: 100 });
}

function parseTags(checker: RequestChecker, value: unknown): GroupRecord['tags'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 200) {
    checker.problem("Value at 'tags' failed to satisfy constraint: Member must be a list of at most 200 tags");
    return [];
  }
  return value.flatMap((tag: unknown, index) => {
    const entry = checker.object(tag, `tags.${index + 1}.member`, true);
    const key = entry ? checker.string(entry.Key, `tags.${index + 1}.member.key`, { required: true, min: 1, max: 128 }) : undefined;
    const tagValue = entry
      ? checker.string(entry.Value, `tags.${index + 1}.member.value`, { required: true, min: 1, max: 256 })
      : undefined;
    return key !== undefined && tagValue !== undefined ? [{ Key: key, Value: tagValue }] : [];
  });
}
