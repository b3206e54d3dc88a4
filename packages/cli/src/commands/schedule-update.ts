import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { describeSchedule } from '../format.js';
import { dayOfMonth, timeOfDay, timeZone } from '../option-parsers.js';
import { signedInClient } from '../session.js';

interface UpdateOptions {
  day?: number;
  time?: string;
  timeZone?: string;
  json?: boolean;
}

export function scheduleUpdateCommand(ctx: CommandContext): Command {
  return new Command('update')
    .description('Change when a schedule runs; what you leave out stays as it is.')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('--day <n>', 'day of the month, 1-28', dayOfMonth)
    .option('--time <HH:MM>', 'local time of day, 24-hour clock', timeOfDay)
    .option('--time-zone <zone>', 'IANA time zone of the time, e.g. Europe/Berlin', timeZone)
    .option('--json', 'print the changed schedule as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --day 15
  $ memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --time 07:30 --time-zone America/New_York`,
    )
    .action(async (id: string, options: UpdateOptions) => {
      if (options.day === undefined && options.time === undefined && options.timeZone === undefined) {
        throw new UsageError('Nothing to change.', 'Pass at least one of --day, --time, --time-zone.');
      }
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.update(
        id,
        { day_of_month: options.day, time_of_day: options.time, time_zone: options.timeZone },
        { signal: ctx.signal },
      );
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      for (const line of describeSchedule(schedule, ctx.output.out, ctx.env.localTimeZone)) ctx.output.result(line);
    });
}
