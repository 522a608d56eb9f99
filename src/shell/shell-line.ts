// What a typed line means inside the shell: a shell-only action (help, top, exit, a followed
// stream), an unknown command with a suggestion, or a one-shot command handed to runLine.
import type { CommandDef } from './command-data.js';
import { buildRequest } from './commands.js';
import { unknownCommandMessage } from './suggest.js';

/** The action for one submitted line. */
export type LineAction =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'clear' }
  | { kind: 'help'; topic?: string }
  | { kind: 'top' }
  | { kind: 'stream'; cmd: 'logs' | 'events'; args: Record<string, unknown>; json: boolean }
  | { kind: 'error'; message: string }
  | { kind: 'run'; line: string };

/** Splits a line into words (the commands take no quoted arguments). */
export function words(line: string): string[] {
  return line.split(/\s+/).filter(Boolean);
}

/** Decides what a submitted line does; `-f` on logs/events becomes a stream the shell can interrupt. */
export function classifyLine(line: string, commands: readonly CommandDef[]): LineAction {
  const w = words(line);
  const [name, ...rest] = w;
  if (name === undefined) return { kind: 'empty' };
  if (name === 'exit' || name === 'quit') return { kind: 'exit' };
  if (name === 'clear') return { kind: 'clear' };
  if (name === 'help' || name === '?') return rest[0] ? { kind: 'help', topic: rest[0] } : { kind: 'help' };
  if (name === 'top') return { kind: 'top' };
  if (!commands.some((c) => c.name === name)) {
    return { kind: 'error', message: unknownCommandMessage(name, commands.map((c) => c.name)) };
  }
  if (name === 'logs' || name === 'events') {
    const stream = followed(name, rest);
    if (stream) return stream;
  }
  return { kind: 'run', line: w.join(' ') };
}

/** `logs ... -f` / `events ... -f` with the CLI's own request; anything malformed goes to runLine for its usage text. */
function followed(name: 'logs' | 'events', rest: string[]): LineAction | null {
  try {
    const { args, flags } = buildRequest(name, rest);
    if (flags.follow !== true || flags.help) return null;
    return { kind: 'stream', cmd: name, args, json: flags.json === true };
  } catch {
    return null;
  }
}
