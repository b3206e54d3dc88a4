import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { downloadTable, formatDownloads } from '../format.js';
import { signedInClient } from '../session.js';

/**
 * `memberships exports downloads ID`: who downloaded an export's file, when
 * and how (API, emailed link, CLI, SDK), so a forwarded link shows up. The
 * API keeps the latest 50 in detail and counts every one.
 */
export function exportsDownloadsCommand(ctx: CommandContext): Command {
  return new Command('downloads')
    .description("List the downloads of an export's file: when, how, from which address.")
    .argument('<id>', 'export id (see: memberships exports list)')
    .option('--json', 'print them as JSON: {"download_count": N, "last_downloaded_at": "...", "items": [...]}')
    .addHelpText(
      'after',
      `
Newest first; the latest 50 are listed, every download is counted. VIA is
api, email_link (the link in the export email), cli or sdk. A link you did
not expect to be used can be stopped with: memberships exports revoke-link ID

Examples:
  $ memberships exports downloads 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports downloads 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --json | jq -r '.items[] | select(.via == "email_link") | .client_address'`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const downloads = await client.exports.downloads(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(downloads);
        return;
      }
      if (downloads.download_count === 0) {
        ctx.output.note(`Export ${id} has not been downloaded yet.`);
        return;
      }
      for (const line of downloadTable(downloads.items, ctx.output.out)) ctx.output.result(line);
      const shown = downloads.items.length < downloads.download_count ? ` (the latest ${downloads.items.length} listed)` : '';
      ctx.output.note(`Downloaded ${formatDownloads(downloads)}${shown}.`);
    });
}
