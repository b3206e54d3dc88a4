import type { Command, Option } from 'commander';

/**
 * What shell completion needs to know about the `memberships` commands, read
 * from the commander tree itself: a command or option added to the CLI is
 * completed without anyone listing it here.
 */
export interface CompletionCommand {
  /** From the root: `['memberships', 'exports', 'list']`. */
  readonly path: readonly string[];
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Its own options, then the ones it inherits (--api-url), then --help. */
  readonly options: readonly CompletionOption[];
  readonly subcommands: readonly CompletionCommand[];
  /** The values its first argument takes, when it names them (`completion <shell>`). */
  readonly argumentChoices: readonly string[] | undefined;
}

export interface CompletionOption {
  /** `-o`, `--output`. */
  readonly flags: readonly string[];
  readonly description: string;
  /** none: a switch; file: a path (`<file>`); choices: one of `choices`; any: some text. */
  readonly value: 'none' | 'file' | 'choices' | 'any';
  readonly choices: readonly string[];
}

export function completionTree(root: Command): CompletionCommand {
  return describe(root, [root.name()]);
}

/** Every command of the tree, parents before their subcommands. */
export function allCommands(command: CompletionCommand): CompletionCommand[] {
  return [command, ...command.subcommands.flatMap(allCommands)];
}

function describe(command: Command, path: readonly string[]): CompletionCommand {
  const help = command.createHelp();
  const options = [...help.visibleOptions(command), ...help.visibleGlobalOptions(command)];
  const subcommands = help.visibleCommands(command).map((sub) => describe(sub, [...path, sub.name()]));
  return {
    path,
    name: command.name(),
    aliases: command.aliases(),
    description: firstSentence(command.description()),
    options: dedupe(options).map(describeOption),
    subcommands,
    argumentChoices: command.registeredArguments[0]?.argChoices,
  };
}

function describeOption(option: Option): CompletionOption {
  const flags = [option.short, option.long].filter((flag): flag is string => Boolean(flag));
  const choices = option.argChoices ?? [];
  const value = option.isBoolean() ? 'none' : choices.length > 0 ? 'choices' : /<file>|\[file\]/.test(option.flags) ? 'file' : 'any';
  return { flags, description: firstSentence(option.description), value, choices };
}

/** A subcommand may repeat an inherited flag (its own --help): keep the first. */
function dedupe(options: readonly Option[]): Option[] {
  const seen = new Set<string>();
  return options.filter((option) => {
    const key = option.long ?? option.short ?? option.flags;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Completion menus are one line per entry: the description up to its first full stop. */
function firstSentence(text: string): string {
  const line = text.split('\n')[0] ?? '';
  const end = line.search(/\.(\s|$)/);
  return end < 0 ? line : line.slice(0, end);
}
