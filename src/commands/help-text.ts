// Help, written from the command table so it cannot drift from the commands: the command list
// (`tend help`, the shell's `help`) and one command's page (`tend help CMD`, `tend CMD --help`,
// the shell's `help CMD`): usage, summary, every flag, notes, examples. Wrapped to a width.
import type { CommandSpec, FlagSpec } from './command.js';
import { HELP_FLAG } from './flags.js';
import { usageOf } from './parse.js';
import { unknownCommandMessage } from './suggest.js';

/** Whom the text is for: the one-shot CLI (`tend status`) or the shell (`status`, no -c/--socket). */
export type Audience = 'cli' | 'shell';

const KEYS = [
  'Tab completes (twice lists)',
  'Up/Down history',
  'Ctrl-R search (Enter runs, Esc edits, Ctrl-G gives up)',
  'Ctrl-A/E/K/U/W edit',
  'Ctrl-C cancels or stops following',
  'Ctrl-D or exit leaves',
];

const CLI_FOOTER =
  'Config: -c FILE, else $TEND_CONFIG, else ./tend.yaml. Socket: --socket PATH, else $TEND_SOCKET, ' +
  'else settings.socket of the config. Exit codes: 0 done, 1 failed, 2 usage or invalid config, ' +
  '3 no daemon answers on the socket (or it refuses you).';

/** Splits `text` into lines of at most `width` characters at spaces (a longer word stands alone). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(' ')) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines;
}

/** Two columns: a left cell and its text, wrapped beside it when there is room, else below it. */
function columns(rows: ReadonlyArray<[string, string]>, width: number, indent = 2): string[] {
  const leftWidth = Math.max(...rows.map(([l]) => l.length));
  const left = indent + leftWidth + 2;
  const out: string[] = [];
  // side by side while the text column keeps at least 24 characters; stacked below that
  const sideBySide = width - left >= 24;
  const pad = ' '.repeat(indent);
  for (const [l, text] of rows) {
    if (sideBySide) {
      const [first = '', ...more] = wrapWords(text, width - left);
      out.push(`${pad}${l.padEnd(leftWidth)}  ${first}`.trimEnd(), ...more.map((m) => ' '.repeat(left) + m));
    } else {
      out.push(`${pad}${l}`, ...wrapWords(text, Math.max(20, width - indent - 4)).map((m) => `${pad}    ${m}`));
    }
  }
  return out;
}

/** A command's name and arguments, without flags: `logs NAME...`. */
export function synopsis(cmd: CommandSpec): string {
  return [
    cmd.name,
    ...cmd.args.map((a) => {
      const w = a.repeat ? `${a.name}...` : a.name;
      return a.optional ? `[${w}]` : w;
    }),
  ].join(' ');
}

/** The flags `who` sees for a command (the shell has no -c/--socket), and -h last. */
export function flagsFor(cmd: CommandSpec, who: Audience): FlagSpec[] {
  return [...cmd.flags.filter((f) => who === 'cli' || !f.cliOnly), HELP_FLAG];
}

/** `-n, --lines N` */
function flagWords(f: FlagSpec): string {
  const long = `--${f.name}${f.value ? ` ${f.value.label}` : ''}`;
  return f.short ? `-${f.short}, ${long}` : `    ${long}`;
}

/** The list of commands: one row each, name and arguments beside the summary. */
export function commandList(commands: readonly CommandSpec[], width: number): string[] {
  return columns(
    commands.filter((c) => !c.hidden).map((c) => [synopsis(c), c.summary]),
    width,
  );
}

/** One command's page: usage, summary, flags, notes, examples. */
export function commandHelp(cmd: CommandSpec, who: Audience, width = Infinity): string {
  const prefix = who === 'cli' ? 'tend ' : '';
  const indent = (text: string) => wrapWords(text, Math.max(20, width - 2)).map((l) => `  ${l}`);
  // a long usage wraps between its [flag] groups, never inside one
  const usage = `usage: ${prefix}${usageOf(cmd, who === 'cli')}`.replace(/\[[^\]]*\]/g, (m) => m.replace(/ /g, '\u00a0'));
  const usageLines = wrapWords(usage, Math.max(20, width - 4)).map((l, i) => `${i ? '    ' : ''}${l.replace(/\u00a0/g, ' ')}`);
  const lines = [...usageLines, ...indent(cmd.summary)];
  lines.push(
    '',
    'flags:',
    ...columns(
      flagsFor(cmd, who).map((f) => [flagWords(f), f.help]),
      width,
    ),
  );
  if (cmd.notes) lines.push('', ...wrapWords(cmd.notes, width));
  if (cmd.examples.length) lines.push('', 'examples:', ...cmd.examples.map((e) => `  ${prefix}${e}`));
  return lines.join('\n');
}

/** The shell's `help [TOPIC]`: the commands and keys, or one command. */
export function helpText(commands: readonly CommandSpec[], topic?: string, width = Infinity): string {
  if (topic !== undefined) {
    const cmd = commands.find((c) => c.name === topic);
    return cmd
      ? commandHelp(cmd, 'shell', width)
      : unknownCommandMessage(
          topic,
          commands.map((c) => c.name),
        );
  }
  return [
    'commands:',
    ...commandList(commands, width),
    '',
    ...wrapWords(`keys: ${KEYS.join(' · ')}`, width),
    'help COMMAND explains one command.',
  ].join('\n');
}

/** `tend help`: what tend is, the commands, how to get one command's help, where things are found. */
export function cliHelpText(commands: readonly CommandSpec[], width: number): string {
  return [
    'tend: a process supervisor',
    '',
    'usage: tend COMMAND [ARGS] [FLAGS]',
    '',
    'commands:',
    ...commandList(commands, width),
    '',
    ...wrapWords('tend help COMMAND (or tend COMMAND --help) shows its flags and examples.', width),
    ...wrapWords(CLI_FOOTER, width),
    '',
  ].join('\n');
}
