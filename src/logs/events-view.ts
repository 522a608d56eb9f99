// `tend events` on the client's side: the journal file (log_dir/tend.events, and its rotated
// files) read here, as `tend logs` reads the service logs; the daemon, when one answers, says
// where it is and, with -f, sends the live entries from where the file ends.
import { basename, dirname } from 'node:path';
import { untyped } from '../control/client.js';
import type { JournalEvent } from '../control/wire.js';
import type { EventsArgs, EventsWhere } from '../commands/events.js';
import { eventLine } from '../commands/format.js';
import { EXIT, type RunIo } from '../commands/command.js';
import { configJournal, fromDaemonOrConfig } from './config-where.js';
import { readJournal } from './journal-file.js';
import { endMark } from './query.js';
import { eventNamed, eventText } from './event-names.js';
import { grepArg } from './grep-arg.js';
import { JOURNAL_LOG } from './line-format.js';
import { localTime } from './print.js';
import { parseTimeSpec } from './time-spec.js';
import { followFiles } from './tail-files.js';
import { followJoined } from './follow-join.js';

/** Where the journal is and whose entries are asked for: the daemon's answer, or the config's. */
type JournalAt = Omit<EventsWhere, 'keep'>;

/** Why: `tend events` (CLI and shell). Reads, prints, follows; returns the exit code. */
export async function runEvents(args: EventsArgs, json: boolean, io: RunIo): Promise<number> {
  const grep = await grepArg(args, io);
  if (grep === null) return EXIT.usage;
  const now = Date.now();
  const range = {
    n: args.lines,
    since: args.since !== undefined ? parseTimeSpec(args.since, now) : undefined,
    until: args.until !== undefined ? parseTimeSpec(args.until, now) : undefined,
    grep,
  };
  const shown = (e: JournalEvent): boolean => !grep || grep.test(eventText(e));
  const print = (e: JournalEvent): string => (json ? `${JSON.stringify(e)}\n` : `${eventLine(e, io.color)}\n`);
  const names = args.names ?? [];
  return fromDaemonOrConfig(
    io,
    async (configFile) => {
      const where = await configJournal(configFile, names, (t) => io.err(t));
      if (!args.follow) {
        const { printed } = await printFile(where, range, print, io, json);
        return nothingNamed(where, printed, range, io);
      }
      // the file up to a mark taken first, then what comes after it (tail-files.ts)
      const mark = await endMark(where.file, JOURNAL_LOG);
      await printFile({ ...where, up_to: mark }, range, print, io);
      const wanted = where.services;
      await followFiles(
        [{ instance: 'tend', file: where.file }],
        new Map([['tend', mark]]),
        (batch) => {
          let out = '';
          for (const l of batch) {
            try {
              const e = JSON.parse(l.line.toString('utf8')) as JournalEvent;
              if ((wanted.length === 0 || eventNamed(wanted, e.service)) && shown(e)) out += print(e);
            } catch {
              // a line cut by a crash mid-write
            }
          }
          if (out) io.out(out);
        },
        io.signal,
        JOURNAL_LOG,
      );
      return EXIT.ok;
    },
    async (client) => {
      const c = untyped(client);
      if (!args.follow) {
        const where = (await c.request('events', { names, where: true })) as EventsWhere;
        if (where.unwritable) {
          // log_dir cannot be written: what the daemon holds in memory
          const r = (await c.request('events', { names, lines: 1_000_000 })) as { events: JournalEvent[] };
          const inRange = r.events.filter(
            (e) =>
              (range.since === undefined || Date.parse(e.time) >= range.since) &&
              (range.until === undefined || Date.parse(e.time) <= range.until) &&
              shown(e),
          );
          const picked = range.n === undefined ? inRange : range.n <= 0 ? [] : inRange.slice(-range.n);
          io.out(json ? `${JSON.stringify(picked)}\n` : picked.map(print).join(''));
          return EXIT.ok;
        }
        const { printed } = await printFile(where, range, print, io, json);
        return nothingNamed(where, printed, range, io);
      }
      // where the entries printed end: the daemon's last mark (which counts every entry, the
      // file's way), then the live entries printed since (the first ones after it that match)
      let mark: EventsWhere['up_to'];
      let failures = 0; // the journal file's failures at the mark
      let since = 0;
      let file = '';
      let services: string[] = [];
      /** Prints the journal's entries past the last printed (the mark, then `since` live ones), up to upTo or its end. */
      const fromFile = async (upTo: EventsWhere['up_to']): Promise<void> => {
        const r = await readJournal(file, { from: mark, upTo, services });
        if (r.gone.length > 0) {
          io.err(
            `tend: entries were rotated away while this client read too slowly: the oldest kept is from ${localTime(r.gone[0]!.before)}\n`,
          );
        }
        let skip = since;
        for await (const batch of r.entries()) {
          if (io.signal?.aborted) break;
          const fresh = batch.slice(Math.min(skip, batch.length));
          skip -= batch.length - fresh.length;
          const out = fresh.filter(shown);
          if (out.length > 0) io.out(out.map(print).join(''));
        }
      };
      await followJoined<EventsWhere, JournalEvent>(
        c,
        {
          cmd: 'events',
          args: () => ({ names }),
          items: 'events',
          past: async (where) => {
            if (where.unwritable) io.err('tend: the journal file cannot be written now: following the live entries only\n');
            else await printFile(where, range, print, io);
            mark = where.up_to;
            failures = where.failures ?? 0;
            file = where.file;
            services = where.services;
          },
          live: (e) => {
            since++;
            if (shown(e)) io.out(print(e));
          },
          catchUp: async (where) => {
            if (mark && where.up_to && !where.unwritable) {
              if ((where.failures ?? 0) !== failures) {
                io.err(
                  'tend: entries may be missing or printed twice here: this client read too slowly, and the journal file could not be written for a while\n',
                );
              }
              await fromFile(where.up_to);
            } else io.err('tend: events were skipped: this client read too slowly (the journal file could not be written)\n');
            mark = where.up_to;
            failures = where.failures ?? 0;
            since = 0;
          },
          finish: async () => {
            if (mark) await fromFile(undefined);
          },
          weigh: (e) => e.why.length + 128,
        },
        io,
      );
      return EXIT.ok;
    },
  );
}

/**
 * Why: `tend events wbe` printed nothing and exited 0, a typo taken for a quiet service. A name
 * that is no service of the config may be one removed since (its entries stay), so it is an
 * error only when no entry names it: exit 1 with the closest name. Entries outside the range
 * asked for count (`tend events oldsvc --since 1h` of a service removed yesterday is no typo).
 */
async function nothingNamed(
  where: JournalAt,
  printed: number,
  range: { n?: number; since?: number; until?: number; grep?: unknown },
  io: RunIo,
): Promise<number> {
  if (printed > 0 || where.unknown === undefined) return EXIT.ok;
  const ranged = range.n !== undefined || range.since !== undefined || range.until !== undefined || range.grep !== undefined;
  if (ranged && (await namedAtAll(where))) return EXIT.ok;
  io.err(`tend: ${where.unknown}; no events name it either\n`);
  return EXIT.failed;
}

/** Whether any entry of the journal (its rotated files too) names one of where.services. */
async function namedAtAll(where: JournalAt): Promise<boolean> {
  const r = await readJournal(where.file, { n: 1, services: where.services, upTo: where.up_to });
  for await (const batch of r.entries()) if (batch.length > 0) return true;
  return false;
}

/**
 * Prints the entries of the file (`array`: as one JSON array, streamed, as `events --json` always
 * printed); resolves with where the live file ended (to follow it) and how many were printed.
 */
async function printFile(
  where: JournalAt,
  range: { n?: number; since?: number; until?: number; grep?: { test(text: string): boolean } },
  print: (e: JournalEvent) => string,
  io: RunIo,
  array = false,
): Promise<{ printed: number }> {
  const r = await readJournal(where.file, {
    ...range,
    services: where.services,
    upTo: where.up_to,
  });
  if (r.gone.length > 0)
    io.err(`tend: older entries are gone, rotated away: the oldest kept is from ${localTime(r.gone[0]!.before)}\n`);
  let first = true;
  let printed = 0;
  if (array) io.out('[');
  for await (const batch of r.entries()) {
    printed += batch.length;
    if (!array) io.out(batch.map(print).join(''));
    else {
      io.out(`${first ? '' : ','}${batch.map((e) => JSON.stringify(e)).join(',')}`);
      first = false;
    }
  }
  if (array) io.out(']\n');
  if (r.files === 0) {
    // no journal at all: a log_dir changed since, or no tend ran here yet (printing nothing and
    // exit 0 read as a quiet stack)
    io.err(`tend: no journal in ${dirname(where.file)} yet (${basename(where.file)}): tend writes it while it runs\n`);
  }
  return { printed };
}
