// What a typed line means inside the shell: a shell-only action (help, top, exit, a followed
// stream), an unknown command with a suggestion, or a one-shot command handed to runLine.
import type { Command } from '../commands/command.js';
import { events } from '../commands/events.js';
import { logs } from '../commands/logs.js';
import { buildRequest } from '../commands/run.js';
import { unknownCommandMessage } from '../commands/suggest.js';
import type { ArgsOf } from '../control/wire.js';

/** The action for one submitted line. */
export type LineAction =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'clear' }
  | { kind: 'help'; topic?: string }
  | { kind: 'top' }
  | { kind: 'stream'; cmd: 'logs'; args: ArgsOf<'logs'>; json: boolean }
  | { kind: 'stream'; cmd: 'events'; args: ArgsOf<'events'>; json: boolean }
  | { kind: 'error'; message: string }
  | { kind: 'run'; line: string };

/** Splits a line into words (the commands take no quoted arguments). */
export function words(line: string): string[] {
  return line.split(/\s+/).filter(Boolean);
}

/** Decides what a submitted line does; `-f` on logs/events becomes a stream the shell can interrupt. */
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
  if (name === 'logs' || name === 'events') {
    const stream = followed(name, rest);
    if (stream) return stream;
  }
  return { kind: 'run', line: w.join(' ') };
}

/** `logs ... -f` / `events ... -f` with the CLI's own request; anything malformed (or --help) goes to runLine. */
function followed(name: 'logs' | 'events', rest: string[]): LineAction | null {
  try {
    if (name === 'logs') {
      const req = buildRequest(logs, rest);
      return req?.args.follow ? { kind: 'stream', cmd: name, args: req.args, json: req.flags.json === true } : null;
    }
    const req = buildRequest(events, rest);
    return req?.args.follow ? { kind: 'stream', cmd: name, args: req.args, json: req.flags.json === true } : null;
  } catch {
    return null;
  }
}
