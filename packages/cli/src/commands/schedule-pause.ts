import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { signedInClient } from '../session.js';

export function schedulePauseCommand(ctx: CommandContext): Command {
  return new Command('pause')
    .description('Stop a schedule from running until you resume it (it keeps its settings).')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('--json', 'print the paused schedule as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule pause 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f

Pausing a paused schedule changes nothing. Months missed while paused are not made up on resume.`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.pause(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      ctx.output.result(`Paused schedule ${schedule.id}: no exports until you resume it with: memberships schedule resume ${schedule.id}`);
    });
}
