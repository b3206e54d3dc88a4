import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatTime } from '../format.js';
import { signedInClient } from '../session.js';

export function webhooksRotateSecretCommand(ctx: CommandContext): Command {
  return new Command('rotate-secret')
    .description('Give an endpoint a new signing secret, printed once; the old one keeps signing beside it for a day.')
    .argument('<id>', 'endpoint id (see: memberships webhooks list)')
    .option('--json', 'print the endpoint as JSON, its new secret included')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships webhooks rotate-secret we_3f9c2e718b4d4a6e9d157c2b

Until the old secret expires, every request carries two v1= signatures, one per secret:
give your receiver the new secret (or both) within that time.`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const endpoint = await client.webhooks.rotateSecret(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(endpoint);
        return;
      }
      ctx.output.result(`Secret    ${endpoint.secret}`);
      ctx.output.note(`${ctx.output.err.yellow('!')} The new secret is shown only now: store it where your receiver verifies signatures.`);
      if (endpoint.previous_secret_expires_at) {
        ctx.output.note(`The old secret keeps signing until ${formatTime(endpoint.previous_secret_expires_at)}.`);
      }
    });
}
