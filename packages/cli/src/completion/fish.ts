import { allCommands, type CompletionCommand } from './command-tree.js';

/**
 * A fish completion script for the tree: one `complete` line per command and
 * option, each limited to the command path the words typed so far lead to
 * (found by the same walk as the bash and zsh scripts).
 */
export function fishCompletion(tree: CompletionCommand, version: string): string {
  const name = tree.name;
  const fn = `__${name}`;
  const commands = allCommands(tree);
  const key = (command: CompletionCommand, word: string): string => quote(`${command.path.join(' ')}|${word}`);
  const at = (command: CompletionCommand): string => quote(`${fn}_at ${quote(command.path.join(' '))}`);

  const subcommandCases = commands.flatMap((command) =>
    command.subcommands.flatMap((sub) =>
      [sub.name, ...sub.aliases].map((word) => `        case ${key(command, word)}\n            echo ${quote(sub.path.join(' '))}`),
    ),
  );
  const valueCases = commands.flatMap((command) =>
    command.options.filter((option) => option.value !== 'none').flatMap((option) => option.flags.map((flag) => key(command, flag))),
  );

  const lines: string[] = [];
  for (const command of commands) {
    for (const sub of command.subcommands) {
      for (const word of [sub.name, ...sub.aliases])
        lines.push(`complete -c ${name} -n ${at(command)} -a ${quote(word)} -d ${quote(sub.description)}`);
    }
    if (command.subcommands.length === 0 && command.argumentChoices) {
      lines.push(`complete -c ${name} -n ${at(command)} -a ${quote(command.argumentChoices.join(' '))}`);
    }
    for (const option of command.options) {
      const flags = option.flags.map((flag) => (flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`)).join(' ');
      const value =
        option.value === 'file'
          ? ' -r -F'
          : option.value === 'choices'
            ? ` -x -a ${quote(option.choices.join(' '))}`
            : option.value === 'any'
              ? ' -x'
              : '';
      lines.push(`complete -c ${name} -n ${at(command)} ${flags}${value} -d ${quote(option.description)}`);
    }
  }

  return `# fish completion for ${name} ${version}, generated from its commands by \`${name} completion fish\`.
# For this shell:     ${name} completion fish | source
# For every shell:    ${name} completion fish > ~/.config/fish/completions/${name}.fish

# The command a word names below a command path ("${name} exports" + "ls" -> "${name} exports list").
function ${fn}_subcommand
    switch "$argv[1]|$argv[2]"
${subcommandCases.join('\n')}
        case '*'
            return 1
    end
end

function ${fn}_takes_value
    switch "$argv[1]|$argv[2]"
        case ${valueCases.join(' ')}
            return 0
    end
    return 1
end

# The command path the words before the cursor lead to, options and their values skipped.
function ${fn}_path
    set -l cmd ${quote(name)}
    set -l pending 0
    for word in (commandline -opc)[2..-1]
        if test $pending = 1
            set pending 0
            continue
        end
        switch $word
            case '--*=*'
            case '-*'
                ${fn}_takes_value $cmd $word; and set pending 1
            case '*'
                set -l next (${fn}_subcommand $cmd $word); and set cmd $next
        end
    end
    echo $cmd
end

function ${fn}_at
    test (${fn}_path) = "$argv[1]"
end

complete -c ${name} -f
${lines.join('\n')}
`;
}

/** A single-quoted fish word (fish escapes only \\ and ' inside single quotes). */
function quote(text: string): string {
  return `'${text.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}
