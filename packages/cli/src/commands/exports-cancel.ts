import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { styleState } from '../format.js';
import { signedInClient } from '../session.js';

/**
 * `memberships exports cancel ID`: stops an export that is queued or running.
 * The API answers at once with the job `canceled`; a running export's worker
 * stops within seconds and emails nothing. An export that has already ended
 * is an error (exit 1, export_already_finished), so a script can tell that
 * its cancel changed nothing.
 */
export function exportsCancelCommand(ctx: CommandContext): Command {
  return new Command('cancel')
    .description('Cancel an export that is queued or running: it stops within seconds and nothing is emailed.')
    .argument('<id>', 'export id (see: memberships exports list)')
    .option('--json', 'print the canceled export as JSON')
    .addHelpText(
      'after',
      `
An export that has already finished (succeeded, failed, canceled or expired)
cannot be canceled: the command then exits 1. After a cancel you can request
a new export at once.

Examples:
  $ memberships exports cancel 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports cancel 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --json | jq -r .state`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const job = await client.exports.cancel(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(job);
        return;
      }
      ctx.output.result(`Export ${job.id} ${styleState(job.state, ctx.output.out)}.`);
    });
}
