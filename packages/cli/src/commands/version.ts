import { Command } from 'commander';
import { SDK_VERSION } from '@memberships/sdk';
import type { CommandContext } from '../context.js';
import { CLI_VERSION } from '../version.js';

/** `memberships version`: what `--version` prints, and what a bug report needs beside it. */
export function versionCommand(ctx: CommandContext): Command {
  return new Command('version')
    .description('Print the version of the CLI, and of the SDK and Node.js it runs on.')
    .option('--json', 'print them as JSON: {"cli": "...", "sdk": "...", "node": "..."}')
    .addHelpText(
      'after',
      `
Examples:
  $ memberships version
  $ memberships version --json | jq -r .cli
  $ memberships --version      # the CLI's version alone`,
    )
    .action((options: { json?: boolean }) => {
      const versions = { cli: CLI_VERSION, sdk: SDK_VERSION, node: process.versions.node };
      if (options.json) {
        ctx.output.json(versions);
        return;
      }
      ctx.output.result(`memberships ${versions.cli}`);
      ctx.output.result(`sdk         ${versions.sdk}`);
      ctx.output.result(`node        ${versions.node}`);
    });
}
