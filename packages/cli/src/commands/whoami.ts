import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { describeUser } from '../format.js';
import { signedInClient } from '../session.js';

export function whoamiCommand(ctx: CommandContext): Command {
  return new Command('whoami')
    .description('Show the account you are logged in as.')
    .option('--json', 'print the account as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships whoami
  $ memberships whoami --json | jq -r .email`,
    )
    .action(async (options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const me = await client.auth.me({ signal: ctx.signal });
      if (options.json) {
        ctx.output.json(me);
        return;
      }
      for (const line of describeUser(me)) ctx.output.result(line);
    });
}
