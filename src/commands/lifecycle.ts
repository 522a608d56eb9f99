// What start, stop and restart share: the request (names, --timeout, --no-wait), its check, and
// the words of their answers; and the words of the commands whose request is the names alone.
import { TendError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { LogLine } from '../control/wire.js';
import { bool, names, optional, shape, timerMs } from './schema.js';
import type { Parsed, SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME_NOTE, NAMES, WAIT_FLAGS } from './flags.js';
import { parseTimeout } from './parse.js';
import type { RunMark } from './context.js';

/** The request of start, stop and restart. */
export interface ChangeArgs {
  names: string[];
  /** milliseconds to wait at most (default 60 s; stop 120 s) */
  timeout?: number;
  /** false: answer at once, without waiting */
  wait?: boolean;
}

/** Their request, checked at the daemon's edge. */
export const CHANGE_SCHEMA = shape<ChangeArgs>({ names, timeout: optional(timerMs), wait: optional(bool) });

/** Builds their request from the words. */
export function changeArgs(p: Parsed): ChangeArgs {
  const t = p.flags.timeout;
  return { names: p.positionals, timeout: typeof t === 'string' ? parseTimeout(t) : undefined, wait: !p.flags['no-wait'] };
}

/** What start, stop or restart says for itself: the rest (NAME..., --timeout, --no-wait, --json, the request) is shared. */
export type ChangeParts<N extends string, R> = Pick<
  SocketCommand<N, ChangeArgs, R>,
  'summary' | 'examples' | 'print' | 'handle'
> &
  Partial<Pick<SocketCommand<N, ChangeArgs, R>, 'notes' | 'refusedWhileShuttingDown' | 'interrupted'>>;

/** A command that changes what is wanted of services, from its own parts. */
export function changeCommand<N extends string, R>(name: N, parts: ChangeParts<N, R>): SocketCommand<N, ChangeArgs, R> {
  return {
    name,
    args: NAMES,
    expects: 'at least one service name (or "all")',
    flags: [...WAIT_FLAGS, JSON_FLAG, ...FIND_DAEMON],
    notes: NAME_NOTE,
    schema: CHANGE_SCHEMA,
    request: changeArgs,
    ...parts,
  };
}

/** The request of a command that takes service names and nothing else (approve, reject, disable, enable). */
export interface NamesArgs {
  names: string[];
}

/** What such a command shares: NAME..., --json, the request and its check; `expects` says what a NAME is. */
export function namesOnly(expects: string) {
  return {
    args: NAMES,
    expects,
    flags: [JSON_FLAG, ...FIND_DAEMON],
    schema: shape<NamesArgs>({ names }),
    request: (p: { positionals: string[] }): NamesArgs => ({ names: p.positionals }),
  };
}

/** Where `targets` stand before a new run of each is asked for (CommandContext.waitStarted). */
export function beforeRun(targets: readonly Instance[]): Map<string, RunMark> {
  return new Map(targets.map((t) => [t.id, { spawns: t.spawns, since: t.since }]));
}

/** The instance names, as replies list them. */
export function ids(list: readonly Instance[]): string[] {
  return list.map((i) => i.id);
}

/**
 * What Ctrl-C on start, restart or stop in the shell says: the wait stopped, the change did not
 * (what is wanted was changed at once, and the daemon goes on toward it). `doing`: `starting`,
 * `stopping`; `stoppable`: say that `stop NAME...` undoes it.
 */
export function stoppedWaiting(args: ChangeArgs, doing: string, stoppable: boolean): string | undefined {
  if (args.wait === false) return undefined; // it did not wait
  const many = args.names.length > 1 || args.names[0] === 'all';
  const how = stoppable ? ` (stop ${args.names.join(' ')} stops ${many ? 'them' : 'it'})` : '';
  return `stopped waiting; ${list(args.names)} ${many ? 'go' : 'goes'} on ${doing}${how}`;
}

/** A list for people: `a, b`. */
export function list(names: readonly string[]): string {
  return names.join(', ');
}

/** Lines a failed start and `tend why` show of what the instance printed last. */
export const LAST_LINES = 10;

/** Why: the output that explains a failure, under its reason. `  | line` each (err marked), or nothing. */
export function lastLinesText(lines: ReadonlyArray<Pick<LogLine, 'stream' | 'line'>>): string {
  if (lines.length === 0) return '';
  return `\n  its last lines:\n${lines.map((l) => `  | ${l.stream === 'stderr' ? 'err ' : ''}${l.line}`).join('\n')}`;
}

/**
 * The error of a start that failed: one paragraph an instance, with why and the last lines it
 * printed since `since` (when the start was asked: not those of runs before it, which read as
 * this one's). `exitWith`: settings.exit_with, whose failure ends tend: said, or the next command
 * finds no daemon with no word why.
 */
export async function startFailed(
  failed: readonly Instance[],
  logs: { tail(id: string, n: number): LogLine[]; ended(id: string, timeoutMs: number): Promise<void> },
  since: number,
  exitWith?: string,
): Promise<TendError> {
  // the last output can follow the exit by a moment (the pipes drain after the reaping); a child
  // that keeps them open does not hold the answer up for long
  await Promise.all(failed.map((f) => logs.ended(f.id, 1000)));
  const lines = (id: string) => logs.tail(id, LAST_LINES).filter((l) => Date.parse(l.time) >= since);
  const ends = (f: Instance) =>
    f.inst.service === exitWith && f.state === 'failed' ? '; tend exits with it (settings.exit_with)' : '';
  return new TendError(
    'start_failed',
    failed.map((f) => `${f.id}: ${f.reason}${ends(f)}${lastLinesText(lines(f.id))}`).join('\n'),
  );
}

/**
 * Why: `tend wait` (and `tend up -d`) judge an instance by where it is, not by a run they asked
 * for, so the lines under a failure must be those of its current run: a task's run that was
 * rejected, or a service whose dependency failed, never spawned, and the lines in memory are an
 * earlier run's (docs/commands.md, "tend wait"). When the current run (asked for since the last
 * rest: its first spawn, a failure streak's restarts included) began; `never` when it has not
 * spawned at all.
 */
export function currentRun(i: Instance): { since: number } | { never: true } {
  // each run asked for from rest starts a new start-limit window (book.ts 'fresh'): its spawns
  if (i.starts.length > 0) return { since: i.starts[0]! };
  // adopted from an earlier tend, no spawn of this one: the exit that ended it here is its own
  const exit = i.exits.at(-1);
  if (exit !== undefined && exit.time >= i.since - 1) return { since: i.startedAt ?? exit.time };
  return { never: true };
}

/** The last lines (up to LAST_LINES) `i` printed in its current run (currentRun): none when it never ran. */
export function currentRunLines(i: Instance, tail: (id: string, n: number) => ReadonlyArray<LogLine>): LogLine[] {
  const run = currentRun(i);
  if ('never' in run) return [];
  return tail(i.id, LAST_LINES).filter((l) => Date.parse(l.time) >= run.since);
}
