// What a typed line means inside the shell: a shell-only action (help, top, exit, a followed
// stream), an unknown command with a suggestion, or a one-shot command handed to runLine.
import type { Command } from '../commands/command.js';
import { events } from '../commands/events.js';
import { logs } from '../commands/logs.js';
import { buildRequest } from '../commands/run.js';
import { unknownCommandMessage } from '../commands/suggest.js';

/** The action for one submitted line. */
export type LineAction =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'clear' }
  | { kind: 'help'; topic?: string }
  | { kind: 'top' }
  | { kind: 'stream'; cmd: 'logs' | 'events'; line: string }
  | { kind: 'error'; message: string }
  | { kind: 'run'; line: string };

/** Splits a line into words (the commands take no quoted arguments). */
export function words(line: string): string[] {
  return line.split(/\s+/).filter(Boolean);
}

/**
 * Decides what a submitted line does; `-f` on logs/events becomes a stream the shell can
 * interrupt (run by runLine, as the CLI runs it: the files, then the live lines, --grep, -t...).
 */
export function classifyLine(line: string, commands: readonly Command[]): LineAction {
  const w = words(line);
  const [name, ...rest] = w;
  if (name === undefined) return { kind: 'empty' };
  if (name === 'exit' || name === 'quit') return { kind: 'exit' };
  if (name === 'clear') return { kind: 'clear' };
  if (name === 'help' || name === '?') return rest[0] ? { kind: 'help', topic: rest[0] } : { kind: 'help' };
  if (name === 'top') return { kind: 'top' };
  if (!commands.some((c) => c.name === name)) {
    return {
      kind: 'error',
      message: unknownCommandMessage(
        name,
        commands.map((c) => c.name),
      ),
    };
  }
  if ((name === 'logs' || name === 'events') && followed(name, rest)) return { kind: 'stream', cmd: name, line: w.join(' ') };
  return { kind: 'run', line: w.join(' ') };
}

/** Whether `logs ... -f` / `events ... -f` is a valid follow; anything malformed (or --help) is a plain run. */
function followed(name: 'logs' | 'events', rest: string[]): boolean {
  try {
    return buildRequest(name === 'logs' ? logs : events, rest)?.args.follow === true;
  } catch {
    return false;
  }
}
