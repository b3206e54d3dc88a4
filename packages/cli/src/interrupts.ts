/**
 * Where Ctrl+C (SIGINT) goes. By default it aborts the run's signal, and every
 * call in flight unwinds to exit code 130. A command with something to ask
 * first takes Ctrl+C over for a while with `intercept` (`export` does while it
 * waits, to offer to cancel the export): its handler gets every Ctrl+C until
 * it lets go, and the signal stays unaborted, so the calls that follow (the
 * question, the cancel request) still run.
 */
export type InterruptOutcome =
  /** A command's handler took it. */
  | 'intercepted'
  /** The signal was aborted: the command unwinds. */
  | 'aborted'
  /** The signal was already aborted: the command did not unwind in time, the process should end. */
  | 'repeated';

export class Interrupts {
  private readonly controller = new AbortController();
  private handler: (() => void) | undefined;
  private received = false;

  /** Aborted on Ctrl+C unless a command intercepts it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Has any Ctrl+C arrived, intercepted or not? */
  get interrupted(): boolean {
    return this.received;
  }

  /** One Ctrl+C. */
  interrupt(): InterruptOutcome {
    this.received = true;
    if (this.controller.signal.aborted) return 'repeated';
    if (this.handler) {
      this.handler();
      return 'intercepted';
    }
    this.controller.abort();
    return 'aborted';
  }

  /**
   * Sends every Ctrl+C to `handler` until the returned function is called.
   * One at a time: a command that intercepts does not nest another.
   */
  intercept(handler: () => void): () => void {
    if (this.handler) throw new Error('Ctrl+C is already intercepted.');
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = undefined;
    };
  }
}
