#!/usr/bin/env node
// The CLI as a process, started by bin/memberships.js (the `memberships` command).
// It keeps its #! line for checkouts whose node_modules/.bin still links here.
import { handleBrokenPipes } from './broken-pipe.js';
import { readEnvironment } from './config.js';
import { EXIT } from './errors.js';
import { Interrupts } from './interrupts.js';
import { run } from './program.js';

/** After Ctrl+C, how long the command gets to clean up (temporary files) before the process exits anyway. */
const INTERRUPT_GRACE_MS = 2_000;

// `memberships … | head -1`: a reader that stops early ends the CLI quietly.
handleBrokenPipes(process, (code) => process.exit(code));

// Ctrl+C aborts whatever is in flight and the command unwinds to exit 130. If
// something does not unwind (a read that cannot be cancelled), the grace timer
// or a second Ctrl+C ends the process. A command that intercepts Ctrl+C (export,
// to offer to cancel what it waits for) gets no timer: a person is answering.
const interrupts = new Interrupts();
process.on('SIGINT', () => {
  const outcome = interrupts.interrupt();
  if (outcome === 'repeated') process.exit(EXIT.interrupted);
  if (outcome === 'aborted') setTimeout(() => process.exit(EXIT.interrupted), INTERRUPT_GRACE_MS).unref();
});

const code = await run(process.argv, {
  env: readEnvironment(process.env),
  streams: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  interrupts,
});
if (interrupts.signal.aborted) {
  // The command has cleaned up; do not wait for reads Ctrl+C left behind (stdin).
  process.exit(EXIT.interrupted);
}
// After an intercepted Ctrl+C, the same: a prompt's read of stdin must not keep the process.
if (interrupts.interrupted) process.exit(code);
process.exitCode = code;
