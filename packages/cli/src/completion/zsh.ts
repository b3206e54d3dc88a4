import { allCommands, type CompletionCommand } from './command-tree.js';

/**
 * A zsh completion script for the tree: the same walk as the bash one, with
 * descriptions beside commands and options (`_describe`) and zsh's own file
 * completion. Works sourced (after compinit) or as `_memberships` on $fpath.
 */
export function zshCompletion(tree: CompletionCommand, version: string): string {
  const name = tree.name;
  const fn = `_${name}`;
  const commands = allCommands(tree);
  const key = (command: CompletionCommand, word: string): string => quote(`${command.path.join(' ')}|${word}`);
  const entry = (word: string, description: string): string => quote(`${word.replace(/:/g, '\\:')}:${description}`);

  const subcommandCases = commands.flatMap((command) =>
    command.subcommands.flatMap((sub) =>
      [sub.name, ...sub.aliases].map((word) => `    ${key(command, word)}) REPLY=${quote(sub.path.join(' '))} ;;`),
    ),
  );
  const wordCases = commands
    .map((command) => {
      const entries =
        command.subcommands.length > 0
          ? command.subcommands.flatMap((sub) => [sub.name, ...sub.aliases].map((word) => entry(word, sub.description)))
          : (command.argumentChoices ?? []).map((choice) => entry(choice, choice));
      return entries.length > 0 ? `    ${quote(command.path.join(' '))}) reply=(${entries.join(' ')}) ;;` : undefined;
    })
    .filter(Boolean);
  const optionCases = commands.map(
    (command) =>
      `    ${quote(command.path.join(' '))}) reply=(${command.options.flatMap((option) => option.flags.map((flag) => entry(flag, option.description))).join(' ')}) ;;`,
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

  return `#compdef ${name}
# zsh completion for ${name} ${version}, generated from its commands by \`${name} completion zsh\`.
# For this shell (after compinit):   source <(${name} completion zsh)
# For every shell:                   ${name} completion zsh > "\${fpath[1]}/${fn}"

${fn}_subcommand() {
  case "$1|$2" in
${subcommandCases.join('\n')}
    *) return 1 ;;
  esac
}

${fn}_words() {
  reply=()
  case "$1" in
${wordCases.join('\n')}
  esac
}

${fn}_options() {
  reply=()
  case "$1" in
${optionCases.join('\n')}
  esac
}

${fn}_value() {
  case "$1|$2" in
${valueCases.join('\n')}
    *) return 1 ;;
  esac
}

${fn}() {
  local cmd=${quote(name)} pending='' word REPLY
  local -a reply
  local -i i
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ -n $pending ]]; then
      pending=''
      continue
    fi
    case $word in
      --*=*) ;;
      -*) ${fn}_value "$cmd" "$word" && pending=$word ;;
      *) ${fn}_subcommand "$cmd" "$word" && cmd=$REPLY ;;
    esac
  done
  if [[ -n $pending ]]; then
    ${fn}_value "$cmd" "$pending"
    case $REPLY in
      file) _files ;;
      choices:*) compadd -- \${=REPLY#choices:} ;;
      *) _message 'value' ;;
    esac
    return
  fi
  if [[ \${words[CURRENT]} == -* ]]; then
    ${fn}_options "$cmd"
    _describe -t options 'option' reply
  else
    ${fn}_words "$cmd"
    (( \${#reply} )) && _describe -t commands 'command' reply
  fi
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

/** A single-quoted zsh word. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
