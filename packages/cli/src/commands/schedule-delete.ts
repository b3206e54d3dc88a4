import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { describeTiming } from '../format.js';
import { signedInClient } from '../session.js';

export function scheduleDeleteCommand(ctx: CommandContext): Command {
  return new Command('delete')
    .alias('rm')
    .description('Delete a schedule for good: no more monthly exports from it. Asks first unless --yes.')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('-y, --yes', 'delete without asking (needed when stdin is not a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule delete 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f
  $ memberships schedule delete 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --yes   # in scripts

To stop it for a while instead, use: memberships schedule pause ID`,
    )
    .action(async (id: string, options: { yes?: boolean }) => {
      const interactive = Boolean(ctx.output.streams.stdin.isTTY);
      if (!options.yes && !interactive) {
        throw new UsageError(
          'Deleting a schedule needs confirmation, and stdin is not a terminal to ask.',
          `Pass --yes to delete without asking: memberships schedule delete ${id} --yes`,
        );
      }
      const client = await signedInClient(ctx);
      if (!options.yes) {
        // Fetched first so the question says what is at stake, and an unknown id fails before asking.
        const schedule = await client.schedules.get(id, { signal: ctx.signal });
        const { confirm } = await import('@inquirer/prompts');
        const sure = await confirm(
          { message: `Delete schedule ${id} (${describeTiming(schedule)})?`, default: false },
          { input: ctx.output.streams.stdin, output: ctx.output.streams.stderr, signal: ctx.signal },
        );
        if (!sure)
          throw new CliError('not_confirmed', `Schedule ${id} was not deleted.`, {
            suggestion: `To stop it for a while instead: memberships schedule pause ${id}`,
          });
      }
      await client.schedules.delete(id, { signal: ctx.signal });
      ctx.output.result(`Deleted schedule ${id}: no more monthly exports from it.`);
    });
}
