import type { AwsClientSettings } from '@memberships/core';
import { startDynamoDbLocal } from './emulators/dynamodb-local';
import type { RunningEmulator } from './emulators/emulator';
import { startFauxqs } from './emulators/fauxqs';
import { startSchedulerStandIn } from './emulators/scheduler-local';
import { startSecretsManagerLocal } from './emulators/secrets-manager-local';
import { startSesLocal } from './emulators/ses-local';

export interface LocalAwsOptions {
  /** Region the clients sign for (fauxqs puts it in queue ARNs). Default `us-east-1`. */
  readonly region?: string;
  /** Ports on 127.0.0.1; 0 or unset picks a free one. */
  readonly ports?: { readonly dynamodb?: number; readonly fauxqs?: number; readonly ses?: number; readonly scheduler?: number; readonly secretsManager?: number };
  /** Per-emulator start timeout. Default 60 s. */
  readonly startTimeoutMs?: number;
  /** Receives every line an emulator prints, with the emulator's name. */
  readonly onLine?: (emulator: string, line: string) => void;
}

/** The local AWS stand-ins; `region` + `endpoints` are AwsClientSettings for core's clientOptions(). */
export interface LocalAws extends AwsClientSettings {
  readonly region: string;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly s3: string; readonly ses: string; readonly scheduler: string; readonly secretsManager: string };
  /** Stops every emulator and waits for them to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local, fauxqs (SQS + S3 on one endpoint) and
 * aws-ses-v2-local and the Secrets Manager stand-in in parallel, then the EventBridge Scheduler stand-in (real clock), each in its own child process on 127.0.0.1.
 * If one fails to start, the others are stopped before the error is thrown.
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const common = (name: string) => ({
    startTimeoutMs: options.startTimeoutMs,
    onLine: options.onLine ? (line: string) => options.onLine?.(name, line) : undefined,
  });
  const results = await Promise.allSettled([
    startDynamoDbLocal({ ...common('dynamodb-local'), port: options.ports?.dynamodb }),
    startFauxqs({ ...common('fauxqs'), port: options.ports?.fauxqs }),
    startSesLocal({ ...common('ses-local'), port: options.ports?.ses }),
    startSecretsManagerLocal({ ...common('secrets-manager-local'), port: options.ports?.secretsManager, region: options.region ?? 'us-east-1' }),
  ]);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
    throw failures[0];
  }
  const [dynamodb, fauxqs, ses, secretsManager] = started as [RunningEmulator, RunningEmulator, RunningEmulator, RunningEmulator];
  const region = options.region ?? 'us-east-1';
  let scheduler: RunningEmulator;
  try {
    // It fires into SQS, so it starts once fauxqs is up.
    scheduler = await startSchedulerStandIn({ ...common('scheduler-local'), port: options.ports?.scheduler, region, sqsEndpoint: fauxqs.endpoint });
  } catch (error) {
    await Promise.allSettled(started.map((emulator) => emulator.stop()));
    throw error;
  }
  started.push(scheduler);
  let stopping: Promise<void> | undefined;
  return {
    region,
    endpoints: { dynamodb: dynamodb.endpoint, sqs: fauxqs.endpoint, s3: fauxqs.endpoint, ses: ses.endpoint, scheduler: scheduler.endpoint, secretsManager: secretsManager.endpoint },
    stop() {
      stopping ??= stopAll(started);
      return stopping;
    },
  };
}

/** Stops all, even when one fails; rejects with the first failure after all have been tried. */
export async function stopAll(stoppable: readonly { stop(): Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(stoppable.map((item) => item.stop()));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
}
