import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';
import { describeEndpoint } from '../webhook-format.js';

export function webhooksShowCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description('Show one webhook endpoint (never its secret).')
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .option('--json', 'print it as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks show we_3f9c2e718b4d4a6e9d157c2b`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const endpoint = await client.webhooks.get(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(endpoint);
        return;
      }
      for (const line of describeEndpoint(endpoint, ctx.output.out)) ctx.output.result(line);
    });
}
