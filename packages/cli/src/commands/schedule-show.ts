import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { describeSchedule } from '../format.js';
import { signedInClient } from '../session.js';

export function scheduleShowCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description('Show one schedule: when it runs, its state and its next run (in your time and its own zone).')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('--json', 'print the schedule as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule show 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f
  $ memberships schedule show 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --json | jq -r .next_run_at`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.get(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      for (const line of describeSchedule(schedule, ctx.output.out, ctx.env.localTimeZone)) ctx.output.result(line);
    });
}
