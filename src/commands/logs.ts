// `tend logs NAME... [-n N] [-f] [--since T] [--until T] [--grep RE] [-t] [--json]`: services'
// output, read from the log files (current and rotated) by the client itself (logs/view.ts);
// the daemon says where they are and, with -f, sends the live lines from where the files end.
import type { LogLine } from '../control/wire.js';
import type { Instance } from '../core/instance.js';
import { removedIds, withRemoved } from '../logs/log-files.js';
import type { CommandContext } from './context.js';
import { bool, names, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import {
  FIND_DAEMON,
  FOLLOW_FLAG,
  grepFlag,
  IGNORE_CASE_FLAG,
  JSON_FLAG,
  NAME_NOTE,
  NAMES,
  SINCE_FLAG,
  UNTIL_FLAG,
} from './flags.js';
import { GREP_FIELDS, grepRequest, RANGE_FIELDS, READ_BY_CLIENT, rangeRequest } from './time-range.js';

/** Its request (what the client reads with; the daemon uses names, where and follow). */
export interface LogsArgs {
  names: string[];
  lines?: number;
  follow?: boolean;
  since?: string;
  until?: string;
  grep?: string;
  ignore_case?: boolean;
  timestamps?: boolean;
  /** the client reads the files: answer where they are (with follow: first, as an event) */
  where?: boolean;
}

/** Where the files of the instances asked for are (and, for -f, where the live lines begin). */
export interface LogsWhere {
  log_dir: string;
  sources: Array<{
    instance: string;
    file: string;
    /** logs.keep (none for a service removed from the config since) */
    keep?: number;
    up_to?: { time: number; count: number };
    /** its file cannot be written now: its recent lines are in the daemon's memory only */
    unwritable?: boolean;
  }>;
}

/** Its reply: where the files are; lines (a request without `where`: at most MAX_REPLY_LINES); null after a followed stream ends. */
export type LogsReply = LogsWhere | { lines: LogLine[] } | null;

/** What a followed stream sends: first where the files end, then each live line. */
export type LogsEvent = LogLine | { where: LogsWhere };

/** The most lines a reply holds: more is read from the files by the client (tend logs does). */
export const MAX_REPLY_LINES = 10_000;

/** `tend logs`. */
export const logs: SocketCommand<'logs', LogsArgs, LogsReply, LogsEvent> = {
  name: 'logs',
  summary: 'lines services printed, from their log files (last 100, or -n N, --since, --grep); -f follows',
  args: NAMES,
  expects: 'a service name (or "all")',
  flags: [
    {
      name: 'lines',
      short: 'n',
      value: { label: 'N', kind: 'number' },
      help: 'the last N lines (default 100; all: every line; with --grep, the last N matching)',
    },
    FOLLOW_FLAG,
    SINCE_FLAG,
    UNTIL_FLAG,
    grepFlag('lines'),
    IGNORE_CASE_FLAG,
    { name: 'timestamps', short: 't', help: "show each line's time" },
    { ...JSON_FLAG, help: 'one JSON object a line: {ts, instance, stream, line}' },
    ...FIND_DAEMON,
  ],
  examples: ['logs web -n 20', 'logs all -f --since 10m --grep "timeout|refused" -i -t'],
  notes:
    `Lines of several instances are prefixed with the name; stderr lines are marked err. Lines rotated away past logs.keep are said to be gone, on stderr. ` +
    `The files are read by tend logs itself: it works with no daemon running (the config's log_dir). ${NAME_NOTE}`,
  schema: shape<LogsArgs>({
    names,
    ...RANGE_FIELDS,
    ...GREP_FIELDS,
    timestamps: optional(bool),
    where: optional(bool),
  }),
  request(p) {
    const args: LogsArgs = { ...rangeRequest(p, 'log'), ...grepRequest(p) };
    if (p.flags.timestamps === true) args.timestamps = true;
    return args;
  },
  async runLocal(args, json, io) {
    return (await import('../logs/view.js')).runLogs(args, json, io);
  },
  ...READ_BY_CLIENT,
  json: (r) => (r && 'lines' in r ? r.lines : r),
  eventNoun: 'lines',
  interrupted: (args) => (args.follow ? `stopped following ${followedLogs(args.names)}` : undefined),
  async handle(args, d, rc) {
    const { targets, removed } = await resolveLogs(d, args.names);
    if (args.follow) {
      const offs = targets.map((t) => d.logs.follow(t.id, (l) => rc.send(l)));
      try {
        // never skipped: the follower waits for it (a slow one too)
        if (args.where) rc.send({ where: withRemoved(await d.logs.where(targets, true), removed) }, true);
        else {
          // a plain stream (a tool on the socket): the last lines kept in memory first
          const n = args.lines ?? 100;
          const past = targets
            .flatMap((t) => d.logs.tail(t.id, n))
            .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
          rc.backlog(n <= 0 ? [] : past.slice(-n));
        }
        await rc.closed;
      } finally {
        for (const off of offs) off();
      }
      return null;
    }
    const where = withRemoved(await d.logs.where(targets, false), removed);
    if (args.where) return where;
    // a request without `where` (a tool on the socket, or a log that cannot be written): the
    // last lines, read here from the files (from memory for those failing), bounded
    const { queryLogs } = await import('../logs/query.js');
    const n = Math.min(args.lines ?? 100, MAX_REPLY_LINES);
    const readable = where.sources.filter((s) => !s.unwritable);
    const r = await queryLogs(
      readable.map((s) => ({ instance: s.instance, file: s.file })),
      { n },
    );
    const lines: LogLine[] = where.sources.filter((s) => s.unwritable).flatMap((s) => d.logs.tail(s.instance, n));
    for await (const batch of r.lines()) {
      for (const e of batch) lines.push({ time: e.ts, service: e.instance, stream: e.stream, line: e.line.toString('utf8') });
    }
    lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    return { lines: n <= 0 ? [] : lines.slice(-n) };
  },
};

/**
 * The instances `names` mean, and the log files of names the config no longer has whose files
 * are still in log_dir (a service removed since: its logs stay readable). A name with neither is
 * unknown (the error names the known ones).
 */
async function resolveLogs(
  d: CommandContext,
  names: readonly string[] | undefined,
): Promise<{ targets: Instance[]; removed: string[] }> {
  const list = names ?? [];
  const { unknown } = d.sup.resolve(list.filter((n) => n !== 'all'));
  if (unknown.length === 0) return { targets: d.resolve(list), removed: [] };
  const removed = await removedIds(d.logs.dir, unknown);
  if (removed === undefined) return { targets: d.resolve(list), removed: [] }; // throws unknown_service
  const known = list.filter((n) => !unknown.includes(n));
  return { targets: known.length ? d.resolve(known) : [], removed };
}

/** The logs `-f` follows, for what Ctrl-C says: `the log of web`, `the logs of web, db`, `every log`. */
function followedLogs(names: readonly string[]): string {
  if (names.includes('all')) return 'every log';
  return names.length === 1 ? `the log of ${names[0]}` : `the logs of ${names.join(', ')}`;
}
