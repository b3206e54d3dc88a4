import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { exportsDownloadCommand } from './exports-download.js';
import { exportsListCommand } from './exports-list.js';
import { exportsShowCommand } from './exports-show.js';

export function exportsCommand(ctx: CommandContext): Command {
  return new Command('exports')
    .description('List, inspect and download your exports.')
    .addCommand(exportsListCommand(ctx))
    .addCommand(exportsShowCommand(ctx))
    .addCommand(exportsDownloadCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports list
  $ memberships exports show 01JD4V5Q2M8X
  $ memberships exports download 01JD4V5Q2M8X --output memberships.csv`,
    );
}
