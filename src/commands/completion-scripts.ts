// The bash, zsh and fish completion scripts `tend completion SHELL` prints, written from the
// command table (completion-data.ts) so they cannot drift from the commands. Each does the same:
// the command word, then per command its flags, a flag's value by its kind, and the positional
// arguments by position; service names come from `tend __complete services` (the daemon, else
// the config), which the script runs with the line's own -c/--socket.
import type { CommandSpec } from './command.js';
import { scriptCommands, shQuote, type ScriptCommand } from './completion-data.js';

/** The shells there is a script for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type ShellName = (typeof SHELLS)[number];

/** The first words of every script: the top-level flags a bare `tend` takes. */
const TOP_FLAGS = ['-h', '--help', '-v', '--version'];

/** The completion script for `shell`, over `commands` (the CLI's), with the `given` signal names for SIGNAL arguments (offered as SIGHUP and HUP). */
export function completionScript(shell: ShellName, commands: readonly CommandSpec[], given: readonly string[]): string {
  const table = scriptCommands(commands);
  // both forms `tend signal` takes: SIGHUP and HUP (HU<Tab> offered nothing)
  const signals = [...new Set(given.flatMap((s) => [s, s.replace(/^SIG/, '')]))];
  if (shell === 'bash') return bash(table, signals);
  if (shell === 'zsh') return zsh(table, signals);
  return fish(table, signals);
}

/** A script's first comment: what wrote it, and the ways to install it (one a line). */
function installNote(shell: ShellName, ways: readonly string[]): string[] {
  const oneOf = ways.length > 1 ? ' one of' : '';
  return [
    `# tend completion for ${shell} (written by \`tend completion ${shell}\`). Install it with${oneOf}:`,
    ...ways.map((w) => `#   ${w}`),
  ];
}

/** The fields of one command as shell assignments (bash and zsh read them alike). */
function specLine(c: ScriptCommand): string {
  const vflags = c.valueFlags.map(([f, k]) => `${f}=${k}`).join(' ');
  return (
    `    ${shQuote(c.name)}) _tend_flags=${shQuote(c.flags.join(' '))}; _tend_vflags=${shQuote(vflags)}; ` +
    `_tend_args=${shQuote(c.args.join(' '))}; _tend_repeat=${c.repeat ? 1 : 0} ;;`
  );
}

function specFunction(table: readonly ScriptCommand[]): string[] {
  return [
    "# one command: its flags, the flags taking a value (FLAG=KIND), its arguments' kinds, whether the last repeats",
    '_tend_spec() {',
    "  _tend_flags=''; _tend_vflags=''; _tend_args=''; _tend_repeat=0",
    '  case "$1" in',
    ...table.map(specLine),
    '    *) return 1 ;;',
    '  esac',
    '}',
  ];
}

function bash(table: readonly ScriptCommand[], signals: readonly string[]): string {
  return [
    ...installNote('bash', [
      'tend completion bash > ~/.local/share/bash-completion/completions/tend',
      'echo \'eval "$(tend completion bash)"\' >> ~/.bashrc',
    ]),
    '',
    `_tend_commands=${shQuote(table.map((c) => c.name).join(' '))}`,
    `_tend_signals=${shQuote(signals.join(' '))}`,
    '',
    ...specFunction(table),
    '',
    "# service names: the daemon's, else the config's; the line's -c/--socket are passed on (bash",
    '# splits --config=FILE at the = by default: --config, =, FILE)',
    '_tend_services() {',
    '  local i w',
    '  local -a pass=()',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w=${COMP_WORDS[i]}',
    '    case "$w" in',
    '      -c|--config|--socket) if [[ ${COMP_WORDS[i+1]} == = ]]; then pass+=("$w=${COMP_WORDS[i+2]}"); else pass+=("$w" "${COMP_WORDS[i+1]}"); fi ;;',
    '      --config=*|--socket=*) pass+=("$w") ;;',
    '    esac',
    '  done',
    '  "${COMP_WORDS[0]}" __complete services "${pass[@]}" 2>/dev/null',
    '}',
    '',
    '# the candidates for one kind of word ($1) matching $2',
    '_tend_kind() {',
    '  case "$1" in',
    '    service) COMPREPLY=($(compgen -W "$(_tend_services)" -- "$2")) ;;',
    '    signal) COMPREPLY=($(compgen -W "$_tend_signals" -- "$2")) ;;',
    '    command) COMPREPLY=($(compgen -W "$_tend_commands" -- "$2")) ;;',
    '    file|path) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$2")) ;;',
    '    choice:*) local w=${1#choice:}; COMPREPLY=($(compgen -W "${w//,/ }" -- "$2")) ;;',
    '    *) COMPREPLY=() ;;',
    '  esac',
    '}',
    '',
    '_tend() {',
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} v w i n=0 skip=0 c=1',
    '  COMPREPLY=()',
    '  # a FLAG=VALUE split at the =: the value is completed for FLAG',
    '  if [[ $cur == = ]]; then cur=; elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then prev=${COMP_WORDS[COMP_CWORD-2]}; fi',
    '  # the command word, past the -c/--socket that may come before it (tend -c FILE stop)',
    '  while ((c < COMP_CWORD)); do',
    '    case "${COMP_WORDS[c]}" in',
    '      -c|--config|--socket) if [[ ${COMP_WORDS[c+1]} == = ]]; then c=$((c + 3)); else c=$((c + 2)); fi ;;',
    '      --config=*|--socket=*) c=$((c + 1)) ;;',
    '      *) break ;;',
    '    esac',
    '  done',
    '  if ((COMP_CWORD < c)); then _tend_kind file "$cur"; return 0; fi',
    '  if ((COMP_CWORD == c)); then',
    `    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${shQuote([...TOP_FLAGS, '-c', '--config', '--socket'].join(' '))} -- "$cur")); else COMPREPLY=($(compgen -W "$_tend_commands" -- "$cur")); fi`,
    '    return 0',
    '  fi',
    '  _tend_spec "${COMP_WORDS[c]}" || return 0',
    '  for v in $_tend_vflags; do',
    '    if [[ $prev == "${v%%=*}" ]]; then _tend_kind "${v#*=}" "$cur"; return 0; fi',
    '  done',
    '  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$_tend_flags" -- "$cur")); return 0; fi',
    ...countArgs('i = c + 1; i < COMP_CWORD; i++', '${COMP_WORDS[i]}'),
    '  local -a kinds=($_tend_args)',
    '  local kind=${kinds[n]}',
    '  if [[ -z $kind && $_tend_repeat == 1 && ${#kinds[@]} -gt 0 ]]; then kind=${kinds[${#kinds[@]}-1]}; fi',
    '  if [[ -n $kind ]]; then _tend_kind "$kind" "$cur"; fi',
    '  return 0',
    '}',
    '',
    'complete -F _tend tend',
    '',
  ].join('\n');
}

/**
 * bash and zsh alike: n, the positional arguments before the cursor, counted over the words after
 * the command word (`loop` walks them, `word` is the one at i); a value flag's value is none.
 */
function countArgs(loop: string, word: string): string[] {
  return [
    `  for ((${loop})); do`,
    `    w=${word}`,
    "    if [[ $w == = ]]; then skip=1; continue; fi # bash's FLAG = VALUE: the value is none",
    '    if ((skip)); then skip=0; continue; fi',
    '    if [[ $w == -?* ]]; then',
    '      [[ " $_tend_vflags " == *" $w="* ]] && skip=1',
    '      continue',
    '    fi',
    '    n=$((n + 1))',
    '  done',
  ];
}

/** A zsh _describe entry: `name:summary`, colons in the name escaped. */
function described(c: ScriptCommand): string {
  return shQuote(`${c.name.replace(/:/g, '\\:')}:${c.summary}`);
}

function zsh(table: readonly ScriptCommand[], signals: readonly string[]): string {
  return [
    '#compdef tend',
    ...installNote('zsh', [
      'tend completion zsh > "${fpath[1]}/_tend"      (a folder of $fpath; then open a new shell)',
      "echo 'source <(tend completion zsh)' >> ~/.zshrc   (after compinit)",
    ]),
    '',
    `_tend_commands=(${table.map(described).join(' ')})`,
    `_tend_signals=(${signals.map(shQuote).join(' ')})`,
    '',
    ...specFunction(table),
    '',
    "# service names: the daemon's, else the config's; the line's -c/--socket are passed on",
    '_tend_services() {',
    '  local i',
    '  local -a pass',
    '  for ((i = 3; i < CURRENT; i++)); do',
    '    case $words[i] in',
    '      -c|--config|--socket) pass+=($words[i] $words[i+1]) ;;',
    '      --config=*|--socket=*) pass+=($words[i]) ;;',
    '    esac',
    '  done',
    '  $words[1] __complete services $pass 2>/dev/null',
    '}',
    '',
    '# adds the candidates for one kind of word',
    '_tend_kind() {',
    '  local -a found',
    '  case $1 in',
    '    service) found=(${(f)"$(_tend_services)"}); compadd -a found ;;',
    '    signal) compadd -a _tend_signals ;;',
    "    command) _describe -t commands 'tend command' _tend_commands ;;",
    '    file|path) _files ;;',
    '    choice:*) found=(${(s:,:)${1#choice:}}); compadd -a found ;;',
    '  esac',
    '}',
    '',
    '_tend() {',
    '  local cur=$words[CURRENT] prev=$words[CURRENT-1] v w i n=0 skip=0 kind',
    '  local -a kinds flags',
    '  if (( CURRENT == 2 )); then',
    `    if [[ $cur == -* ]]; then compadd -- ${TOP_FLAGS.join(' ')}; else _describe -t commands 'tend command' _tend_commands; fi`,
    '    return',
    '  fi',
    '  _tend_spec $words[2] || return 1',
    '  for v in ${=_tend_vflags}; do',
    '    if [[ $prev == ${v%%=*} ]]; then _tend_kind ${v#*=}; return; fi',
    '  done',
    '  if [[ $cur == -* ]]; then flags=(${=_tend_flags}); compadd -a flags; return; fi',
    ...countArgs('i = 3; i < CURRENT; i++', '$words[i]'),
    '  kinds=(${=_tend_args})',
    '  kind=$kinds[n+1]',
    '  if [[ -z $kind && $_tend_repeat == 1 && ${#kinds} -gt 0 ]]; then kind=$kinds[-1]; fi',
    '  [[ -n $kind ]] && _tend_kind $kind',
    '}',
    '',
    'if [[ $funcstack[1] == _tend ]]; then _tend "$@"; elif (( $+functions[compdef] )); then compdef _tend tend; fi',
    '',
  ].join('\n');
}

/** A word quoted for fish: single quotes, \ and ' escaped. */
function fishQuote(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function fish(table: readonly ScriptCommand[], signals: readonly string[]): string {
  const spec = table.flatMap((c) => [
    `    case ${fishQuote(c.name)}`,
    `      set -g __tend_flags ${c.flags.map(fishQuote).join(' ')}`,
    `      set -g __tend_vflags ${c.valueFlags.map(([f, k]) => fishQuote(`${f}=${k}`)).join(' ')}`,
    `      set -g __tend_args ${c.args.map(fishQuote).join(' ')}`,
    `      set -g __tend_repeat ${c.repeat ? 1 : 0}`,
  ]);
  return [
    ...installNote('fish', ['tend completion fish > ~/.config/fish/completions/tend.fish']),
    '',
    "# one command: its flags, the flags taking a value (FLAG=KIND), its arguments' kinds, whether the last repeats",
    'function __tend_spec',
    '  switch $argv[1]',
    ...spec,
    "    case '*'",
    '      return 1',
    '  end',
    'end',
    '',
    "# service names: the daemon's, else the config's; the line's -c/--socket are passed on",
    'function __tend_services',
    '  set -l words (commandline -opc)',
    '  set -l pass',
    '  for i in (seq 3 (count $words))',
    '    switch $words[$i]',
    '      case -c --config --socket',
    '        set -a pass $words[$i]',
    '        set -l next (math $i + 1)',
    '        set -q words[$next]; and set -a pass $words[$next]',
    "      case '--config=*' '--socket=*'",
    '        set -a pass $words[$i]',
    '    end',
    '  end',
    '  $words[1] __complete services $pass 2>/dev/null',
    'end',
    '',
    '# the candidates for one kind of word ($argv[1]) at the token $argv[2]',
    'function __tend_kind',
    '  switch $argv[1]',
    '    case service',
    '      __tend_services',
    '    case signal',
    `      printf '%s\\n' ${signals.map(fishQuote).join(' ')}`,
    '    case command',
    `      printf '%s\\n' ${table.map((c) => fishQuote(c.name)).join(' ')}`,
    '    case file path',
    '      __fish_complete_path $argv[2]',
    "    case 'choice:*'",
    "      string split , (string replace 'choice:' '' $argv[1])",
    '  end',
    'end',
    '',
    'function __tend_complete',
    '  set -l words (commandline -opc)',
    '  set -l cur (commandline -ct)',
    '  if test (count $words) -eq 1',
    "    if string match -q -- '-*' $cur",
    `      printf '%s\\n' ${TOP_FLAGS.join(' ')}`,
    '    else',
    `      printf '%s\\t%s\\n' ${table.map((c) => `${fishQuote(c.name)} ${fishQuote(c.summary)}`).join(' ')}`,
    '    end',
    '    return',
    '  end',
    '  __tend_spec $words[2]; or return',
    '  set -l prev $words[-1]',
    '  for v in $__tend_vflags',
    '    set -l parts (string split -m 1 = -- $v)',
    '    if test "$prev" = "$parts[1]"',
    '      __tend_kind $parts[2] $cur',
    '      return',
    '    end',
    '  end',
    "  if string match -q -- '-*' $cur",
    "    printf '%s\\n' $__tend_flags",
    '    return',
    '  end',
    '  set -l takes (string replace -r "=.*" "" -- $__tend_vflags)',
    '  set -l n 0',
    '  set -l skip 0',
    '  for i in (seq 3 (count $words))',
    '    set -l w $words[$i]',
    '    if test $skip -eq 1',
    '      set skip 0',
    '      continue',
    '    end',
    "    if string match -q -- '-?*' $w",
    '      contains -- $w $takes; and set skip 1',
    '      continue',
    '    end',
    '    set n (math $n + 1)',
    '  end',
    '  set -l at (math $n + 1)',
    '  set -l kind',
    '  set -q __tend_args[$at]; and set kind $__tend_args[$at]',
    '  if test -z "$kind"; and test "$__tend_repeat" = 1; and set -q __tend_args[1]',
    '    set kind $__tend_args[-1]',
    '  end',
    '  test -n "$kind"; and __tend_kind $kind $cur',
    'end',
    '',
    "complete -c tend -f -a '(__tend_complete)'",
    '',
  ].join('\n');
}
