// `tend events [NAME...] [-n N] [-f] [--since T] [--until T] [--grep RE] [-i] [--json]`: the journal, every action and exit with
// its time and reason, read from log_dir/tend.events by the client itself (it survives a restart
// of tend, and reads with no daemon running); -f goes on with the daemon's live entries.
import type { JournalEvent } from '../control/wire.js';
import { unknownServices } from '../core/did-you-mean.js';
import { bool, names, optional, shape } from './schema.js';
import type { SocketCommand } from './command.js';
import { FIND_DAEMON, FOLLOW_FLAG, grepFlag, IGNORE_CASE_FLAG, JSON_FLAG, SINCE_FLAG, UNTIL_FLAG } from './flags.js';
import { GREP_FIELDS, grepRequest, RANGE_FIELDS, READ_BY_CLIENT, rangeRequest } from './time-range.js';
import { eventNamed } from '../logs/event-names.js';

/** Its request. */
export interface EventsArgs {
  /** only the entries of these services (their instances); none: all */
  names?: string[];
  lines?: number;
  follow?: boolean;
  since?: string;
  until?: string;
  /** only entries whose `service what why` it matches (read by the client) */
  grep?: string;
  ignore_case?: boolean;
  /** the client reads the file: answer where it is (with follow: first, as an event) */
  where?: boolean;
}

/** Where the journal file is, the instance ids the names mean, and (for -f) where the live entries begin. */
export interface EventsWhere {
  file: string;
  keep: number;
  services: string[];
  up_to?: { time: number; count: number };
  /** the file cannot be written now: read the entries from the daemon's memory instead */
  unwritable?: boolean;
  /**
   * how many times the file began to fail since the daemon started (absent: never): a follower
   * whose catch-up spans a change cannot find its place exactly (entries sent live are missing
   * from the file)
   */
  failures?: number;
  /**
   * names that are no service of the config (they may be of one removed since, whose entries
   * stay): when no entry names them either, the reader says this (a typo is not "no events")
   */
  unknown?: string;
}

/** Its reply: where the file is; entries from memory (a request without `where`); null after a followed stream ends. */
export type EventsReply = EventsWhere | { events: JournalEvent[] } | null;

/** What a followed stream sends: first where the file ends, then each live entry. */
export type EventsEvent = JournalEvent | { where: EventsWhere };

/** `tend events`. */
export const events: SocketCommand<'events', EventsArgs, EventsReply, EventsEvent> = {
  name: 'events',
  summary: 'the journal: every action and exit, with time and reason (last N, default 100); -f follows',
  args: [{ name: 'NAME', kind: 'service', optional: true, repeat: true }],
  flags: [
    {
      name: 'lines',
      short: 'n',
      value: { label: 'N', kind: 'number' },
      help: 'the last N entries (default 100; all: every one)',
    },
    FOLLOW_FLAG,
    SINCE_FLAG,
    UNTIL_FLAG,
    grepFlag('entries (their service, what and why)'),
    IGNORE_CASE_FLAG,
    JSON_FLAG,
    ...FIND_DAEMON,
  ],
  examples: ['events web --since 1h -f', 'events --grep oom -i --since 1h'],
  notes:
    'NAME... keeps the entries of those services (a replica set: all of its instances). The journal is kept in log_dir/tend.events: it survives a restart of tend, and is read with no daemon running.',
  schema: shape<EventsArgs>({ names: optional(names), ...RANGE_FIELDS, ...GREP_FIELDS, where: optional(bool) }),
  request: (p) => ({ ...rangeRequest(p, 'journal'), ...grepRequest(p) }),
  async runLocal(args, json, io) {
    return (await import('../logs/events-view.js')).runEvents(args, json, io);
  },
  ...READ_BY_CLIENT,
  json: (r) => (r && 'events' in r ? r.events : r),
  interrupted: (args) =>
    args.follow ? `stopped following the events${args.names?.length ? ` of ${args.names.join(', ')}` : ''}` : undefined,
  async handle(args, d, rc) {
    // names of services gone from the config still filter their past entries
    const unknown: string[] = [];
    const services = (args.names ?? []).flatMap((n) => {
      try {
        return d
          .resolve([n])
          .map((i) => i.id)
          .concat(n === 'all' ? [] : [n]);
      } catch {
        if (n !== 'tend') unknown.push(n);
        return [n];
      }
    });
    const known = [...new Set([...d.sup.store.values()].map((i) => i.inst.service))];
    const unknownWords = unknown.length ? unknownServices(unknown, known) : undefined;
    const all = (args.names ?? []).length === 0 || (args.names ?? []).includes('all');
    const wanted = all ? [] : [...new Set(services)];
    const keep = (e: JournalEvent): boolean => wanted.length === 0 || eventNamed(wanted, e.service);
    if (args.follow) {
      const off = d.journal.subscribe((e) => keep(e) && rc.send(e));
      try {
        // never skipped: the follower waits for it (a slow one too)
        if (args.where) rc.send({ where: { ...(await d.journalWhere(true)), services: wanted, unknown: unknownWords } }, true);
        else rc.backlog(d.journal.last(args.lines ?? 100).filter(keep));
        await rc.closed;
      } finally {
        off();
      }
      return null;
    }
    if (args.where) return { ...(await d.journalWhere(false)), services: wanted, unknown: unknownWords };
    const n = args.lines ?? 100;
    return { events: n <= 0 ? [] : d.journal.last().filter(keep).slice(-n) };
  },
};
