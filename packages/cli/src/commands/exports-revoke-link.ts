import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';

/**
 * `memberships exports revoke-link ID`: the download link in the export's
 * email stops working at once, for a mail forwarded by mistake or a mailbox
 * someone else reads. The file itself stays downloadable with this CLI.
 */
export function exportsRevokeLinkCommand(ctx: CommandContext): Command {
  return new Command('revoke-link')
    .description('Stop the download link emailed for an export: it stops working at once.')
    .argument('<id>', 'export id (see: memberships exports list)')
    .addHelpText(
      'after',
      `
Whoever opens the link from then on is told it was revoked. You can still
download the file with: memberships exports download ID --output FILE
To turn off emailed links for every export: memberships settings emailed-links off

Examples:
  $ memberships exports revoke-link 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports downloads 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38   # who used it so far`,
    )
    .action(async (id: string) => {
      const client = await signedInClient(ctx);
      await client.exports.revokeLink(id, { signal: ctx.signal });
      ctx.output.result(`The download link emailed for export ${id} no longer works.`);
      ctx.output.note(`You can still download the file with: memberships exports download ${id} --output FILE`);
    });
}
