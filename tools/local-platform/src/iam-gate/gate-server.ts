import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SOURCE_ARN_HEADER } from '@memberships/scheduler-local';
import type { AddressInfo } from 'node:net';
import { accessDenied } from './access-denied';
import { header, needsBody, parseRequest, readSignature, type AwsService, type LocalResource, type ParsedRequest } from './aws-requests';
import { IDENTITIES, identityOf, type LocalIdentity } from './identities';
import type { PolicyEvaluator } from './policy-evaluator';

/**
 * The local IAM gate: one HTTP endpoint in front of every AWS emulator. Each
 * request is routed by the service its signature names, mapped to the IAM
 * action(s) and resource(s) it needs (aws-requests.ts) and decided for the
 * caller's role (policy-evaluator.ts). Allowed requests are forwarded
 * unchanged to the emulator; denied ones are answered with AccessDenied on the
 * service's own protocol and recorded. The emulators enforce no IAM at all;
 * with the gate, a call the synthesized policies would not allow fails
 * locally the way it would in AWS.
 *
 * Unsigned requests are denied (AWS denies anonymous calls to these APIs),
 * except the emulators' own non-AWS endpoints the test harness reads
 * (aws-ses-v2-local's mailbox, the Scheduler stand-in's `/_test` controls,
 * the EventBridge stand-in's `/_local/events`).
 */

export interface DenialRecord {
  readonly time: string;
  readonly identity: LocalIdentity | 'unknown' | 'anonymous';
  readonly accessKeyId?: string;
  readonly operation: string;
  readonly reason: string;
  /** The SDK's user agent: which client (and SDK version) made the call. */
  readonly userAgent?: string;
  /** Set once a test has said it caused this denial on purpose (ACKNOWLEDGE_PATH). */
  readonly acknowledged?: boolean;
}

export interface IamGateOptions {
  readonly upstreams: Partial<Record<AwsService, string>>;
  readonly evaluator: PolicyEvaluator;
  /** 0 or unset: a free port on 127.0.0.1. */
  readonly port?: number;
  readonly onDenial?: (denial: DenialRecord) => void;
  /** Clock for presigned URL expiry. */
  readonly now?: () => Date;
  /**
   * Milliseconds each signed call to a service waits before it is decided and forwarded: a model of the network
   * round trip to AWS, which the emulators on this machine do not have (benchmarks only; unset, none).
   * The wait is a timer, so it costs no CPU: a caller that overlaps its calls overlaps the waits too.
   */
  readonly latencyMs?: ServiceLatency;
}

/** Milliseconds per service; a service not named gets none. */
export type ServiceLatency = Partial<Record<AwsService, number>>;

export interface RunningIamGate {
  readonly endpoint: string;
  /** Every denial so far, oldest first. */
  denials(): readonly DenialRecord[];
  /** The denials no test has acknowledged: calls production would refuse that nobody meant to make. */
  unacknowledged(): readonly DenialRecord[];
  /**
   * The calls let through so far, counted by caller and operation
   * (`worker dynamodb:UpdateItem`, `api sqs:SendMessage`, ...): what a
   * benchmark turns into requests per export and their price.
   */
  calls(): Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

/** Path of the gate's own endpoint listing denials (GET, unsigned, loopback only). */
export const DENIALS_PATH = '/_iam-gate/denials';
/**
 * POST `{"reasonIncludes": "..."}`: marks the denials whose reason contains
 * the text as caused on purpose (a test of behaviour when a call is refused)
 * and answers `{"acknowledged": <count>}`.
 */
export const ACKNOWLEDGE_PATH = '/_iam-gate/denials/acknowledge';

/** Emulator endpoints that are not AWS APIs, passed through unsigned: path prefix → service whose upstream serves it. */
const EMULATOR_PATHS: readonly (readonly [string, AwsService])[] = [
  ['/store', 'ses'],
  ['/clear-store', 'ses'],
  ['/_test/', 'scheduler'],
  ['/_local/events', 'events'],
];

const MAX_PRESIGNED_EXPIRY_SECONDS = 7 * 24 * 3600;

export async function startIamGate(options: IamGateOptions): Promise<RunningIamGate> {
  let denials: DenialRecord[] = [];
  const calls = new Map<string, number>();
  const now = options.now ?? (() => new Date());
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const deny = (response: http.ServerResponse, service: string, record: Omit<DenialRecord, 'time'>) => {
    const full: DenialRecord = { time: now().toISOString(), ...record };
    denials.push(full);
    options.onDenial?.(full);
    const answer = accessDenied(service, record.reason, randomUUID());
    response.writeHead(answer.status, answer.headers).end(answer.body);
  };

  const server = http.createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`iam gate: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    if (request.method === 'GET' && url === DENIALS_PATH) {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(denials));
      return;
    }
    if (request.method === 'POST' && url === ACKNOWLEDGE_PATH) {
      let reasonIncludes: unknown;
      try {
        ({ reasonIncludes } = JSON.parse((await readBody(request)).toString('utf8') || '{}') as { reasonIncludes?: unknown });
      } catch {
        reasonIncludes = undefined;
      }
      if (typeof reasonIncludes !== 'string' || reasonIncludes.length < 3) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end('reasonIncludes: at least 3 characters of the denial reason');
        return;
      }
      let acknowledged = 0;
      denials = denials.map((denial) => {
        if (denial.acknowledged || !denial.reason.includes(reasonIncludes)) return denial;
        acknowledged += 1;
        return { ...denial, acknowledged: true };
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ acknowledged }));
      return;
    }
    const signature = readSignature({ url, headers: request.headers });
    if (!signature) {
      const emulatorPath = EMULATOR_PATHS.find(([prefix]) => url.startsWith(prefix));
      if (emulatorPath && options.upstreams[emulatorPath[1]]) {
        forward(request, response, options.upstreams[emulatorPath[1]]!, undefined);
        return;
      }
      request.resume();
      deny(response, 'unknown', {
        identity: 'anonymous',
        operation: `${request.method} ${url}`,
        reason: 'Anonymous access is denied: the request is not signed',
      });
      return;
    }
    const service = signature.service as AwsService;
    // AWS answers a refused call after the same round trip as an allowed one.
    const latency = options.latencyMs?.[service] ?? 0;
    if (latency > 0) await sleep(latency);
    const upstream = options.upstreams[service];
    if (!upstream) {
      request.resume();
      deny(response, service, {
        identity: identityOf(signature.accessKeyId) ?? 'unknown',
        accessKeyId: signature.accessKeyId,
        operation: `${service} ${request.method} ${url}`,
        reason: `no local endpoint for the ${service} service`,
      });
      return;
    }
    const body = needsBody(service) ? await readBody(request) : undefined;
    const parsed = parseRequest(service, { method: request.method ?? 'GET', url, headers: request.headers, body: body ?? Buffer.alloc(0) });
    const identity = identityOf(signature.accessKeyId);
    const record = {
      identity: identity ?? ('unknown' as const),
      accessKeyId: signature.accessKeyId,
      operation: parsed.operation,
      userAgent: header(request.headers, 'user-agent'),
    };
    if (signature.presigned) {
      const { signedAt, expiresSeconds } = signature.presigned;
      if (expiresSeconds > MAX_PRESIGNED_EXPIRY_SECONDS) {
        deny(response, service, {
          ...record,
          reason: `X-Amz-Expires must be less than a week (in seconds) that is 604800, got ${expiresSeconds}`,
        });
        return;
      }
      if (now().getTime() > signedAt.getTime() + expiresSeconds * 1000) {
        deny(response, service, { ...record, reason: 'Request has expired' });
        return;
      }
    }
    const reason = await decide(identity, parsed, header(request.headers, SOURCE_ARN_HEADER));
    if (reason) {
      deny(response, service, { ...record, reason });
      return;
    }
    // S3's operation names the object; its price depends only on the method (PUT/POST/LIST vs GET).
    const call = `${record.identity} ${service === 's3' ? `S3 ${request.method}` : parsed.operation}`;
    calls.set(call, (calls.get(call) ?? 0) + 1);
    forward(request, response, upstream, body);
  }

  async function decide(
    identity: LocalIdentity | undefined,
    parsed: ParsedRequest,
    sourceArn: string | undefined,
  ): Promise<string | undefined> {
    if (!identity) return 'The security token included in the request is invalid (an access key the local platform does not hand out)';
    const { rolePath, ownActions = [] } = IDENTITIES[identity];
    if (rolePath === undefined) return undefined;
    const checks = parsed.checks.filter((check) => !ownActions.includes(check.action));
    // Nothing done with the role (the service's own lookup): no role is assumed, nothing to evaluate.
    if (checks.length === 0) return undefined;
    // The stand-in for an AWS service says which of its resources it acts for (SOURCE_ARN_HEADER).
    const decision = await options.evaluator.decide(rolePath, checks, {
      servicePrincipal: identity === 'scheduler' ? 'scheduler.amazonaws.com' : 'ecs-tasks.amazonaws.com',
      ...(sourceArn ? { sourceArn: sourceArnResource(sourceArn) } : {}),
    });
    return decision.allowed ? undefined : decision.reason;
  }

  function forward(request: http.IncomingMessage, response: http.ServerResponse, upstream: string, body: Buffer | undefined): void {
    const target = new URL(request.url ?? '/', upstream);
    const outgoing = http.request(target, { method: request.method, headers: request.headers, agent }, (upstreamResponse) => {
      // A caller that has gone away gets nothing; the emulator's answer is drained so its socket is freed.
      if (response.destroyed) {
        upstreamResponse.resume();
        return;
      }
      response.on('close', () => {
        if (!response.writableFinished) upstreamResponse.resume();
      });
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
    });
    outgoing.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`iam gate: upstream ${upstream} failed: ${error.message}`);
    });
    // As in AWS, a request that arrived whole is carried out even if its caller stops waiting
    // (an SDK timeout after SendEmail was sent, an abandoned long poll): only a request cut off
    // before its body was complete is dropped.
    request.on('close', () => {
      if (!request.complete) outgoing.destroy();
    });
    if (body) outgoing.end(body);
    else request.pipe(outgoing);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    denials: () => [...denials],
    unacknowledged: () => denials.filter((denial) => !denial.acknowledged),
    calls: () => Object.fromEntries(calls),
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopping;
    },
  };
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** The source a stand-in presents; only schedule groups (the Scheduler) act with a role locally. */
function sourceArnResource(arn: string): LocalResource {
  const group = /^arn:aws:scheduler:[^:]*:[^:]*:schedule-group\/(.+)$/.exec(arn);
  return group ? { kind: 'scheduleGroup', name: group[1]! } : { kind: 'unrecognised', arn };
}
