import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { addExportFlags, EXPORT_FLAGS_HELP, exportRequestOf, type ParsedExportFlags } from '../export-flags.js';
import { describeSchedule, describeTiming } from '../format.js';
import { dayOfMonth, timeOfDay, timeZone } from '../option-parsers.js';
import { signedInClient } from '../session.js';

interface CreateOptions extends ParsedExportFlags {
  day?: number;
  time?: string;
  timeZone?: string;
  json?: boolean;
}

export function scheduleCreateCommand(ctx: CommandContext): Command {
  const machineZone = ctx.env.localTimeZone;
  const command = new Command('create')
    .description('Subscribe to a monthly export: on the day and time you choose, your memberships are exported and emailed to you.')
    .option('--day <n>', 'day of the month, 1-28 (default: 1)', dayOfMonth)
    .option('--time <HH:MM>', 'local time of day, 24-hour clock (default: 06:00)', timeOfDay)
    .option('--time-zone <zone>', `IANA time zone of --time (default: this machine's, ${machineZone ?? 'unknown here'})`, timeZone)
    .option('--json', 'print the new schedule as JSON');
  return addExportFlags(command, '--export-time-zone')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule create                                  # the 1st of every month at 06:00, your time zone
  $ memberships schedule create --day 15 --time 18:30
  $ memberships schedule create --day 1 --time 06:00 --time-zone Europe/Berlin --json
  $ memberships schedule create --format xlsx --status active --columns id,club_name,ends_on
  $ memberships schedule create --excel --locale de-DE --time-zone Europe/Berlin --export-time-zone Europe/Berlin

The export flags choose what every monthly file holds (default: every column and row as CSV).
${EXPORT_FLAGS_HELP}

The schedule follows daylight-saving changes of its time zone. An account can have a few schedules (5 unless the API is set up otherwise).`,
    )
    .action(async (options: CreateOptions) => {
      const request = exportRequestOf(options, '--export-time-zone');
      const zone = options.timeZone ?? machineZone;
      if (!zone) {
        throw new UsageError('This machine has no time zone name to default to.', 'Pass one: --time-zone Europe/Berlin (or UTC).');
      }
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.create(
        { day_of_month: options.day, time_of_day: options.time, time_zone: zone, ...(request ? { export: request } : {}) },
        { signal: ctx.signal },
      );
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      for (const line of describeSchedule(schedule, ctx.output.out, ctx.env.localTimeZone)) ctx.output.result(line);
      ctx.output.note(
        `${ctx.output.err.green('✓')} Subscribed: your memberships are exported and emailed to you on ${describeTiming(schedule)}.`,
      );
      if (!options.timeZone) ctx.output.note(`Time zone ${zone} is this machine's; choose another with --time-zone.`);
    });
}
