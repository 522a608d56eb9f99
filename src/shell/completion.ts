// Tab completion from the command table: commands first, then flags, service names (with `all`
// and replica set names) and signal names by argument position. Pure; the component only renders.
import type { CommandDef } from './command-data.js';
import type { LineState } from './line-editor.js';

/** What completion may offer: the command table and the live names from the daemon. */
export interface CompletionContext {
  commands: readonly CommandDef[];
  /** service instance names as the daemon reports them ("db", "web.1", "web.2") */
  services: readonly string[];
  /** signal names, e.g. "SIGTERM" */
  signals: readonly string[];
}

/** Replace `line.text.slice(start, end)` with `replacement`; `candidates` are every match. */
export interface Completion {
  start: number;
  end: number;
  replacement: string;
  candidates: string[];
}

/** The names a service argument accepts: each instance, each replica set ("web" for web.1), and `all`. */
export function serviceWords(names: readonly string[]): string[] {
  const words = new Set<string>(['all']);
  for (const name of names) {
    words.add(name);
    const set = /^(.+)\.\d+$/.exec(name);
    if (set) words.add(set[1]!);
  }
  return [...words].sort();
}

/** Flags that take a value, read off the usage string ("[-n N]" -> "-n"), so the table stays the one source. */
export function valueFlags(cmd: CommandDef): Set<string> {
  const found = new Set<string>();
  for (const m of cmd.usage.matchAll(/(--?[\w-]+)[ =]([A-Z][A-Z_]*)/g)) found.add(m[1]!);
  return found;
}

/** Longest common prefix, compared without case (so "sigt" and "SIGTERM" agree); keeps the first word's case. */
export function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let prefix = words[0]!;
  for (const w of words.slice(1)) {
    let i = 0;
    while (i < prefix.length && i < w.length && prefix[i]!.toLowerCase() === w[i]!.toLowerCase()) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix;
}

type ArgKind = 'service' | 'services' | 'signal' | 'none' | 'command';

/** Which kind of word the `position`-th positional argument of `cmd` is. */
function argKind(cmd: CommandDef, position: number): ArgKind {
  if (cmd.name === 'help') return position === 0 ? 'command' : 'none';
  const kind = cmd.args[position];
  if (kind) return kind;
  return cmd.args[cmd.args.length - 1] === 'services' ? 'services' : 'none';
}

function signalMatches(signal: string, word: string): boolean {
  const s = signal.toUpperCase();
  const w = word.toUpperCase();
  return s.startsWith(w) || s.replace(/^SIG/, '').startsWith(w);
}

/** Candidates for the word before the cursor; `start..end` is that word. */
export function complete(line: string, cursor: number, ctx: CompletionContext): Completion {
  let start = cursor;
  while (start > 0 && !/\s/.test(line[start - 1]!)) start--;
  const word = line.slice(start, cursor);
  const before = line.slice(0, start).split(/\s+/).filter(Boolean);
  const result = (pool: readonly string[], matches: (c: string) => boolean = (c) => c.startsWith(word)) =>
    finish(line, start, cursor, word, [...new Set(pool.filter(matches))].sort());

  if (before.length === 0) return result(ctx.commands.map((c) => c.name));
  const cmd = ctx.commands.find((c) => c.name === before[0]);
  if (!cmd) return result([]);
  if (word.startsWith('-')) return result(cmd.flags);

  const takesValue = valueFlags(cmd);
  const given: string[] = [];
  for (let i = 1; i < before.length; i++) {
    const tok = before[i]!;
    if (tok.startsWith('-')) {
      if (takesValue.has(tok)) i++; // skip the flag's value
      continue;
    }
    given.push(tok);
  }
  const last = before[before.length - 1]!;
  if (takesValue.has(last)) return result([]); // a number is expected, nothing to offer

  switch (argKind(cmd, given.length)) {
    case 'command':
      return result(ctx.commands.map((c) => c.name));
    case 'service':
      return result(serviceWords(ctx.services));
    case 'services':
      return result(serviceWords(ctx.services).filter((s) => !given.includes(s)));
    case 'signal':
      return result(ctx.signals, (s) => signalMatches(s, word));
    case 'none':
      return result([]);
  }
}

function finish(line: string, start: number, end: number, word: string, candidates: string[]): Completion {
  if (candidates.length === 1) {
    const after = line[end];
    const space = after === undefined || !/\s/.test(after) ? ' ' : '';
    return { start, end, replacement: candidates[0]! + space, candidates };
  }
  const prefix = commonPrefix(candidates);
  return { start, end, replacement: prefix.length >= word.length && candidates.length ? prefix : word, candidates };
}

/** Puts a completion into the line, the cursor after the inserted text. */
export function applyCompletion(line: LineState, c: Completion): LineState {
  const text = line.text.slice(0, c.start) + c.replacement + line.text.slice(c.end);
  return { text, cursor: c.start + c.replacement.length };
}

/** One Tab press: completes what it can; a second Tab that changes nothing lists the candidates. */
export function pressTab(
  line: LineState,
  ctx: CompletionContext,
  secondTab: boolean,
): { line: LineState; list: string[] | null } {
  const c = complete(line.text, line.cursor, ctx);
  const next = applyCompletion(line, c);
  if (next.text !== line.text) return { line: next, list: null };
  return { line, list: secondTab && c.candidates.length > 1 ? c.candidates : null };
}

/** Lays words out in columns across `width` characters, as a shell lists completions. */
export function formatColumns(words: readonly string[], width: number): string[] {
  if (words.length === 0) return [];
  const colWidth = Math.max(...words.map((w) => w.length)) + 2;
  const perRow = Math.max(1, Math.floor((width + 2) / colWidth));
  const rows = Math.ceil(words.length / perRow);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < perRow; c++) {
      const w = words[c * rows + r]; // column-major, like ls
      if (w !== undefined) cells.push(w.padEnd(colWidth));
    }
    lines.push(cells.join('').trimEnd());
  }
  return lines;
}
