import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { basicProcessEnv } from './environment';
import { ProcessStartError, ProcessStopError, WaitTimeoutError } from './errors';

export type OutputStream = 'stdout' | 'stderr';

export interface ExitInfo {
  /** Exit code, or null when the process was ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  /** Shown in errors and log prefixes, e.g. `dynamodb-local` or `api`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The complete environment of the child (nothing is inherited implicitly). */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * How the child notices that this process died, so no orphan keeps a port:
   * - `stdin`: the child exits when its stdin reaches end-of-file (our emulator runners do this);
   * - `fd3`: like `stdin` but on file descriptor 3, for programs whose stdin we do not control
   *   (Node services get `--require parent-watch.js`, which watches fd 3);
   * - `none`: nothing (the child must be stopped explicitly).
   * Default `stdin`.
   */
  readonly parentWatch?: 'stdin' | 'fd3' | 'none';
  /** Lines kept in `lines` (oldest dropped first). Default: all of them. */
  readonly keepLines?: number;
  /** Called for every line the child prints, e.g. to forward it with a prefix. */
  readonly onLine?: (line: string, stream: OutputStream) => void;
}

const DEFAULT_STOP_TIMEOUT_MS = 15_000;
const OUTPUT_DRAIN_MS = 2_000;

/**
 * A child process whose output is kept line by line, that can be waited on
 * for a line, and that is stopped by signal with a deadline. The child runs
 * in its own process group, so a Ctrl+C in the terminal reaches only the
 * parent, which then stops its children in order; the parent-death watch
 * covers the case where the parent is killed outright.
 */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every line printed (stdout and stderr interleaved in arrival order), up to `keepLines`. */
  readonly lines: string[] = [];
  /** Resolves once the child has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;

  private exitInfo: ExitInfo | undefined;
  private lineCount = 0;
  private readonly keepLines: number;
  private readonly lineListeners = new Set<(line: string, index: number) => void>();

  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.keepLines = options.keepLines ?? Number.POSITIVE_INFINITY;
    const watch = options.parentWatch ?? 'stdin';
    this.child = spawn(options.command, [...options.args], {
      env: options.env,
      cwd: options.cwd,
      // Own process group: terminal signals go to the parent only (see class comment).
      detached: true,
      stdio: watch === 'fd3' ? ['ignore', 'pipe', 'pipe', 'pipe'] : [watch === 'stdin' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const spawnError = new Promise<ExitInfo>((resolve) => {
      this.child.once('error', (error) => {
        this.record(`[${this.name}] failed to run ${options.command}: ${error.message}`, 'stderr', options.onLine);
        resolve({ code: -1, signal: null });
      });
    });
    const exit = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const streamsClosed = Promise.all([
      this.readLines(this.child.stdout, 'stdout', options.onLine),
      this.readLines(this.child.stderr, 'stderr', options.onLine),
    ]);
    // 'exit' can fire before the last output is read; wait for the streams too so `lines` is
    // complete, but not forever: a grandchild that inherited them could keep them open.
    const outputRead = () => Promise.race([streamsClosed, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_MS).unref())]);
    this.exited = Promise.race([
      spawnError,
      exit.then(async (info) => {
        await outputRead();
        return info;
      }),
    ]).then((info) => {
      this.exitInfo = info;
      return info;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Set once the child has exited. */
  get exitStatus(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** Number of lines printed so far (including those dropped by `keepLines`). */
  get lineTotal(): number {
    return this.lineCount;
  }

  /**
   * Resolves with the first line matching `predicate`, looking first at lines
   * already printed (from `fromLine`, default 0: all kept lines), then at new
   * ones. Rejects when the process exits first or after `timeoutMs`.
   */
  waitForLine(predicate: (line: string) => boolean, timeoutMs = 30_000, { fromLine = 0 } = {}): Promise<string> {
    const firstKept = this.lineCount - this.lines.length;
    for (let index = Math.max(fromLine, firstKept); index < this.lineCount; index++) {
      const line = this.lines[index - firstKept];
      if (line !== undefined && predicate(line)) return Promise.resolve(line);
    }
    return new Promise<string>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.lineListeners.delete(listener);
      };
      const listener = (line: string, index: number) => {
        if (index >= fromLine && predicate(line)) {
          cleanup();
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new WaitTimeoutError(`a matching line from ${this.name}`, timeoutMs, this.tail(20).join('\n')));
      }, timeoutMs);
      this.lineListeners.add(listener);
      void this.exited.then((info) => {
        if (!this.lineListeners.has(listener)) return;
        cleanup();
        reject(new ProcessStartError(this.name, `it exited (${describeExit(info)}) before printing the expected line`, this.tail()));
      });
    });
  }

  /** Sends `signal` to the child and waits for it to exit; after `timeoutMs` kills its whole process group and rejects. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    await this.kill();
    throw new ProcessStopError(this.name, `still running ${timeoutMs} ms after ${signal}; killed`, this.tail());
  }

  /** SIGKILLs the child and everything in its process group, and waits for it to exit. */
  async kill(): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.signal('SIGKILL', { group: true });
    return this.exited;
  }

  /** The last `count` lines (all kept lines by default). */
  tail(count = 40): string[] {
    return this.lines.slice(-count);
  }

  private signal(signal: NodeJS.Signals, { group = false } = {}): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(group ? -pid : pid, signal);
    } catch (error) {
      // ESRCH: it is already gone, which is what we wanted.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  private readLines(stream: Readable | null, name: OutputStream, onLine: ManagedProcessOptions['onLine']): Promise<void> {
    if (!stream) return Promise.resolve();
    const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    reader.on('line', (line) => this.record(line, name, onLine));
    return new Promise((resolve) => reader.once('close', resolve));
  }

  private record(line: string, stream: OutputStream, onLine: ManagedProcessOptions['onLine']): void {
    const index = this.lineCount++;
    this.lines.push(line);
    if (this.lines.length > this.keepLines) this.lines.shift();
    onLine?.(line, stream);
    for (const listener of [...this.lineListeners]) listener(line, index);
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

/**
 * The environment a child gets: only what a process needs to run (PATH,
 * HOME, locale, temp dir) plus `env`. Nothing else leaks from the parent, so
 * a developer's real AWS credentials or endpoints never reach a local child.
 */
export function childEnv(env: Readonly<Record<string, string | undefined>>): NodeJS.ProcessEnv {
  const base = basicProcessEnv();
  for (const [name, value] of Object.entries(env)) if (value !== undefined) base[name] = value;
  return base;
}
