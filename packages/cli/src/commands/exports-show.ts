import { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { describeJob } from '../format.js';
import { signedInClient } from '../session.js';

export function exportsShowCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description('Show one export: state, progress, file, delivery, downloads and when its file expires.')
    .argument('<id>', 'export id (see: memberships exports list)')
    .option('--json', 'print the export as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships exports show 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38
  $ memberships exports show 3f9c2e71-8b4d-4a6e-9d15-7c2b0e4a9f38 --json | jq -r .state
  $ memberships exports show sched-6f1c2d9e-8a4b-4c3d-9e2f-1a2b3c4d5e6f-20261201T0500Z   # a monthly export`,
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
