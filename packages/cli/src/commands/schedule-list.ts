import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { scheduleTable } from '../format.js';
import { signedInClient } from '../session.js';

export function scheduleListCommand(ctx: CommandContext): Command {
  return new Command('list')
    .alias('ls')
    .description('List your monthly export schedules with their next run in your time.')
    .option('--json', 'print them as JSON: {"items": [...]}')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule list
  $ memberships schedule list --json | jq -r '.items[] | select(.state == "active") | .id'`,
    )
    .action(async (options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const list = await client.schedules.list({ signal: ctx.signal });
      if (options.json) {
        ctx.output.json(list);
        return;
      }
      if (list.items.length === 0) {
        ctx.output.note('No schedules yet. Subscribe to a monthly export with: memberships schedule create');
        return;
      }
      for (const line of scheduleTable(list.items, ctx.output.out, ctx.env.localTimeZone)) ctx.output.result(line);
    });
}
