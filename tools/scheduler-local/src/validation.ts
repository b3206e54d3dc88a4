import { SerializationException, ValidationException } from './errors';
import { parseScheduleExpression } from './schedule-expression';
import {
  DEFAULT_GROUP,
  DEFAULT_RETRY_POLICY,
  type FlexibleTimeWindow,
  type ScheduleDefinition,
  type ScheduleTarget,
} from './schedule-model';

/**
 * Checks request input the way EventBridge Scheduler does (member lengths,
 * patterns, enums, ranges) and answers one ValidationException listing every
 * problem, in the AWS wording ("2 validation errors detected: Value ... at
 * 'name' failed to satisfy constraint: ..."). Bodies arrive as parsed JSON
 * from the real SDK, so wrong types are reported rather than coerced.
 */

const NAME_PATTERN = /^[0-9a-zA-Z\-_.]+$/;
const CLIENT_TOKEN_PATTERN = /^[a-zA-Z0-9\-_]+$/;
const ROLE_ARN_PATTERN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DEAD_LETTER_ARN_PATTERN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9\-_]+$/;
/** The stand-in only delivers to SQS queues (standard or FIFO). */
export const SQS_QUEUE_ARN_PATTERN = /^arn:aws(-[a-z]+)?:sqs:([a-z0-9-]+):(\d{12}):([a-zA-Z0-9\-_]+(?:\.fifo)?)$/;
const UNSUPPORTED_TARGET_PARAMETERS = [
  'EcsParameters',
  'EventBridgeParameters',
  'EventBridgePutEventsV2Parameters',
  'EventBridgePutRawEventsParameters',
  'KinesisParameters',
  'SageMakerPipelineParameters',
];

type Json = Record<string, unknown>;

interface StringRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: RegExp;
  readonly oneOf?: readonly string[];
}

export class RequestChecker {
  private readonly problems: string[] = [];

  /** Throws the collected problems as one ValidationException. */
  done(): void {
    if (this.problems.length === 0) return;
    const count = this.problems.length;
    throw new ValidationException(`${count} validation error${count === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`);
  }

  problem(text: string): void {
    this.problems.push(text);
  }

  string(value: unknown, at: string, rule: StringRule = {}): string | undefined {
    if (value === undefined || value === null) {
      if (rule.required) this.problems.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problems.push(`Value at '${at}' failed to satisfy constraint: Member must be a string`);
      return undefined;
    }
    const quoted = `Value '${value}' at '${at}' failed to satisfy constraint:`;
    if (rule.min !== undefined && value.length < rule.min)
      this.problems.push(`${quoted} Member must have length greater than or equal to ${rule.min}`);
    else if (rule.max !== undefined && value.length > rule.max)
      this.problems.push(`${quoted} Member must have length less than or equal to ${rule.max}`);
    else if (rule.pattern && !rule.pattern.test(value))
      this.problems.push(`${quoted} Member must satisfy regular expression pattern: ${rule.pattern.source}`);
    else if (rule.oneOf && !rule.oneOf.includes(value))
      this.problems.push(`${quoted} Member must satisfy enum value set: [${rule.oneOf.join(', ')}]`);
    else return value;
    return undefined;
  }

  integer(
    value: unknown,
    at: string,
    range: { readonly min: number; readonly max: number; readonly required?: boolean },
  ): number | undefined {
    if (value === undefined || value === null) {
      if (range.required) this.problems.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.problems.push(`Value at '${at}' failed to satisfy constraint: Member must be an integer`);
      return undefined;
    }
    if (value < range.min)
      this.problems.push(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`,
      );
    else if (value > range.max)
      this.problems.push(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`,
      );
    else return value;
    return undefined;
  }

  /** restJson timestamps are epoch seconds (fractions allowed). */
  timestamp(value: unknown, at: string): Date | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.problems.push(`Value at '${at}' failed to satisfy constraint: Member must be a timestamp in epoch seconds`);
      return undefined;
    }
    return new Date(Math.round(value * 1000));
  }

  object(value: unknown, at: string, required = false): Json | undefined {
    if (value === undefined || value === null) {
      if (required) this.problems.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(`Value at '${at}' failed to satisfy constraint: Member must be a structure`);
      return undefined;
    }
    return value as Json;
  }
}

/** The JSON body of a request: an object, or SerializationException. An empty body is `{}`. */
export function parseJsonBody(raw: string): Json {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SerializationException('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SerializationException('The request body must be a JSON object.');
  return parsed as Json;
}

/** A schedule or group name from the path or a query parameter. */
export function checkName(checker: RequestChecker, value: unknown, at: string, required = true): string | undefined {
  return checker.string(value, at, { required, min: 1, max: 64, pattern: NAME_PATTERN });
}

export function checkClientToken(checker: RequestChecker, value: unknown): string | undefined {
  return checker.string(value, 'clientToken', { min: 1, max: 64, pattern: CLIENT_TOKEN_PATTERN });
}

export interface ScheduleRequest {
  readonly name: string;
  readonly groupName: string;
  readonly clientToken: string | undefined;
  readonly definition: ScheduleDefinition;
}

/** CreateSchedule and UpdateSchedule take the same members. */
export function parseScheduleRequest(pathName: string, body: Json): ScheduleRequest {
  const checker = new RequestChecker();
  const name = checkName(checker, pathName, 'name');
  const groupName = checkName(checker, body.GroupName, 'groupName', false) ?? DEFAULT_GROUP;
  const expressionText = checker.string(body.ScheduleExpression, 'scheduleExpression', { required: true, min: 1, max: 256 });
  const timeZone = checker.string(body.ScheduleExpressionTimezone, 'scheduleExpressionTimezone', { min: 1, max: 50 });
  const state = (checker.string(body.State, 'state', { oneOf: ['ENABLED', 'DISABLED'] }) ?? 'ENABLED') as ScheduleDefinition['state'];
  const actionAfterCompletion = (checker.string(body.ActionAfterCompletion, 'actionAfterCompletion', { oneOf: ['NONE', 'DELETE'] }) ??
    'NONE') as ScheduleDefinition['actionAfterCompletion'];
  const description = checker.string(body.Description, 'description', { max: 512 });
  const kmsKeyArn = checker.string(body.KmsKeyArn, 'kmsKeyArn', { min: 1, max: 2048 });
  const clientToken = checker.string(body.ClientToken, 'clientToken', { min: 1, max: 64, pattern: CLIENT_TOKEN_PATTERN });
  const startDate = checker.timestamp(body.StartDate, 'startDate');
  const endDate = checker.timestamp(body.EndDate, 'endDate');
  const flexibleTimeWindow = parseFlexibleTimeWindow(checker, body.FlexibleTimeWindow);
  const target = parseTarget(checker, body.Target);
  checker.done();

  if (startDate && endDate && endDate.getTime() <= startDate.getTime()) {
    throw new ValidationException('The EndDate must be after the StartDate.');
  }
  // Checked once the members are known to be strings: the time zone first, as AWS reports it.
  const expression = parseScheduleExpression(expressionText!, timeZone ?? 'UTC');
  return {
    name: name!,
    groupName,
    clientToken,
    definition: {
      expression,
      timeZone,
      flexibleTimeWindow: flexibleTimeWindow!,
      state,
      target: target!,
      startDate,
      endDate,
      description,
      kmsKeyArn,
      actionAfterCompletion,
    },
  };
}

function parseFlexibleTimeWindow(checker: RequestChecker, value: unknown): FlexibleTimeWindow | undefined {
  const window = checker.object(value, 'flexibleTimeWindow', true);
  if (!window) return undefined;
  const mode = checker.string(window.Mode, 'flexibleTimeWindow.mode', { required: true, oneOf: ['OFF', 'FLEXIBLE'] });
  const minutes = checker.integer(window.MaximumWindowInMinutes, 'flexibleTimeWindow.maximumWindowInMinutes', {
    min: 1,
    max: 1440,
    required: mode === 'FLEXIBLE',
  });
  if (mode === 'OFF' && minutes !== undefined) {
    checker.problem(
      "Value at 'flexibleTimeWindow.maximumWindowInMinutes' failed to satisfy constraint: Member must not be set when Mode is OFF",
    );
    return undefined;
  }
  if (mode === 'OFF') return { Mode: 'OFF' };
  return mode === 'FLEXIBLE' && minutes !== undefined ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: minutes } : undefined;
}

function parseTarget(checker: RequestChecker, value: unknown): ScheduleTarget | undefined {
  const target = checker.object(value, 'target', true);
  if (!target) return undefined;
  const arn = checker.string(target.Arn, 'target.arn', { required: true, min: 1, max: 1600 });
  if (arn !== undefined && !SQS_QUEUE_ARN_PATTERN.test(arn)) {
    checker.problem(`Value '${arn}' at 'target.arn' is not an SQS queue ARN: scheduler-local only delivers to SQS queues`);
  }
  for (const parameters of UNSUPPORTED_TARGET_PARAMETERS) {
    if (target[parameters] !== undefined && target[parameters] !== null)
      checker.problem(`Target.${parameters} is not supported by scheduler-local`);
  }
  const roleArn = checker.string(target.RoleArn, 'target.roleArn', { required: true, min: 1, max: 1600, pattern: ROLE_ARN_PATTERN });
  const input = checker.string(target.Input, 'target.input', { min: 1, max: 8192 });
  const retry = checker.object(target.RetryPolicy, 'target.retryPolicy');
  const maximumEventAge = retry
    ? checker.integer(retry.MaximumEventAgeInSeconds, 'target.retryPolicy.maximumEventAgeInSeconds', { min: 60, max: 86_400 })
    : undefined;
  const maximumRetryAttempts = retry
    ? checker.integer(retry.MaximumRetryAttempts, 'target.retryPolicy.maximumRetryAttempts', { min: 0, max: 185 })
    : undefined;
  const deadLetter = checker.object(target.DeadLetterConfig, 'target.deadLetterConfig');
  const deadLetterArn = deadLetter
    ? checker.string(deadLetter.Arn, 'target.deadLetterConfig.arn', { min: 1, max: 1600, pattern: DEAD_LETTER_ARN_PATTERN })
    : undefined;
  const sqsParameters = checker.object(target.SqsParameters, 'target.sqsParameters');
  const messageGroupId = sqsParameters
    ? checker.string(sqsParameters.MessageGroupId, 'target.sqsParameters.messageGroupId', { min: 1, max: 128 })
    : undefined;
  if (arn === undefined || roleArn === undefined) return undefined;
  return {
    Arn: arn,
    RoleArn: roleArn,
    ...(input !== undefined ? { Input: input } : {}),
    RetryPolicy: {
      MaximumEventAgeInSeconds: maximumEventAge ?? DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds,
      MaximumRetryAttempts: maximumRetryAttempts ?? DEFAULT_RETRY_POLICY.MaximumRetryAttempts,
    },
    ...(deadLetterArn !== undefined ? { DeadLetterConfig: { Arn: deadLetterArn } } : {}),
    ...(sqsParameters ? { SqsParameters: messageGroupId !== undefined ? { MessageGroupId: messageGroupId } : {} } : {}),
  };
}
