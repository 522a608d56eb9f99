// `help` and `help CMD` text, written from the command table so help cannot drift from the commands.
import type { CommandDef } from './command-data.js';
import { unknownCommandMessage } from './suggest.js';

const KEYS =
  'keys: Tab completes (twice lists) · Up/Down history · Ctrl-R search · Ctrl-A/E/K/U/W edit · ' +
  'Ctrl-C cancels or stops following · Ctrl-D or exit leaves';

/** Every command with its usage and summary, then the keys. */
export function helpText(commands: readonly CommandDef[], topic?: string): string {
  if (topic !== undefined) return commandHelp(commands, topic);
  const width = Math.max(...commands.map((c) => c.usage.length));
  const rows = commands.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return ['commands:', ...rows, '', KEYS, 'help COMMAND explains one command.'].join('\n');
}

function commandHelp(commands: readonly CommandDef[], topic: string): string {
  const cmd = commands.find((c) => c.name === topic);
  if (!cmd) return unknownCommandMessage(topic, commands.map((c) => c.name));
  const lines = [`usage: ${cmd.usage}`, `  ${cmd.summary}`];
  if (cmd.flags.length) lines.push(`  flags: ${cmd.flags.join(' ')}`);
  if (cmd.args.some((a) => a === 'service' || a === 'services')) {
    lines.push('  NAME may be all, or a replica set name for all of its instances.');
  }
  return lines.join('\n');
}
