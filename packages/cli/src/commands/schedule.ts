import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { scheduleCreateCommand } from './schedule-create.js';
import { scheduleDeleteCommand } from './schedule-delete.js';
import { scheduleListCommand } from './schedule-list.js';
import { schedulePauseCommand } from './schedule-pause.js';
import { scheduleResumeCommand } from './schedule-resume.js';
import { scheduleShowCommand } from './schedule-show.js';
import { scheduleUpdateCommand } from './schedule-update.js';

export function scheduleCommand(ctx: CommandContext): Command {
  return new Command('schedule')
    .alias('schedules')
    .description('Monthly exports: subscribe once and get your memberships by email every month.')
    .addCommand(scheduleCreateCommand(ctx))
    .addCommand(scheduleListCommand(ctx))
    .addCommand(scheduleShowCommand(ctx))
    .addCommand(scheduleUpdateCommand(ctx))
    .addCommand(schedulePauseCommand(ctx))
    .addCommand(scheduleResumeCommand(ctx))
    .addCommand(scheduleDeleteCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ memberships schedule create --day 1 --time 06:00 --time-zone Europe/Berlin
  $ memberships schedule list
  $ memberships schedule pause 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f
  $ memberships schedule delete 6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f`,
    );
}
