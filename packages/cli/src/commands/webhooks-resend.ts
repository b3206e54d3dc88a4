import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';

export function webhooksResendCommand(ctx: CommandContext): Command {
  return new Command('resend')
    .description('Send a delivery again: the same event (same id and body), signed anew, within seconds.')
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .argument('<delivery-id>', 'delivery id (see: memberships webhooks deliveries ID)')
    .option('--json', 'print the delivery as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks resend we_3f9c2e718b4d4a6e9d157c2b wd_8a4b4c3d9e2f1a2b3c4d5e6f

Your receiver sees the event id again: handle events by id, once.`,
    )
    .action(async (id: string, deliveryId: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const delivery = await client.webhooks.resend(id, deliveryId, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(delivery);
        return;
      }
      ctx.output.result(
        `Queued delivery ${delivery.id} (${delivery.event_type} of export ${delivery.job_id}) to be sent again. ` +
          `See how it went with: memberships webhooks deliveries ${id}`,
      );
    });
}
