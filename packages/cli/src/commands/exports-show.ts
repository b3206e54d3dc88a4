import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { describeJob } from '../format.js';
import { signedInClient } from '../session.js';

export function exportsShowCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description('Show one export: state, progress, file and delivery.')
    .argument('<id>', 'export id')
    .option('--json', 'print the export as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports show 01JD4V5Q2M8X
  $ memberships exports show 01JD4V5Q2M8X --json | jq -r .state`,
    )
    .action(async (id: string, options: { json?: boolean }) => {
      const client = await signedInClient(ctx);
      const job = await client.exports.get(id, { signal: ctx.signal });
      if (options.json) {
        ctx.output.json(job);
        return;
      }
      for (const line of describeJob(job, ctx.output.out)) ctx.output.result(line);
    });
}
