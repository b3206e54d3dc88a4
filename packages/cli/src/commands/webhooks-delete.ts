import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { signedInClient } from '../session.js';

export function webhooksDeleteCommand(ctx: CommandContext): Command {
  return new Command('delete')
    .alias('rm')
    .description('Delete a webhook endpoint: no more events are sent to it. Asks first unless --yes.')
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .option('-y, --yes', 'delete without asking (needed when stdin is not a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks delete we_3f9c2e718b4d4a6e9d157c2b
  $ memberships webhooks delete we_3f9c2e718b4d4a6e9d157c2b --yes   # in scripts

To stop the events for a while instead: memberships webhooks disable ID`,
    )
    .action(async (id: string, options: { yes?: boolean }) => {
      const interactive = Boolean(ctx.output.streams.stdin.isTTY);
      if (!options.yes && !interactive) {
        throw new UsageError(
          'Deleting a webhook endpoint needs confirmation, and stdin is not a terminal to ask.',
          `Pass --yes to delete without asking: memberships webhooks delete ${id} --yes`,
        );
      }
      const client = await signedInClient(ctx);
      if (!options.yes) {
        // Fetched first so the question names the URL, and an unknown id fails before asking.
        const endpoint = await client.webhooks.get(id, { signal: ctx.signal });
        const { confirm } = await import('@inquirer/prompts');
        const sure = await confirm(
          { message: `Delete webhook endpoint ${id} (${endpoint.url})?`, default: false },
          { input: ctx.output.streams.stdin, output: ctx.output.streams.stderr, signal: ctx.signal },
        );
        if (!sure)
          throw new CliError('not_confirmed', `Webhook endpoint ${id} was not deleted.`, {
            suggestion: `To stop its events for a while instead: memberships webhooks disable ${id}`,
          });
      }
      await client.webhooks.delete(id, { signal: ctx.signal });
      ctx.output.result(`Deleted webhook endpoint ${id}: no more events are sent to it.`);
    });
}
