import { allCommands, type CompletionCommand } from './command-tree.js';

/**
 * A bash completion script for the tree: a few lookup functions generated
 * from it (`case` tables) and one completion function that walks the words
 * typed so far to the command they name, skipping options and their values.
 */
export function bashCompletion(tree: CompletionCommand, version: string): string {
  const name = tree.name;
  const fn = `_${name}`;
  const commands = allCommands(tree);
  const key = (command: CompletionCommand, word: string): string => quote(`${command.path.join(' ')}|${word}`);

  const subcommandCases = commands.flatMap((command) =>
    command.subcommands.flatMap((sub) =>
      [sub.name, ...sub.aliases].map((word) => `    ${key(command, word)}) REPLY=${quote(sub.path.join(' '))} ;;`),
    ),
  );
  const wordCases = commands
    .map((command) => {
      const words =
        command.subcommands.length > 0 ? command.subcommands.flatMap((sub) => [sub.name, ...sub.aliases]) : (command.argumentChoices ?? []);
      return words.length > 0 ? `    ${quote(command.path.join(' '))}) REPLY=${quote(words.join(' '))} ;;` : undefined;
    })
    .filter(Boolean);
  const optionCases = commands.map(
    (command) => `    ${quote(command.path.join(' '))}) REPLY=${quote(command.options.flatMap((option) => option.flags).join(' '))} ;;`,
  );
  const valueCases = commands.flatMap((command) =>
    command.options
      .filter((option) => option.value !== 'none')
      .flatMap((option) =>
        option.flags.map(
          (flag) =>
            `    ${key(command, flag)}) REPLY=${quote(option.value === 'choices' ? `choices:${option.choices.join(' ')}` : option.value)} ;;`,
        ),
      ),
  );

  return `# bash completion for ${name} ${version}, generated from its commands by \`${name} completion bash\`.
# For this shell:     source <(${name} completion bash)
# For every shell:    ${name} completion bash > ~/.local/share/bash-completion/completions/${name}

# The command a word names below a command path ("${name} exports" + "ls" -> "${name} exports list").
${fn}_subcommand() {
  case "$1|$2" in
${subcommandCases.join('\n')}
    *) return 1 ;;
  esac
}

# What may follow a command path: its subcommands, or the values of its argument.
${fn}_words() {
  REPLY=''
  case "$1" in
${wordCases.join('\n')}
  esac
}

# The options of a command path, inherited ones included.
${fn}_options() {
  REPLY=''
  case "$1" in
${optionCases.join('\n')}
  esac
}

# Whether an option of a command path takes a value, and what kind: file, any, choices:<values>.
${fn}_value() {
  case "$1|$2" in
${valueCases.join('\n')}
    *) return 1 ;;
  esac
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd=${quote(name)} pending='' word i REPLY
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    # --option=value arrives as three words: --option, =, value.
    [[ $word == '=' ]] && continue
    if [[ -n $pending ]]; then
      pending=''
      continue
    fi
    case "$word" in
      --*=*) ;;
      -*) ${fn}_value "$cmd" "$word" && pending="$word" ;;
      *) ${fn}_subcommand "$cmd" "$word" && cmd="$REPLY" ;;
    esac
  done
  [[ $cur == '=' ]] && cur=''
  if [[ -n $pending ]]; then
    ${fn}_value "$cmd" "$pending"
    case "$REPLY" in
      file)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        ;;
      choices:*) COMPREPLY=($(compgen -W "\${REPLY#choices:}" -- "$cur")) ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    ${fn}_options "$cmd"
  else
    ${fn}_words "$cmd"
  fi
  COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
  return 0
}

complete -F ${fn} ${name}
`;
}

/** A single-quoted bash word. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
