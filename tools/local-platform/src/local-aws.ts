import type { AwsClientSettings } from '@memberships/core/config';
import { startDynamoDbLocal } from './emulators/dynamodb-local';
import type { RunningEmulator } from './emulators/emulator';
import { startEventBridgeLocal } from './emulators/eventbridge-local';
import { startFauxqs } from './emulators/fauxqs';
import { startSchedulerStandIn } from './emulators/scheduler-local';
import { startSecretsManagerLocal } from './emulators/secrets-manager-local';
import { startSesLocal } from './emulators/ses-local';
import {
  localCredentials,
  startLocalIamGate,
  type AwsService,
  type DenialRecord,
  type RunningIamGate,
  type ServiceLatency,
} from './iam-gate';

export interface LocalAwsOptions {
  /** Region the clients sign for (fauxqs puts it in queue ARNs). Default `us-east-1`. */
  readonly region?: string;
  /** Ports on 127.0.0.1; 0 or unset picks a free one. */
  readonly ports?: {
    readonly dynamodb?: number;
    readonly fauxqs?: number;
    readonly ses?: number;
    readonly scheduler?: number;
    readonly secretsManager?: number;
    readonly eventBridge?: number;
  };
  /**
   * The SES stand-in's maximum send rate, emails (recipients) per second, as
   * an account's GetAccount SendQuota.MaxSendRate: sends over it get SES's
   * throttling error. Default: SES_LOCAL_MAX_SEND_RATE of the environment, else 0 (no rate).
   */
  readonly sesMaxSendRate?: number;
  /** Per-emulator start timeout. Default 60 s. */
  readonly startTimeoutMs?: number;
  /** Receives every line an emulator prints, with the emulator's name. */
  readonly onLine?: (emulator: string, line: string) => void;
  /**
   * The IAM gate in front of the emulators (on by default): `endpoints` are
   * then the gate's, and every call is evaluated against the policies
   * infra/terraform synthesizes for the caller's role. `emailDomain` is the
   * domain of the local sender address (the SES identity the policies name);
   * `latencyMs`, a benchmark's model of the round trip to AWS per service.
   */
  readonly iamGate?:
    | {
        readonly emailDomain: string;
        readonly port?: number;
        readonly onDenial?: (denial: DenialRecord) => void;
        readonly latencyMs?: ServiceLatency;
      }
    | false;
}

type LocalEndpoints = {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly s3: string;
  readonly ses: string;
  readonly scheduler: string;
  readonly secretsManager: string;
  readonly events: string;
};

/** The local AWS stand-ins; `region` + `endpoints` are AwsClientSettings for core's clientOptions(). */
export interface LocalAws extends AwsClientSettings {
  readonly region: string;
  /** Where clients send requests: the IAM gate for every service, or the emulators themselves with `iamGate: false`. */
  readonly endpoints: LocalEndpoints;
  /** The emulators behind the gate (their non-AWS endpoints, e.g. the SES mailbox, are also reachable through it). */
  readonly emulatorEndpoints: LocalEndpoints;
  /** The running gate (its denials so far), unless `iamGate: false`. */
  readonly iamGate: RunningIamGate | undefined;
  /** Stops every emulator and waits for them to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Domain of the test suites' sender address: the SES identity the IAM gate's policies name. */
export const DEFAULT_EMAIL_DOMAIN = 'memberships.test';
/** The worker's SES_FROM_ADDRESS in tests, on that domain. */
export const TEST_SES_FROM_ADDRESS = `exports@${DEFAULT_EMAIL_DOMAIN}`;

/**
 * Starts DynamoDB Local, fauxqs (SQS + S3 on one endpoint), aws-ses-v2-local
 * and the Secrets Manager and EventBridge stand-ins in parallel, then the IAM gate in front of
 * them (this process), then the EventBridge Scheduler stand-in (real clock),
 * which delivers through the gate with the schedule role's credentials. Each
 * emulator runs in its own child process on 127.0.0.1. If one fails to start,
 * the others are stopped before the error is thrown.
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const common = (name: string) => ({
    startTimeoutMs: options.startTimeoutMs,
    onLine: options.onLine ? (line: string) => options.onLine?.(name, line) : undefined,
  });
  const region = options.region ?? 'us-east-1';
  const results = await Promise.allSettled([
    startDynamoDbLocal({ ...common('dynamodb-local'), port: options.ports?.dynamodb }),
    startFauxqs({ ...common('fauxqs'), port: options.ports?.fauxqs }),
    startSesLocal({
      ...common('ses-local'),
      port: options.ports?.ses,
      ...(options.sesMaxSendRate !== undefined ? { maxSendRate: options.sesMaxSendRate } : {}),
    }),
    startSecretsManagerLocal({ ...common('secrets-manager-local'), port: options.ports?.secretsManager, region }),
    startEventBridgeLocal({ ...common('eventbridge-local'), port: options.ports?.eventBridge, region }),
  ]);
  const started: { stop(): Promise<void> }[] = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
    throw failures[0];
  }
  const [dynamodb, fauxqs, ses, secretsManager, eventBridge] = started as [
    RunningEmulator,
    RunningEmulator,
    RunningEmulator,
    RunningEmulator,
    RunningEmulator,
  ];
  // Read by the gate at each request: the Scheduler's upstream is filled in once it runs.
  const upstreams: Partial<Record<AwsService, string>> = {
    dynamodb: dynamodb.endpoint,
    sqs: fauxqs.endpoint,
    s3: fauxqs.endpoint,
    ses: ses.endpoint,
    secretsmanager: secretsManager.endpoint,
    events: eventBridge.endpoint,
  };
  try {
    let iamGate: RunningIamGate | undefined;
    if (options.iamGate !== false) {
      iamGate = await startLocalIamGate({
        upstreams,
        emailDomain: options.iamGate?.emailDomain ?? DEFAULT_EMAIL_DOMAIN,
        ...(options.iamGate?.port !== undefined ? { port: options.iamGate.port } : {}),
        ...(options.iamGate?.onDenial ? { onDenial: options.iamGate.onDenial } : {}),
        ...(options.iamGate?.latencyMs ? { latencyMs: options.iamGate.latencyMs } : {}),
      });
      started.push(iamGate);
    }
    // It fires into SQS as the schedule role, so it starts once SQS (and the gate in front of it) is up.
    const scheduler = await startSchedulerStandIn({
      ...common('scheduler-local'),
      port: options.ports?.scheduler,
      region,
      sqsEndpoint: iamGate?.endpoint ?? fauxqs.endpoint,
      credentials: localCredentials('scheduler'),
    });
    started.push(scheduler);
    upstreams.scheduler = scheduler.endpoint;
    const emulatorEndpoints: LocalEndpoints = {
      dynamodb: dynamodb.endpoint,
      sqs: fauxqs.endpoint,
      s3: fauxqs.endpoint,
      ses: ses.endpoint,
      scheduler: scheduler.endpoint,
      secretsManager: secretsManager.endpoint,
      events: eventBridge.endpoint,
    };
    const gate = iamGate?.endpoint;
    let stopping: Promise<void> | undefined;
    return {
      region,
      endpoints: gate
        ? { dynamodb: gate, sqs: gate, s3: gate, ses: gate, scheduler: gate, secretsManager: gate, events: gate }
        : emulatorEndpoints,
      emulatorEndpoints,
      iamGate,
      stop() {
        stopping ??= stopAll(started);
        return stopping;
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
    throw error;
  }
}

/** Stops all, even when one fails; rejects with the first failure after all have been tried. */
export async function stopAll(stoppable: readonly { stop(): Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(stoppable.map((item) => item.stop()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
