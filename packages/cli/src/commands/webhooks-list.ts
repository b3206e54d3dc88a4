import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';
import { endpointTable } from '../webhook-format.js';

export function webhooksListCommand(ctx: CommandContext): Command {
  return new Command('list')
    .alias('ls')
    .description('List your webhook endpoints: their URL, events and whether they are enabled.')
    .option('--json', 'print them as JSON: {"items": [...]}')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks list
  $ memberships webhooks list --json | jq -r '.items[] | select(.status == "disabled") | .id'`,
    )
    .action(async (options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const list = await client.webhooks.list({ signal: ctx.signal });
      if (options.json) {
        ctx.output.json(list);
        return;
      }
      if (list.items.length === 0) {
        ctx.output.note('No webhook endpoints yet. Register one with: memberships webhooks create --url https://…');
        return;
      }
      for (const line of endpointTable(list.items, ctx.output.out)) ctx.output.result(line);
    });
}
