import { childEnv, describeExit, ManagedProcess } from '../managed-process';
import { ProcessStartError, ProcessStopError } from '../errors';

/** A running emulator: where to reach it and how to stop it. */
export interface RunningEmulator {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** The Node.js version the emulator's process runs on (`v26.10.0`); undefined for a non-Node process (DynamoDB Local's JVM). */
  readonly nodeVersion: string | undefined;
  /** Stops the child process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** How long to wait for the emulator to accept connections. Default 60 s. */
  readonly startTimeoutMs?: number;
  /** Receives every line the emulator prints (default: kept only for error messages). */
  readonly onLine?: (line: string) => void;
}

// Our Node runners add the runtime they run on (`listening 4566 node=v26.10.0`); the JVM launcher does not.
const READY_LINE = /^listening (\d+)(?: node=(v\d+\.\d+\.\d+))?$/;
// Generous: on a busy machine the JVM alone can take tens of seconds to come up.
const DEFAULT_START_TIMEOUT_MS = 60_000;

/**
 * Starts a child that prints `listening <port>` (Node runners: `listening <port> node=<version>`) once it accepts connections
 * on 127.0.0.1 (our runners and the Java launcher all do), and exits when its
 * stdin closes (so it dies with this process).
 */
export async function startEmulatorProcess(
  name: string,
  command: string,
  args: readonly string[],
  options: EmulatorOptions & { readonly env?: Record<string, string> },
): Promise<RunningEmulator> {
  const child = new ManagedProcess({
    name,
    command,
    args,
    env: childEnv(options.env ?? {}),
    parentWatch: 'stdin',
    keepLines: 200,
    onLine: options.onLine,
  });
  let port: number;
  let nodeVersion: string | undefined;
  try {
    const line = await child.waitForLine((candidate) => READY_LINE.test(candidate), options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    const ready = READY_LINE.exec(line);
    port = Number(ready?.[1]);
    nodeVersion = ready?.[2];
  } catch (error) {
    await child.kill();
    if (error instanceof ProcessStartError) throw error;
    throw new ProcessStartError(name, (error as Error).message.split('\n')[0] ?? 'timed out', child.tail());
  }
  let stopping: Promise<void> | undefined;
  return {
    name,
    port,
    nodeVersion,
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      stopping ??= child.stop('SIGTERM', 10_000).then((info) => {
        // Our runners exit 0 on SIGTERM; the JVM reports 143 (128 + SIGTERM) after its shutdown hooks.
        if (info.code !== 0 && info.code !== 143 && info.signal !== 'SIGTERM') {
          throw new ProcessStopError(name, `it exited with ${describeExit(info)}`, child.tail());
        }
      });
      return stopping;
    },
  };
}
