// `tend logs NAME... [-n N] [-f]`: the last lines of services' output; -f follows.
import type { LogLine } from '../control/wire.js';
import { bool, count, names, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, FOLLOW_FLAG, JSON_FLAG, LINES_FLAG, NAME_NOTE, NAMES } from './flags.js';
import { logLine } from './format.js';
import { countFlag } from './parse.js';

/** Its request. */
export interface LogsArgs {
  names: string[];
  lines?: number;
  follow?: boolean;
}

/** Its reply (null after a followed stream ends). */
export type LogsReply = { lines: LogLine[] } | null;

/** Whether lines carry the service's name: several services asked for. */
export function prefixed(args: Partial<Pick<LogsArgs, 'names'>>): boolean {
  const names = args.names ?? [];
  return names.length > 1 || names.includes('all');
}

/** `tend logs`. */
export const logs: SocketCommand<'logs', LogsArgs, LogsReply, LogLine> = {
  name: 'logs',
  summary: 'last N lines of services (default 100); -f follows',
  args: NAMES,
  expects: 'a service name (or "all")',
  flags: [LINES_FLAG, FOLLOW_FLAG, JSON_FLAG, ...FIND_DAEMON],
  examples: ['logs web -n 20', 'logs all -f'],
  notes: `Lines of several services are prefixed with the name. ${NAME_NOTE}`,
  schema: shape<LogsArgs>({ names, lines: optional(count), follow: optional(bool) }),
  request: (p) => ({ names: p.positionals, lines: countFlag(p, 'lines', '-n') ?? 100, follow: p.flags.follow === true }),
  streams: (args) => args.follow === true,
  json: (r) => r?.lines,
  print(r, io) {
    const ls = r?.lines ?? [];
    const multi = new Set(ls.map((l) => l.service)).size > 1;
    const width = Math.max(0, ...ls.map((l) => l.service.length));
    for (const l of ls) io.out(logLine(l, multi, io.color, width) + '\n');
  },
  eventNoun: 'lines',
  printEvent(e, io, args) {
    io.out(logLine(e, prefixed(args), io.color) + '\n');
  },
  async handle(args, d, rc) {
    const targets = d.resolve(args.names);
    const n = args.lines ?? 100;
    const tails = await Promise.all(targets.map((t) => d.logs.tail(t.id, n)));
    const lines = tails.flat().sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).slice(-n);
    if (!args.follow) return { lines };
    rc.backlog(lines);
    const offs = targets.map((t) => d.logs.follow(t.id, (l) => rc.send(l)));
    await rc.closed;
    for (const off of offs) off();
    return null;
  },
};
