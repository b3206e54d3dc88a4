import { Command } from 'commander';
import { NetworkError } from '@memberships/sdk';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';
import { sameApi, signedInClient } from '../session.js';

export function logoutCommand(ctx: CommandContext): Command {
  return new Command('logout')
    .description('Revoke your session on the server and remove the stored credentials.')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships logout`,
    )
    .action(async () => {
      const stored = await ctx.store.readCredentials();
      if (!stored) {
        ctx.output.note('Not logged in; nothing to do.');
        return;
      }
      if (!sameApi(stored.apiUrl, ctx.apiUrl)) {
        // The session belongs to another API; revoke it there, not here.
        ctx.apiUrl = stored.apiUrl;
      }
      try {
        const client = await signedInClient(ctx);
        await client.auth.logout({ signal: ctx.signal });
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        await ctx.store.deleteCredentials();
        throw new CliError('logout_incomplete', `Removed the local credentials, but could not reach ${ctx.apiUrl} to revoke the session.`, {
          suggestion: 'The session expires by itself within 30 days; run memberships logout again when the API is reachable to end it now.',
          cause: error,
        });
      }
      await ctx.store.deleteCredentials();
      ctx.output.note(`Logged out of ${ctx.apiUrl}.`);
    });
}
