// What a typed line means inside the shell: a shell-only action (help, top, exit, a followed
// stream), an unknown command with a suggestion, or a one-shot command handed to runLine.
import { type Command, isSocketCommand } from '../commands/command.js';
import { elsewhere } from '../commands/index.js';
import { buildRequest } from '../commands/run.js';
import { unknownCommandMessage } from '../commands/suggest.js';
import { NOTICE_MODES, type NoticeMode } from './notices.js';

/** The action for one submitted line. */
export type LineAction =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'clear' }
  | { kind: 'help'; topic?: string }
  | { kind: 'top' }
  /** no mode: say which is on */
  | { kind: 'notices'; mode?: NoticeMode }
  | { kind: 'stream'; cmd: 'logs' | 'events'; line: string; interrupted?: string }
  | { kind: 'error'; message: string }
  /** `interrupted`: what Ctrl-C says stopped and what goes on (the command's own words) */
  | { kind: 'run'; line: string; interrupted?: string };

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
  // runLine's splitWords takes an open quote to the end of the line: `"unterminated` was called an
  // unknown command `""unterminated"`, and `logs web --grep "a b` grepped for `a b`
  const open = openQuote(line);
  if (open) {
    return { kind: 'error', message: `unterminated quote: the ${open.quote} at column ${open.at + 1} is never closed` };
  }
  if (name === 'help' || name === '?') {
    const other = rest[0] === undefined || commands.some((c) => c.name === rest[0]) ? undefined : elsewhere(rest[0], 'shell');
    if (other) return { kind: 'error', message: other };
    return rest[0] ? { kind: 'help', topic: rest[0] } : { kind: 'help' };
  }
  if (name === 'exit' || name === 'quit' || name === 'clear' || name === 'top') {
    // `top --help` opened the table (whose keys act at once: `r` restarts) and `exit --help` left
    if (rest.includes('-h') || rest.includes('--help')) return { kind: 'help', topic: name === 'quit' ? 'exit' : name };
    if (rest.length > 0) return { kind: 'error', message: `${name}: expected no arguments; ${tooMany(rest)}` };
    return { kind: name === 'quit' ? 'exit' : name };
  }
  if (name === 'notices') {
    if (rest.includes('-h') || rest.includes('--help')) return { kind: 'help', topic: name };
    const [mode, ...over] = rest;
    if (over.length > 0) return { kind: 'error', message: `notices: expected on, failures or off; ${tooMany(over)}` };
    if (mode === undefined) return { kind: 'notices' };
    if (!NOTICE_MODES.includes(mode as NoticeMode)) {
      return { kind: 'error', message: `notices: expected on, failures or off; got "${mode}"` };
    }
    return { kind: 'notices', mode: mode as NoticeMode };
  }
  if (!commands.some((c) => c.name === name)) {
    // `up`, `init`...: commands of tend, only not of the shell, were "unknown command"
    const other = elsewhere(name, 'shell');
    if (other) return { kind: 'error', message: other };
    return {
      kind: 'error',
      message: unknownCommandMessage(
        name,
        commands.map((c) => c.name),
      ),
    };
  }
  const req = requestOf(commands.find((c) => c.name === name)!, rest);
  const interrupted = req?.interrupted ? { interrupted: req.interrupted } : {};
  if ((name === 'logs' || name === 'events') && req?.follow) {
    return { kind: 'stream', cmd: name, line: w.join(' '), ...interrupted };
  }
  return { kind: 'run', line: w.join(' '), ...interrupted };
}

/** The quote left open at the end of the line, read as splitWords reads quotes (\\ escapes outside them and in "). */
export function openQuote(line: string): { quote: '"' | "'"; at: number } | null {
  let open: { quote: '"' | "'"; at: number } | null = null;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k]!;
    if (open) {
      if (ch === open.quote) open = null;
      else if (ch === '\\' && open.quote === '"') k++;
    } else if (ch === '"' || ch === "'") open = { quote: ch, at: k };
    else if (ch === '\\') k++;
  }
  return open;
}

/** The words past what a command takes, as the CLI says them. */
function tooMany(over: string[]): string {
  return over.length === 1
    ? `"${over[0]}" is one word too many`
    : `${over.map((w) => `"${w}"`).join(' ')} are ${over.length} words too many`;
}

/**
 * Of the request a socket command's words make: whether it follows, and what Ctrl-C on it says.
 * Undefined for --help, a malformed line (runLine prints its usage error) and the commands the
 * shell carries out: so `logs ... -f` / `events ... -f` is a stream only when it is a valid follow.
 */
function requestOf(cmd: Command, rest: string[]): { follow: boolean; interrupted?: string } | undefined {
  if (!isSocketCommand(cmd)) return undefined;
  let args: unknown;
  try {
    args = buildRequest(cmd, rest)?.args;
  } catch {
    return undefined;
  }
  if (args === undefined) return undefined;
  return { follow: (args as { follow?: unknown }).follow === true, interrupted: cmd.interrupted?.(args) };
}
