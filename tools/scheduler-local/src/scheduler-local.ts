import { SQSClient } from '@aws-sdk/client-sqs';
import { schedulerApiRoutes } from './api-routes';
import { Clock } from './clock';
import { SchedulerLocalError } from './errors';
import { FaultInjector, type ArmedFault } from './faults';
import { FiringEngine, type FiringFilter } from './firing-engine';
import { listen } from './http-server';
import { silentLogger } from './logger';
import { ScheduleStore } from './schedule-store';
import { SchedulerService } from './scheduler-service';
import { SqsTargets } from './sqs-target';
import { testRoutes } from './test-routes';
import type { FaultSpec, Firing, SchedulerLocalOptions } from './types';

/** A running stand-in. */
export interface SchedulerLocal {
  /** `http://127.0.0.1:<port>`: the `endpoint` for `new SchedulerClient({ endpoint, region })`. */
  readonly endpoint: string;
  readonly port: number;
  /** The stand-in's current time. */
  now(): Date;
  /**
   * Sets the clock (forwards or backwards; a real clock becomes manual) and
   * delivers everything due up to it. Resolves with the firings that became
   * final during this move (pending ones, e.g. inside a flexible window, are in firings()).
   */
  setTime(instant: Date | string): Promise<Firing[]>;
  /** Fires what is due at the current time; resolves with the firings that became final. */
  tick(): Promise<Firing[]>;
  /** Every firing so far, oldest first, pending ones included. */
  firings(filter?: FiringFilter): Firing[];
  clearFirings(): void;
  /** Makes the next `count` calls of an operation fail (see FaultSpec). */
  injectFault(fault: FaultSpec): ArmedFault;
  clearFaults(): void;
  /** Stops the timer and the server, waits for a delivery run under way. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_TICK_MS = 1000;
const DEFAULT_ACCOUNT_ID = '000000000000';
const DEFAULT_MAX_FIRINGS_PER_CLOCK_MOVE = 10_000;
/** The emulators accept any credentials; fixed ones keep the SDK from searching a developer's real profile. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Starts the EventBridge Scheduler stand-in on 127.0.0.1: the Scheduler API
 * subset over HTTP (for the real @aws-sdk/client-scheduler), firing due
 * schedules into SQS, plus the /_test endpoints. See README.md.
 */
export async function startSchedulerLocal(options: SchedulerLocalOptions = {}): Promise<SchedulerLocal> {
  const logger = options.logger ?? silentLogger;
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  if (!Number.isInteger(tickMs) || tickMs < 1)
    throw new SchedulerLocalError('invalid_option', `tickMs must be a positive integer, got ${tickMs}.`);
  const maxFirings = options.maxFiringsPerClockMove ?? DEFAULT_MAX_FIRINGS_PER_CLOCK_MOVE;
  const startTime = options.startTime === undefined ? undefined : new Date(options.startTime);
  if (startTime && Number.isNaN(startTime.getTime()))
    throw new SchedulerLocalError('invalid_option', `startTime is not a date: ${String(options.startTime)}.`);
  if (!options.sqsClient && !options.sqs)
    throw new SchedulerLocalError('invalid_option', 'Give sqs: { endpoint, region } (or an sqsClient) so schedules can fire.');

  const ownSqsClient = options.sqsClient
    ? undefined
    : new SQSClient({
        region: options.sqs!.region,
        ...(options.sqs!.endpoint
          ? { endpoint: options.sqs!.endpoint, credentials: { ...(options.sqs!.credentials ?? LOCAL_CREDENTIALS) } }
          : {}),
        ...(!options.sqs!.endpoint && options.sqs!.credentials ? { credentials: { ...options.sqs!.credentials } } : {}),
      });
  const sqsClient = options.sqsClient ?? ownSqsClient!;
  const region = options.region ?? options.sqs?.region ?? 'us-east-1';

  const clock = new Clock(options.clock ?? 'manual', options.timeSource, startTime);
  const faults = new FaultInjector();
  const store = new ScheduleStore({ region, accountId: options.accountId ?? DEFAULT_ACCOUNT_ID }, clock.now());
  const engine = new FiringEngine(store, clock, new SqsTargets(sqsClient), faults, logger);
  const service = new SchedulerService(store, engine, clock, faults, logger, maxFirings);

  let server;
  try {
    server = await listen([...schedulerApiRoutes(service), ...testRoutes(service, engine, clock, faults)], options.port ?? 0, logger);
  } catch (error) {
    ownSqsClient?.destroy();
    throw error;
  }

  // The real clock's heartbeat: each tick waits for the previous one, so ticks never overlap.
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<unknown> = Promise.resolve();
  if (clock.mode === 'real') {
    timer = setInterval(() => {
      // Once a test has set the clock it is manual: the timer has nothing left to do.
      if (clock.mode !== 'real') return;
      ticking = ticking
        .then(() => service.tick())
        .catch((error: unknown) => logger.error({ error: String(error) }, 'scheduled tick failed'));
    }, tickMs);
  }
  logger.info({ port: server.port, node: process.version, clock: clock.mode, now: clock.now().toISOString() }, 'scheduler-local listening');

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    port: server.port,
    now: () => clock.now(),
    setTime: (instant) => {
      const date = new Date(instant);
      if (Number.isNaN(date.getTime())) return Promise.reject(new SchedulerLocalError('invalid_clock', `Not a date: ${String(instant)}.`));
      return service.setTime(date);
    },
    tick: () => service.tick(),
    firings: (filter) => engine.firings(filter),
    clearFirings: () => engine.clearFirings(),
    injectFault: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    stop: () => {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        await ticking;
        await server.close();
        // Let a delivery run under way finish before its client goes.
        await engine.settled();
        ownSqsClient?.destroy();
        logger.info({}, 'scheduler-local stopped');
      })();
      return stopping;
    },
  };
}
