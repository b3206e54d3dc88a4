import { Argument, Command } from 'commander';
import { bashCompletion } from '../completion/bash.js';
import { completionTree } from '../completion/command-tree.js';
import { fishCompletion } from '../completion/fish.js';
import { zshCompletion } from '../completion/zsh.js';
import type { CommandContext } from '../context.js';
import { CLI_VERSION } from '../version.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

/** `memberships completion <shell>`: a completion script made from `root`'s command tree as it is at run time. */
export function completionCommand(ctx: CommandContext, root: Command): Command {
  return new Command('completion')
    .description('Print a shell completion script for memberships (bash, zsh or fish).')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      `
Examples:
  $ source <(memberships completion bash)                       # bash, this shell
  $ memberships completion bash > ~/.local/share/bash-completion/completions/memberships
  $ source <(memberships completion zsh)                        # zsh, after compinit
  $ memberships completion fish > ~/.config/fish/completions/memberships.fish

The script completes commands, options and files for --output; it never calls the API.`,
    )
    .action((shell: keyof typeof SHELLS) => {
      ctx.output.streams.stdout.write(SHELLS[shell](completionTree(root), CLI_VERSION));
    });
}
