import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
import { addExportFlags, EXPORT_FLAGS_HELP, exportRequestOf, type ParsedExportFlags } from '../export-flags.js';
import { describeSchedule } from '../format.js';
import { dayOfMonth, timeOfDay, timeZone } from '../option-parsers.js';
import { signedInClient } from '../session.js';

interface UpdateOptions extends ParsedExportFlags {
  day?: number;
  time?: string;
  timeZone?: string;
  json?: boolean;
}

export function scheduleUpdateCommand(ctx: CommandContext): Command {
  const command = new Command('update')
    .description('Change when a schedule runs or what its file holds; what you leave out stays as it is.')
    .argument('<id>', 'schedule id (see: memberships schedule list)')
    .option('--day <n>', 'day of the month, 1-28', dayOfMonth)
    .option('--time <HH:MM>', 'local time of day, 24-hour clock', timeOfDay)
    .option('--time-zone <zone>', 'IANA time zone of the time, e.g. Europe/Berlin', timeZone)
    .option('--json', 'print the changed schedule as JSON');
  return addExportFlags(command, '--export-time-zone')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --day 15
  $ memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --time 07:30 --time-zone America/New_York
  $ memberships schedule update 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f --format jsonl --gzip

Any export flag replaces the file's options whole: flags you leave out go back to their
defaults (every column and row as CSV), so give all the ones you want.
${EXPORT_FLAGS_HELP}`,
    )
    .action(async (id: string, options: UpdateOptions) => {
      const request = exportRequestOf(options, '--export-time-zone');
      if (options.day === undefined && options.time === undefined && options.timeZone === undefined && !request) {
        throw new UsageError('Nothing to change.', 'Pass at least one of --day, --time, --time-zone, or export flags such as --format.');
      }
      const client = await signedInClient(ctx);
      const schedule = await client.schedules.update(
        id,
        {
          day_of_month: options.day,
          time_of_day: options.time,
          time_zone: options.timeZone,
          // PATCH replaces `export` whole: what the flags ask for, the defaults for the rest.
          ...(request ? { export: request } : {}),
        },
        { signal: ctx.signal },
      );
      if (options.json) {
        ctx.output.json(schedule);
        return;
      }
      for (const line of describeSchedule(schedule, ctx.output.out, ctx.env.localTimeZone)) ctx.output.result(line);
    });
}
