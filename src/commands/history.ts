// `tend history NAME [-n N] [--json]`: the last runs of a task, from log_dir/NAME.runs (kept
// across restarts of tend): start, end, duration, exit, why it started, how and why it ended.
import { formatDuration } from '../core/describe.js';
import { KEEP_RUNS, notATask, type RunRecord } from '../tasks/history.js';
import { count, names, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, JSON_FLAG, NAME } from './flags.js';
import { colorState } from '../core/colors.js';
import { table } from './format.js';
import { countFlag } from './parse.js';

/** Its request. */
export interface HistoryArgs {
  names: string[];
  lines?: number;
}

/** Its reply: the runs, oldest first. */
export interface HistoryReply {
  /** oldest first; `instance` when several instances (a replica set) were asked for */
  runs: Array<RunRecord & { instance?: string }>;
}

/** How many runs `tend history` shows without -n. */
export const HISTORY_DEFAULT = 20;

/** A stored time for people: `2025-03-01 14:05:00` (local time). */
function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The exit column: `0`, `SIGKILL`, `spawn error`, `lost`, `not run`. */
function exitWords(e: RunRecord['exit']): string {
  if ('code' in e) return String(e.code);
  if ('signal' in e) return e.signal;
  if ('spawn_error' in e) return 'spawn error';
  return 'not_started' in e ? 'not run' : 'lost';
}

/** Why: the table of `tend history` (pure, for its tests). */
export function historyTable(runs: ReadonlyArray<RunRecord & { instance?: string }>, color: boolean): string {
  if (runs.length === 0) return 'no runs yet';
  const several = runs.some((r) => r.instance !== undefined);
  const head = [...(several ? ['INSTANCE'] : []), 'START', 'END', 'DURATION', 'RESULT', 'EXIT', 'TRIGGER', 'REASON'];
  const rows = runs.map((r) => [
    ...(several ? [r.instance ?? ''] : []),
    when(r.start),
    when(r.end).slice(11),
    formatDuration(r.duration_ms),
    colorState(r.result, color),
    exitWords(r.exit),
    r.trigger,
    r.reason,
  ]);
  return table([head, ...rows]);
}

/** `tend history`. */
export const history: SocketCommand<'history', HistoryArgs, HistoryReply> = {
  name: 'history',
  summary: 'the last runs of a task: when, how long, exit, why it started and ended',
  args: NAME,
  expects: 'a task name',
  flags: [
    {
      name: 'lines',
      short: 'n',
      value: { label: 'N', kind: 'number' },
      help: `show the last N runs (default ${HISTORY_DEFAULT}; all: every run kept)`,
    },
    JSON_FLAG,
    ...FIND_DAEMON,
  ],
  examples: ['history backup', 'history backup -n 5 --json'],
  notes:
    'Kept in log_dir/NAME.runs, so it survives a restart of tend (the newest 1000 runs), and is read from there with no daemon running. --json prints the runs as a list.',
  schema: shape<HistoryArgs>({ names, lines: optional(count) }),
  // `-n all`: every run kept (as tend logs -n all)
  request: (p) => ({
    names: p.positionals,
    lines: p.flags.lines === 'all' ? KEEP_RUNS : (countFlag(p, 'lines', '-n') ?? HISTORY_DEFAULT),
  }),
  json: (r) => r.runs,
  print(r, io, args) {
    if (r.runs.length === 0 && args.lines === 0) return; // -n 0 asked for none
    io.out(historyTable(r.runs, io.color) + '\n');
  },
  async runLocal(args, json, io) {
    // the files are the record: with no daemon they are read from the config's log_dir
    return (await import('../tasks/history-view.js')).runHistory(args, json, io);
  },
  async handle(args, d) {
    const insts = d.resolve(args.names);
    const not = insts.find((i) => i.inst.spec.type !== 'oneshot');
    if (not) throw notATask(not.inst.service, not.inst.spec.type);
    return {
      runs: await d.tasks.history(
        insts.map((i) => i.id),
        args.lines ?? HISTORY_DEFAULT,
      ),
    };
  },
};
