import { createWorker, type Worker } from '../worker';
import { captureLogs, type CapturedLogs, type LogRecord } from './log-capture';
import type { WorkerTestEnvironment } from './worker-environment';

/** Short waits, so stopping does not sit in a 10 s long poll and a retry not in a 10 s backoff. */
export const SHORT_WAITS: Readonly<Record<string, string>> = Object.freeze({
  RECEIVE_WAIT_SECONDS: '1',
  RETRY_BASE_DELAY_SECONDS: '1',
  HEARTBEAT_INTERVAL_SECONDS: '2',
});

export interface InProcessWorkersOptions {
  /** Environment every worker of the file starts with (a test's `extra` goes on top). */
  readonly defaults: Readonly<Record<string, string>>;
  /** Runs after each test before the workers stop (e.g. closing proxies, so a call a hung proxy holds fails and the worker can stop). */
  readonly beforeStop?: () => Promise<unknown>;
}

export type StartWorker = (
  env: WorkerTestEnvironment,
  extra?: Record<string, string>,
  onRecord?: (record: LogRecord) => void,
) => Promise<{ worker: Worker; logs: CapturedLogs }>;

/**
 * The worker in-process (createWorker, real SDK clients and pg pool) for
 * the tests of one file, each with its logs captured, and all of them
 * stopped after every test, so none outlives the test that started it.
 * Registers that afterEach itself: call it once, at the top of the file.
 */
export function inProcessWorkers({ defaults, beforeStop }: InProcessWorkersOptions): StartWorker {
  const running: Worker[] = [];
  afterEach(async () => {
    await beforeStop?.();
    await Promise.all(running.splice(0).map((worker) => worker.stop(0)));
  });
  return async (env, extra = {}, onRecord) => {
    const logs = captureLogs('debug', onRecord);
    const worker = createWorker(env.config({ ...defaults, ...extra }), logs.logger);
    running.push(worker);
    await worker.start();
    return { worker, logs };
  };
}
