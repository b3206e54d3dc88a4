import type { Writable } from 'node:stream';

/**
 * A reader that has seen enough (`memberships exports list | head -1`) closes
 * its end of the pipe, and the CLI's next write fails with EPIPE. That is the
 * reader's choice, not a failure of the command: without this, Node reports
 * the write error as an unhandled 'error' event, with a stack trace, exit 1.
 *
 * - stdout gone: nobody reads the result any more, so stop at once, exit 0
 *   (under `set -o pipefail` the pipeline then succeeds, as `head` did).
 * - stderr gone: notes and errors have nowhere to go; the command carries on
 *   without them and its result still goes to stdout.
 */
export function handleBrokenPipes(streams: { readonly stdout: Writable; readonly stderr: Writable }, exit: (code: number) => void): void {
  streams.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (!isBrokenPipe(error)) throw error;
    exit(0);
  });
  streams.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (!isBrokenPipe(error)) throw error;
  });
}

/** EPIPE, or a write after the stream was closed by an earlier EPIPE. */
function isBrokenPipe(error: NodeJS.ErrnoException): boolean {
  return error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
}
