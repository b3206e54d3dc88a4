import { Argument, Command } from 'commander';
import type { CommandContext } from '../context.js';
import { onOff } from '../format.js';
import { signedInClient } from '../session.js';

/**
 * `memberships settings emailed-links [on|off]`: whether an export too large
 * to attach is emailed with a download link. Off also stops the links
 * emailed before, so it is the one switch for "links in my mailbox worry me".
 * Without on or off it says how it is set.
 */
export function settingsEmailedLinksCommand(ctx: CommandContext): Command {
  return new Command('emailed-links')
    .description('Show, or turn on or off, the download links in export emails.')
    .addArgument(new Argument('[state]', 'on or off (leave out to see how it is set)').choices(['on', 'off']))
    .option('--json', 'print your account as JSON (emailed_download_links: true or false)')
    .addHelpText(
      'after',
      `
Off: an export too large to attach is emailed without a link, and links
emailed before stop working; download the file with
memberships exports download ID --output FILE. On: those exports come with a
link that works until the file expires (links emailed before work again,
except the ones you revoked with memberships exports revoke-link ID).

Examples:
  $ memberships settings emailed-links
  $ memberships settings emailed-links off
  $ memberships settings emailed-links on --json | jq .emailed_download_links`,
    )
    .action(async (state: 'on' | 'off' | undefined, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const user =
        state === undefined
          ? await client.auth.me({ signal: ctx.signal })
          : await client.auth.updateMe({ emailed_download_links: state === 'on' }, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(user);
        return;
      }
      const now = onOff(user.emailed_download_links);
      ctx.output.result(`Emailed download links are ${now}.`);
      ctx.output.note(
        now === 'on'
          ? 'Exports too large to attach are emailed with a link that works until the file expires. Turn them off with: memberships settings emailed-links off'
          : 'Exports too large to attach are emailed without a link; download them with: memberships exports download ID --output FILE',
      );
    });
}
