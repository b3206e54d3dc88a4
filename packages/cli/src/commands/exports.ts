import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { exportsCancelCommand } from './exports-cancel.js';
import { exportsDownloadCommand } from './exports-download.js';
import { exportsDownloadsCommand } from './exports-downloads.js';
import { exportsListCommand } from './exports-list.js';
import { exportsRevokeLinkCommand } from './exports-revoke-link.js';
import { exportsShowCommand } from './exports-show.js';

export function exportsCommand(ctx: CommandContext): Command {
  return new Command('exports')
    .description('List, inspect, download and cancel your exports.')
    .addCommand(exportsListCommand(ctx))
    .addCommand(exportsShowCommand(ctx))
    .addCommand(exportsDownloadCommand(ctx))
    .addCommand(exportsCancelCommand(ctx))
    .addCommand(exportsDownloadsCommand(ctx))
    .addCommand(exportsRevokeLinkCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports list
  $ memberships exports show 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports download 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --output memberships.csv
  $ memberships exports cancel 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports downloads 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports revoke-link 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38`,
    );
}
