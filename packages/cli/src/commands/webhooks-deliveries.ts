import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { integerBetween } from '../option-parsers.js';
import { signedInClient } from '../session.js';
import { deliveryTable } from '../webhook-format.js';

interface DeliveriesOptions {
  limit?: number;
  cursor?: string;
  json?: boolean;
}

export function webhooksDeliveriesCommand(ctx: CommandContext): Command {
  return new Command('deliveries')
    .description("An endpoint's deliveries, newest first: each event sent to it, its status and its last attempt.")
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .option('--limit <n>', 'how many, 1-100 (default: 20)', integerBetween(1, 100))
    .option('--cursor <cursor>', 'the next page, from the end of the previous one')
    .option('--json', 'print the page as JSON: {"items": [...], "next_cursor"?}')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks deliveries we_3f9c2e718b4d4a6e9d157c2b
  $ memberships webhooks deliveries we_3f9c2e718b4d4a6e9d157c2b --limit 100 --json | jq -r '.items[] | select(.status == "failed") | .id'

A delivery is pending while it is retried (with backoff, for up to a day), succeeded once the
endpoint answered 2xx, failed when retries gave up. Send one again: memberships webhooks resend ID DELIVERY-ID`,
    )
    .action(async (id: string, options: DeliveriesOptions) => {
      const client = await signedInClient(ctx);
      const page = await client.webhooks.deliveries(id, { limit: options.limit, cursor: options.cursor, signal: ctx.signal });
      if (options.json) {
        ctx.output.json(page);
        return;
      }
      if (page.items.length === 0) {
        ctx.output.note('No deliveries yet: events are sent when one of your exports finishes.');
        return;
      }
      for (const line of deliveryTable(page.items, ctx.output.out)) ctx.output.result(line);
      if (page.next_cursor) ctx.output.note(`More: memberships webhooks deliveries ${id} --cursor ${page.next_cursor}`);
    });
}
