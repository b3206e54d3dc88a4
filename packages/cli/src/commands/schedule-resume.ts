import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { formatNextRun } from '../format.js';
import { signedInClient } from '../session.js';

export function scheduleResumeCommand(ctx: CommandContext): Command {
  return new Command('resume')
    .description('Let a paused schedule run again, from its next date on.')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('--json', 'print the resumed schedule as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule resume 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f

Resuming an active schedule changes nothing. Months missed while paused are not made up.`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.resume(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      ctx.output.result(`Resumed schedule ${schedule.id}. Next run: ${formatNextRun(schedule, ctx.env.localTimeZone)}.`);
    });
}
