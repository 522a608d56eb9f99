// Completion from the command table: commands first, then flags, service names (with `all` and
// replica set names) and signal names by argument position. Pure; what it knows of a command is
// the table's flag and argument kinds (the shell's Tab key is src/shell/tab.ts).
import type { CommandSpec, WordKind } from './command.js';

/** What completion may offer: the command table and the live names from the daemon. */
export interface CompletionContext {
  commands: readonly CommandSpec[];
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

/** Every spelling of the command's flags the shell offers (`-n`, `--lines`; no -c/--socket). */
export function flagWords(cmd: CommandSpec): string[] {
  return cmd.flags.filter((f) => !f.cliOnly).flatMap((f) => (f.short ? [`-${f.short}`, `--${f.name}`] : [`--${f.name}`]));
}

/** The spellings of the shell's flags that take a value (their value is the next word). */
export function valueFlags(cmd: CommandSpec): Set<string> {
  return new Set(
    cmd.flags.filter((f) => f.value && !f.cliOnly).flatMap((f) => (f.short ? [`-${f.short}`, `--${f.name}`] : [`--${f.name}`])),
  );
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

/** Which kind of word the `position`-th positional argument of `cmd` is (none past the last). */
export function argKind(
  cmd: CommandSpec,
  position: number,
): { kind: WordKind; repeat: boolean; choices?: readonly string[] } | undefined {
  const arg = cmd.args[position];
  if (arg) return { kind: arg.kind, repeat: arg.repeat === true, choices: arg.choices };
  const last = cmd.args[cmd.args.length - 1];
  return last?.repeat ? { kind: last.kind, repeat: true, choices: last.choices } : undefined;
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
  if (word.startsWith('-')) return result(flagWords(cmd));

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

  const arg = argKind(cmd, given.length);
  switch (arg?.kind) {
    case 'command':
      return result(ctx.commands.map((c) => c.name));
    case 'service':
      // a repeated NAME... does not offer the names already given
      return result(serviceWords(ctx.services).filter((s) => !arg.repeat || !given.includes(s)));
    case 'signal':
      return result(ctx.signals, (s) => signalMatches(s, word));
    case 'choice':
      return result(arg.choices ?? []); // `notices f` (it offered nothing)
    default:
      return result([]);
  }
}

/** The completion of `word` (line[start, end)) by `candidates`: the one, or their common prefix. */
export function finish(line: string, start: number, end: number, word: string, candidates: string[]): Completion {
  if (candidates.length === 1) {
    const after = line[end];
    const space = after === undefined || !/\s/.test(after) ? ' ' : '';
    return { start, end, replacement: candidates[0]! + space, candidates };
  }
  const prefix = commonPrefix(candidates);
  return { start, end, replacement: prefix.length >= word.length && candidates.length ? prefix : word, candidates };
}
