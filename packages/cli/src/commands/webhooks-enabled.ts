import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';

/** `webhooks enable` and `webhooks disable`: the one switch of an endpoint (PATCH enabled). */
function switchCommand(ctx: CommandContext, enabled: boolean): Command {
  const name = enabled ? 'enable' : 'disable';
  return new Command(name)
    .description(
      enabled
        ? 'Turn an endpoint on again, e.g. after it was disabled for failing too long (its failures are forgotten).'
        : 'Stop sending events to an endpoint until you enable it again.',
    )
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .option('--json', 'print the endpoint as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks ${name} we_3f9c2e718b4d4a6e9d157c2b`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const endpoint = await client.webhooks.update(id, { enabled }, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(endpoint);
        return;
      }
      ctx.output.result(
        enabled
          ? `Enabled webhook endpoint ${endpoint.id}: events are sent to ${endpoint.url} again.`
          : `Disabled webhook endpoint ${endpoint.id}: no events are sent until you run memberships webhooks enable ${endpoint.id}`,
      );
    });
}

export const webhooksEnableCommand = (ctx: CommandContext): Command => switchCommand(ctx, true);
export const webhooksDisableCommand = (ctx: CommandContext): Command => switchCommand(ctx, false);
