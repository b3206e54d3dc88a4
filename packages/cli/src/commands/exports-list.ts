import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { jobTable } from '../format.js';
import { integerBetween } from '../option-parsers.js';
import { signedInClient } from '../session.js';

export function exportsListCommand(ctx: CommandContext): Command {
  return new Command('list')
    .alias('ls')
    .description('List your exports, newest first.')
    .option('--limit <n>', 'how many to show (1-100)', integerBetween(1, 100), 20)
    .option('--cursor <cursor>', 'continue after a previous page (printed when there are more)')
    .option('--json', 'print the page as JSON: {"items": [...], "next_cursor": "..."}')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports list
  $ memberships exports list --limit 5 --json | jq -r '.items[].id'`,
    )
    .action(async (options: { limit: number; cursor?: string; json?: boolean }) => {
      const client = await signedInClient(ctx);
      const page = await client.exports.list({ limit: options.limit, cursor: options.cursor, signal: ctx.signal });
      if (options.json) {
        ctx.output.json(page);
        return;
      }
      if (page.items.length === 0) {
        ctx.output.note('No exports yet. Start one with: memberships export');
        return;
      }
      for (const line of jobTable(page.items, ctx.output.out)) ctx.output.result(line);
      if (page.next_cursor) ctx.output.note(`More: memberships exports list --limit ${options.limit} --cursor ${page.next_cursor}`);
    });
}
