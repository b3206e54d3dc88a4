/**
 * An in-memory Amazon EventBridge speaking the real wire protocol (AWS JSON
 * 1.1: `POST /`, `X-Amz-Target: AWSEvents.<Operation>`), so
 * @aws-sdk/client-eventbridge talks to it unchanged. It covers what the
 * platform uses, CreateEventBus, DescribeEventBus and PutEvents, and keeps
 * every accepted event for tests to read (`GET /_local/events?bus=<name>`):
 * there are no rules or targets, an operator's rules are Terraform's.
 * Protocol: https://docs.aws.amazon.com/eventbridge/latest/APIReference/CommonParameters.html
 * PutEvents: https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 *
 * PutEvents is checked as AWS checks it: 1 to 10 entries and at most 256 KB
 * of entries per call (the whole call is refused), Source, DetailType and
 * Detail present and Detail a JSON object (that entry fails, with its
 * ErrorCode, the others go through and FailedEntryCount counts the
 * failures). One rule is stricter than AWS on purpose: an entry for a bus
 * that does not exist fails with ResourceNotFoundException, where AWS has
 * been seen to accept and drop it (aws/aws-sdk#186): a misspelt
 * EVENT_BUS_NAME shows locally instead of losing events in production.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleJsonRequest, type JsonInput, type JsonService, sendJson, ServiceError } from './json-protocol-server';
import { LOCAL_ACCOUNT_ID } from './secrets-manager-local-server';

/** Test endpoint: the events a bus accepted, oldest first. */
export const EVENTS_PATH = '/_local/events';
/** At most this many entries per PutEvents call (the API's `Entries` constraint). */
export const MAX_ENTRIES_PER_CALL = 10;
/**
 * At most this many bytes of entries per PutEvents call, counted as
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html says:
 * Time 14 bytes when given, the UTF-8 bytes of Source, DetailType, Detail and each Resources entry.
 */
export const MAX_ENTRIES_BYTES = 256 * 1024;
/** The bus every account has; PutEvents without EventBusName goes to it. */
const DEFAULT_BUS = 'default';
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html#API_CreateEventBus_RequestSyntax
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN = /^arn:aws[\w-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/;

/** One accepted event, as a rule's target would see it (`detail` parsed). */
export interface StoredEvent {
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  /** ISO 8601, whole seconds as EventBridge writes `time`: the entry's Time, else when it was put. */
  readonly time: string;
  readonly resources: readonly string[];
}

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly created: number;
  readonly events: StoredEvent[];
}

type Input = JsonInput;
type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const utf8Bytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);

/** The store and its operations, separate from HTTP so each rule reads as AWS documents it. */
export class EventBusStore {
  private readonly buses = new Map<string, Bus>();

  constructor(private readonly region: string) {
    this.add(DEFAULT_BUS);
  }

  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html
  CreateEventBus(input: Input) {
    const name = input.Name;
    if (typeof name !== 'string' || !BUS_NAME.test(name) || name === DEFAULT_BUS)
      throw new ServiceError('ValidationException', `Event bus name ${JSON.stringify(name)} is not valid.`);
    if (this.buses.has(name)) throw new ServiceError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
    return { EventBusArn: this.add(name).arn };
  }

  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DescribeEventBus.html
  DescribeEventBus(input: Input) {
    const bus = this.find(input.Name);
    if (!bus) throw new ServiceError('ResourceNotFoundException', `Event bus ${nameOf(input.Name) ?? DEFAULT_BUS} does not exist.`);
    return { Name: bus.name, Arn: bus.arn, CreationTime: bus.created, LastModifiedTime: bus.created };
  }

  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
  PutEvents(input: Input) {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES_PER_CALL) {
      throw new ServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES_PER_CALL}`,
      );
    }
    const size = entries.reduce<number>((total, entry: Input) => total + entrySize(entry), 0);
    if (size > MAX_ENTRIES_BYTES)
      throw new ServiceError(
        'ValidationException',
        `Total size of the entries in the request is over the limit (${size} > ${MAX_ENTRIES_BYTES} bytes).`,
      );
    const results = entries.map((entry: Input) => this.put(entry));
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  /** The events a bus accepted (by name or ARN), oldest first; undefined when there is no such bus. */
  events(bus: string): readonly StoredEvent[] | undefined {
    return this.find(bus)?.events;
  }

  private put(entry: Input): EntryResult {
    for (const field of ['Source', 'DetailType', 'Detail'] as const) {
      if (typeof entry[field] !== 'string' || entry[field] === '')
        return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    // EventBridge emits an event only when its detail is a JSON object.
    if (!detail || typeof detail !== 'object' || Array.isArray(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const bus = this.find(entry.EventBusName);
    if (!bus)
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${nameOf(entry.EventBusName) ?? DEFAULT_BUS} does not exist.`,
      };
    const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
    const event: StoredEvent = {
      id: randomUUID(),
      bus: bus.name,
      source: entry.Source as string,
      detailType: entry.DetailType as string,
      detail: detail as Record<string, unknown>,
      time: `${time.toISOString().slice(0, 19)}Z`,
      resources: Array.isArray(entry.Resources) ? entry.Resources.filter((value): value is string => typeof value === 'string') : [],
    };
    bus.events.push(event);
    return { EventId: event.id };
  }

  private add(name: string): Bus {
    const bus: Bus = {
      name,
      arn: `arn:aws:events:${this.region}:${LOCAL_ACCOUNT_ID}:event-bus/${name}`,
      created: Date.now() / 1000,
      events: [],
    };
    this.buses.set(name, bus);
    return bus;
  }

  /** By name or ARN, as EventBusName and Name accept; absent means the default bus. */
  private find(nameOrArn: unknown): Bus | undefined {
    return this.buses.get(nameOf(nameOrArn) ?? DEFAULT_BUS);
  }
}

/** The bus name of a name or ARN; undefined when absent (the default bus). */
function nameOf(nameOrArn: unknown): string | undefined {
  if (typeof nameOrArn !== 'string' || nameOrArn === '') return undefined;
  return BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/** An entry's size as EventBridge counts it toward the call's 256 KB. */
export function entrySize(entry: Input): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time !== undefined && entry.Time !== null ? 14 : 0) +
    utf8Bytes(entry.Source) +
    utf8Bytes(entry.DetailType) +
    utf8Bytes(entry.Detail) +
    resources.reduce<number>((total, resource) => total + utf8Bytes(resource), 0)
  );
}

const OPERATIONS = ['CreateEventBus', 'DescribeEventBus', 'PutEvents'] as const;
type Operation = (typeof OPERATIONS)[number];

async function handle(
  store: EventBusStore,
  service: JsonService<Operation>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  try {
    const url = new URL(request.url ?? '/', 'http://local');
    if (request.method === 'GET' && url.pathname === EVENTS_PATH) {
      const bus = url.searchParams.get('bus') ?? DEFAULT_BUS;
      const events = store.events(bus);
      if (!events) sendJson(response, 404, { message: `Event bus ${bus} does not exist.` }, undefined, 'application/json');
      else sendJson(response, 200, { events }, undefined, 'application/json');
      return;
    }
    await handleJsonRequest(service, request, response);
  } catch (error) {
    sendJson(response, 500, { message: (error as Error).message }, undefined, 'application/json');
  }
}

/** An HTTP server over a fresh store; the caller listens (127.0.0.1) and closes it. */
export function createEventBridgeServer(region: string): Server {
  const store = new EventBusStore(region);
  const service: JsonService<Operation> = {
    targetPrefix: 'AWSEvents',
    operations: OPERATIONS,
    internalErrorType: 'InternalException',
    dispatch: (operation, input) => store[operation](input),
  };
  return createServer((request, response) => void handle(store, service, request, response));
}
