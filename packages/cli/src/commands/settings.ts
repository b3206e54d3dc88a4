import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { settingsEmailedLinksCommand } from './settings-emailed-links.js';

/** `memberships settings …`: your account's settings (what `whoami` shows, changed here). */
export function settingsCommand(ctx: CommandContext): Command {
  return new Command('settings')
    .description('Show and change your account settings.')
    .addCommand(settingsEmailedLinksCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ memberships settings emailed-links          # on or off?
  $ memberships settings emailed-links off      # large exports are emailed without a link`,
    );
}
