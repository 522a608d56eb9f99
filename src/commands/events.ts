// `tend events [-n N] [-f]`: the journal, every action and exit with time and reason; -f follows.
import type { JournalEvent } from '../control/wire.js';
import { bool, count, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, FOLLOW_FLAG, JSON_FLAG, LINES_FLAG } from './flags.js';
import { eventLine } from './format.js';
import { countFlag } from './parse.js';

/** Its request. */
export interface EventsArgs {
  lines?: number;
  follow?: boolean;
}

/** Its reply (null after a followed stream ends). */
export type EventsReply = { events: JournalEvent[] } | null;

/** `tend events`. */
export const events: SocketCommand<'events', EventsArgs, EventsReply, JournalEvent> = {
  name: 'events',
  summary: 'the journal: every action and exit, with time and reason (last N, default 100); -f follows',
  args: [],
  flags: [LINES_FLAG, FOLLOW_FLAG, JSON_FLAG, ...FIND_DAEMON],
  examples: ['events -n 20', 'events -f'],
  schema: shape<EventsArgs>({ lines: optional(count), follow: optional(bool) }),
  request: (p) => ({ lines: countFlag(p, 'lines', '-n') ?? 100, follow: p.flags.follow === true }),
  streams: (args) => args.follow === true,
  json: (r) => r?.events,
  print(r, io) {
    for (const e of r?.events ?? []) io.out(eventLine(e, io.color) + '\n');
  },
  printEvent(e, io) {
    io.out(eventLine(e, io.color) + '\n');
  },
  async handle(args, d, rc) {
    const past = d.journal.last(args.lines ?? 100);
    if (!args.follow) return { events: past };
    rc.backlog(past);
    const off = d.journal.subscribe((e) => rc.send(e));
    await rc.closed;
    off();
    return null;
  },
};
