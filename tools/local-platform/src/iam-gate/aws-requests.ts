/**
 * What an AWS API request asks IAM for: the action(s), the resource(s) in the
 * caller's (local) naming, and the request context keys that policies of this
 * platform test. Read from the wire request the SDK sent — the signature's
 * credential scope names the service — for the operations the platform
 * calls; anything else maps to an action no policy grants, so it is denied
 * unless the operator sends it.
 *
 * The mapping follows AWS's Service Authorization Reference, in particular:
 * - DynamoDB transactions are authorised item by item as the plain actions
 *   (TransactWriteItems: PutItem/UpdateItem/DeleteItem/ConditionCheckItem per
 *   table; TransactGetItems: GetItem), batch operations as
 *   BatchWriteItem/BatchGetItem, Query on an index against `table/T/index/I`.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 * - SQS batch calls are authorised as their single-message action.
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 * - S3 multipart uploads (Create/UploadPart/Complete) are s3:PutObject, their
 *   abort s3:AbortMultipartUpload, HEAD of an object s3:GetObject.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
 * - SES v2 SendEmail is authorised against the sending identity and the
 *   configuration set. https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
 * - Scheduler Create/UpdateSchedule also need iam:PassRole on the target's
 *   role, with iam:PassedToService = scheduler.amazonaws.com; ListSchedules
 *   has no resource type ("*").
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role
 * - EventBridge PutEvents is authorised against each entry's bus
 *   (EventBusName, a name or an ARN; none: the account's `default` bus),
 *   Create/DescribeEventBus against the bus they name.
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html
 */

/** The services the gate fronts, by the name their requests are signed for. */
export const AWS_SERVICES = ['dynamodb', 'sqs', 's3', 'ses', 'scheduler', 'secretsmanager', 'events'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/** A resource in the caller's naming; translated to each environment's ARN before evaluation. */
export type LocalResource =
  | { readonly kind: 'table'; readonly name: string; readonly index?: string }
  | { readonly kind: 'queue'; readonly name: string }
  | { readonly kind: 'bucket'; readonly bucket: string }
  | { readonly kind: 'object'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'sesIdentity'; readonly identity: string }
  | { readonly kind: 'sesConfigurationSet'; readonly name: string }
  | { readonly kind: 'schedule'; readonly group: string; readonly name: string }
  | { readonly kind: 'scheduleGroup'; readonly name: string }
  | { readonly kind: 'role'; readonly arn: string }
  | { readonly kind: 'secret'; readonly id: string }
  | { readonly kind: 'eventBus'; readonly name: string }
  | { readonly kind: 'any' }
  /** An ARN the gate cannot place (kept as sent, so no policy matches it by accident). */
  | { readonly kind: 'unrecognised'; readonly arn: string };

export interface AuthorizationCheck {
  readonly action: string;
  readonly resource: LocalResource;
  /** Request context keys (e.g. iam:PassedToService). */
  readonly context?: Readonly<Record<string, string>>;
}

export interface ParsedRequest {
  /** The operation, for the denial record (e.g. `DynamoDB PutItem`, `S3 PUT /bucket/key`). */
  readonly operation: string;
  readonly checks: readonly AuthorizationCheck[];
}

export interface WireRequest {
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body for JSON protocols (DynamoDB, SQS, SES, Scheduler, Secrets Manager, EventBridge); empty for S3. */
  readonly body: Buffer;
}

/** Signature facts of a request: the access key and the service it was signed for. */
export interface Signature {
  readonly accessKeyId: string;
  readonly service: string;
  /** Presigned URLs: when the signature was made and for how long it is valid. */
  readonly presigned?: { readonly signedAt: Date; readonly expiresSeconds: number };
}

/** The access key id and signing service from the Authorization header or a presigned URL's query. */
export function readSignature(request: Pick<WireRequest, 'url' | 'headers'>): Signature | undefined {
  const authorization = header(request.headers, 'authorization');
  const fromHeader = authorization ? /Credential=([^/,\s]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization) : null;
  if (fromHeader) return { accessKeyId: fromHeader[1]!, service: fromHeader[2]! };
  const query = new URL(request.url, 'http://gate').searchParams;
  const credential = query.get('X-Amz-Credential');
  const fromQuery = credential ? /^([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request$/.exec(credential) : null;
  if (!fromQuery) return undefined;
  const date = query.get('X-Amz-Date') ?? '';
  const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  const expires = Number(query.get('X-Amz-Expires'));
  return {
    accessKeyId: fromQuery[1]!,
    service: fromQuery[2]!,
    ...(stamp && Number.isInteger(expires)
      ? {
          presigned: {
            signedAt: new Date(Date.UTC(+stamp[1]!, +stamp[2]! - 1, +stamp[3]!, +stamp[4]!, +stamp[5]!, +stamp[6]!)),
            expiresSeconds: expires,
          },
        }
      : {}),
  };
}

export function header(headers: WireRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Services whose requests carry a JSON body the gate must read (S3 bodies are streamed through unread). */
export function needsBody(service: string): boolean {
  return service !== 's3';
}

export function parseRequest(service: string, request: WireRequest): ParsedRequest {
  switch (service) {
    case 'dynamodb':
      return dynamoDb(request);
    case 'sqs':
      return sqs(request);
    case 's3':
      return s3(request);
    case 'ses':
      return ses(request);
    case 'scheduler':
      return scheduler(request);
    case 'secretsmanager':
      return secretsManager(request);
    case 'events':
      return eventBridge(request);
    default:
      return {
        operation: `${service} ${request.method} ${request.url}`,
        checks: [{ action: `${service}:Unknown`, resource: { kind: 'any' } }],
      };
  }
}

type Json = Record<string, unknown>;

function jsonBody(request: WireRequest): Json {
  if (request.body.length === 0) return {};
  try {
    const parsed = JSON.parse(request.body.toString('utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Json) : {};
  } catch {
    return {};
  }
}

function target(request: WireRequest): string {
  const value = header(request.headers, 'x-amz-target') ?? '';
  return value.slice(value.indexOf('.') + 1);
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

function dynamoDb(request: WireRequest): ParsedRequest {
  const op = target(request);
  const body = jsonBody(request);
  const table = (name: unknown, index?: unknown): LocalResource => ({
    kind: 'table',
    name: str(name),
    ...(typeof index === 'string' && index ? { index } : {}),
  });
  const checks: AuthorizationCheck[] = [];
  if (op === 'TransactWriteItems') {
    const kinds = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' } as const;
    for (const item of (body.TransactItems as Json[] | undefined) ?? []) {
      for (const [kind, action] of Object.entries(kinds)) {
        const part = item[kind] as Json | undefined;
        if (part) checks.push({ action: `dynamodb:${action}`, resource: table(part.TableName) });
      }
    }
  } else if (op === 'TransactGetItems') {
    for (const item of (body.TransactItems as Json[] | undefined) ?? []) {
      checks.push({ action: 'dynamodb:GetItem', resource: table((item.Get as Json | undefined)?.TableName) });
    }
  } else if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
    for (const name of Object.keys((body.RequestItems as Json | undefined) ?? {}))
      checks.push({ action: `dynamodb:${op}`, resource: table(name) });
  } else if (op === 'ListTables') {
    checks.push({ action: 'dynamodb:ListTables', resource: { kind: 'any' } });
  } else {
    checks.push({
      action: `dynamodb:${op || 'Unknown'}`,
      resource: table(body.TableName, op === 'Query' || op === 'Scan' ? body.IndexName : undefined),
    });
  }
  return { operation: `DynamoDB ${op}`, checks };
}

/** The queue name in a queue URL (`.../<account>/<name>`). */
export function queueNameOf(queueUrl: string): string {
  const path = URL.canParse(queueUrl) ? new URL(queueUrl).pathname : queueUrl;
  return path.split('/').filter(Boolean).at(-1) ?? '';
}

const SQS_BATCH_ACTIONS: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

function sqs(request: WireRequest): ParsedRequest {
  // JSON protocol (X-Amz-Target: AmazonSQS.<Op>); the query protocol (Action=...) as a fallback.
  let op = target(request);
  let fields: Json = jsonBody(request);
  if (!op) {
    const form = new URLSearchParams(request.body.toString('utf8'));
    op = form.get('Action') ?? '';
    fields = Object.fromEntries(form.entries());
  }
  const action = `sqs:${SQS_BATCH_ACTIONS[op] ?? (op || 'Unknown')}`;
  if (op === 'ListQueues') return { operation: 'SQS ListQueues', checks: [{ action, resource: { kind: 'any' } }] };
  const name = op === 'CreateQueue' || op === 'GetQueueUrl' ? str(fields.QueueName) : queueNameOf(str(fields.QueueUrl));
  return { operation: `SQS ${op}`, checks: [{ action, resource: { kind: 'queue', name } }] };
}

function s3(request: WireRequest): ParsedRequest {
  const url = new URL(request.url, 'http://gate');
  const segments = url.pathname.split('/').slice(1);
  const bucket = decodeURIComponent(segments[0] ?? '');
  const key = segments.slice(1).map(decodeURIComponent).join('/');
  const q = url.searchParams;
  const method = request.method.toUpperCase();
  const operation = `S3 ${method} ${url.pathname}`;
  const object = (action: string): AuthorizationCheck => ({ action: `s3:${action}`, resource: { kind: 'object', bucket, key } });
  const onBucket = (action: string): AuthorizationCheck => ({ action: `s3:${action}`, resource: { kind: 'bucket', bucket } });
  if (!bucket) return { operation, checks: [{ action: 's3:ListAllMyBuckets', resource: { kind: 'any' } }] };
  if (key) {
    if (method === 'GET' || method === 'HEAD')
      return { operation, checks: [object(q.has('uploadId') ? 'ListMultipartUploadParts' : 'GetObject')] };
    if (method === 'DELETE') return { operation, checks: [object(q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject')] };
    if (method === 'PUT' || method === 'POST') {
      const copySource = header(request.headers, 'x-amz-copy-source');
      if (copySource) {
        const [sourceBucket = '', ...rest] = decodeURIComponent(copySource.split('?')[0]!).replace(/^\//, '').split('/');
        return {
          operation,
          checks: [
            object('PutObject'),
            { action: 's3:GetObject', resource: { kind: 'object', bucket: sourceBucket, key: rest.join('/') } },
          ],
        };
      }
      return { operation, checks: [object('PutObject')] };
    }
    return { operation, checks: [object(`Unknown${method}`)] };
  }
  // Bucket operations: provisioning (the operator's) and listing.
  const subresource = ['lifecycle', 'policy', 'cors', 'uploads', 'versioning', 'location'].find((name) => q.has(name));
  const bucketActions: Record<string, string> = {
    'PUT:': 'CreateBucket',
    'DELETE:': 'DeleteBucket',
    'HEAD:': 'ListBucket',
    'GET:': 'ListBucket',
    'PUT:lifecycle': 'PutLifecycleConfiguration',
    'GET:lifecycle': 'GetLifecycleConfiguration',
    'PUT:cors': 'PutBucketCORS',
    'GET:cors': 'GetBucketCORS',
    'PUT:policy': 'PutBucketPolicy',
    'GET:uploads': 'ListBucketMultipartUploads',
    'GET:location': 'GetBucketLocation',
    'POST:': 'DeleteObject',
  };
  return { operation, checks: [onBucket(bucketActions[`${method}:${subresource ?? ''}`] ?? `Unknown${method}`)] };
}

function ses(request: WireRequest): ParsedRequest {
  const url = new URL(request.url, 'http://gate');
  const method = request.method.toUpperCase();
  if (method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
    const body = jsonBody(request);
    const from = str(body.FromEmailAddress);
    // The domain identity authorises a sender of that domain (the platform verifies its domain, not single addresses).
    const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
    const identity = address.slice(address.lastIndexOf('@') + 1);
    const checks: AuthorizationCheck[] = [{ action: 'ses:SendEmail', resource: { kind: 'sesIdentity', identity } }];
    const configurationSet = str(body.ConfigurationSetName);
    if (configurationSet) checks.push({ action: 'ses:SendEmail', resource: { kind: 'sesConfigurationSet', name: configurationSet } });
    return { operation: 'SESv2 SendEmail', checks };
  }
  return { operation: `SESv2 ${method} ${url.pathname}`, checks: [{ action: 'ses:Unknown', resource: { kind: 'any' } }] };
}

function scheduler(request: WireRequest): ParsedRequest {
  const url = new URL(request.url, 'http://gate');
  const method = request.method.toUpperCase();
  const [collection, rawName] = url.pathname.split('/').slice(1);
  const name = decodeURIComponent(rawName ?? '');
  if (collection === 'schedules') {
    if (!name) return { operation: 'Scheduler ListSchedules', checks: [{ action: 'scheduler:ListSchedules', resource: { kind: 'any' } }] };
    const body = method === 'POST' || method === 'PUT' ? jsonBody(request) : {};
    const group = str(body.GroupName) || url.searchParams.get('groupName') || 'default';
    const verbs: Record<string, string> = { POST: 'CreateSchedule', PUT: 'UpdateSchedule', GET: 'GetSchedule', DELETE: 'DeleteSchedule' };
    const op = verbs[method] ?? `Unknown${method}`;
    const checks: AuthorizationCheck[] = [{ action: `scheduler:${op}`, resource: { kind: 'schedule', group, name } }];
    const roleArn = str((body.Target as Json | undefined)?.RoleArn);
    if (roleArn)
      checks.push({
        action: 'iam:PassRole',
        resource: { kind: 'role', arn: roleArn },
        context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      });
    return { operation: `Scheduler ${op}`, checks };
  }
  if (collection === 'schedule-groups') {
    const verbs: Record<string, string> = {
      POST: 'CreateScheduleGroup',
      GET: name ? 'GetScheduleGroup' : 'ListScheduleGroups',
      DELETE: 'DeleteScheduleGroup',
    };
    const op = verbs[method] ?? `Unknown${method}`;
    return {
      operation: `Scheduler ${op}`,
      checks: [{ action: `scheduler:${op}`, resource: name ? { kind: 'scheduleGroup', name } : { kind: 'any' } }],
    };
  }
  return { operation: `Scheduler ${method} ${url.pathname}`, checks: [{ action: 'scheduler:Unknown', resource: { kind: 'any' } }] };
}

function secretsManager(request: WireRequest): ParsedRequest {
  const op = target(request);
  const body = jsonBody(request);
  const id = str(body.SecretId) || str(body.Name);
  return {
    operation: `SecretsManager ${op}`,
    checks: [{ action: `secretsmanager:${op || 'Unknown'}`, resource: id ? { kind: 'secret', id } : { kind: 'any' } }],
  };
}

/** A bus by name or ARN (`arn:aws:events:<region>:<account>:event-bus/<name>`); none is the account's `default` bus. */
function eventBusOf(nameOrArn: unknown): LocalResource {
  const value = str(nameOrArn);
  if (!value) return { kind: 'eventBus', name: 'default' };
  if (!value.startsWith('arn:')) return { kind: 'eventBus', name: value };
  const name = /^arn:aws[\w-]*:events:[^:]*:\d{12}:event-bus\/(.+)$/.exec(value)?.[1];
  return name ? { kind: 'eventBus', name } : { kind: 'unrecognised', arn: value };
}

function eventBridge(request: WireRequest): ParsedRequest {
  const op = target(request);
  const body = jsonBody(request);
  const action = `events:${op || 'Unknown'}`;
  if (op === 'PutEvents') {
    const entries = Array.isArray(body.Entries) ? (body.Entries as Json[]) : [];
    const buses = new Map<string, LocalResource>();
    for (const entry of entries) {
      const bus = eventBusOf(entry.EventBusName);
      buses.set(JSON.stringify(bus), bus);
    }
    // No entries: the stand-in refuses the call itself; still a check, so no role calls it for free.
    const resources = buses.size > 0 ? [...buses.values()] : [eventBusOf(undefined)];
    return { operation: 'EventBridge PutEvents', checks: resources.map((resource) => ({ action, resource })) };
  }
  return { operation: `EventBridge ${op}`, checks: [{ action, resource: eventBusOf(body.Name) }] };
}
