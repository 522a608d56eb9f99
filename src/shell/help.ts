// `help` and `help CMD` text, written from the command table so help cannot drift from the commands;
// wrapped to the terminal's width (usage and summary side by side when they fit, else stacked).
import type { CommandDef } from './command-data.js';
import { unknownCommandMessage } from './suggest.js';

const KEYS = [
  'Tab completes (twice lists)',
  'Up/Down history',
  'Ctrl-R search',
  'Ctrl-A/E/K/U/W edit',
  'Ctrl-C cancels or stops following',
  'Ctrl-D or exit leaves',
];

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

/** Every command with its usage and summary, then the keys; `width` is the terminal's (no limit: one line each). */
export function helpText(commands: readonly CommandDef[], topic?: string, width = Infinity): string {
  if (topic !== undefined) return commandHelp(commands, topic, width);
  const usageWidth = Math.max(...commands.map((c) => c.usage.length));
  const left = 2 + usageWidth + 2;
  const rows: string[] = [];
  // side by side while the summary column keeps at least 24 characters; stacked below that
  const sideBySide = width - left >= 24;
  for (const c of commands) {
    if (sideBySide) {
      const [first = '', ...more] = wrapWords(c.summary, width - left);
      rows.push(`  ${c.usage.padEnd(usageWidth)}  ${first}`, ...more.map((l) => ' '.repeat(left) + l));
    } else {
      rows.push(`  ${c.usage}`, ...wrapWords(c.summary, Math.max(20, width - 6)).map((l) => `      ${l}`));
    }
  }
  return ['commands:', ...rows, '', ...wrapWords(`keys: ${KEYS.join(' · ')}`, width), 'help COMMAND explains one command.'].join(
    '\n',
  );
}

function commandHelp(commands: readonly CommandDef[], topic: string, width: number): string {
  const cmd = commands.find((c) => c.name === topic);
  if (!cmd) return unknownCommandMessage(topic, commands.map((c) => c.name));
  const indent = (text: string) => wrapWords(text, Math.max(20, width - 2)).map((l) => `  ${l}`);
  const lines = [`usage: ${cmd.usage}`, ...indent(cmd.summary)];
  if (cmd.flags.length) lines.push(...indent(`flags: ${cmd.flags.join(' ')}`));
  if (cmd.args.some((a) => a === 'service' || a === 'services')) {
    lines.push(...indent('NAME may be all, or a replica set name for all of its instances.'));
  }
  return lines.join('\n');
}
