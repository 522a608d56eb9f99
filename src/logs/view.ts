// `tend logs` on the client's side, as journalctl does it: the files are the source. The daemon
// (when one answers) says where they are and which instances the names mean; without one, the
// config does. The lines are read here, with bounded memory whatever the size of the files or N,
// then printed; `-f` goes on with the daemon's live lines from where the files end (no line twice,
// none missed), or by watching the files when no daemon runs.
import { type Client, untyped } from '../control/client.js';
import type { LogLine } from '../control/wire.js';
import { MAX_REPLY_LINES, type LogsArgs, type LogsWhere } from '../commands/logs.js';
import { EXIT, type RunIo } from '../commands/command.js';
import type { LogEntry, LogStream } from './line-format.js';
import { endMark, type GoneNote, type LineMark, type LogSource, pastLine, queryLogs } from './query.js';
import { parseTimeSpec } from './time-spec.js';
import { followFiles } from './tail-files.js';
import { followJoined } from './follow-join.js';
import { grepArg } from './grep-arg.js';
import { localTime, logPrinter, type Printer } from './print.js';
import { configWhere, fromDaemonOrConfig } from './config-where.js';
import type { LineMatcher } from './regex.js';

/** Why: `tend logs` (CLI and shell). Reads, prints, follows; returns the exit code. */
export async function runLogs(args: LogsArgs, json: boolean, io: RunIo): Promise<number> {
  const now = Date.now();
  const since = args.since !== undefined ? parseTimeSpec(args.since, now) : undefined;
  const until = args.until !== undefined ? parseTimeSpec(args.until, now) : undefined;
  const grep = await grepArg(args, io);
  if (grep === null) return EXIT.usage;
  return fromDaemonOrConfig(
    io,
    async (configFile) => {
      // no daemon: the config says where the files are (a crashed stack's logs)
      const where = await configWhere(configFile, args.names, (t) => io.err(t));
      const printer = logPrinter(
        where.sources.map((s) => s.instance),
        { json, timestamps: args.timestamps === true, color: io.color },
      );
      if (!args.follow) {
        await printFiles(where, { n: args.lines, since, until, grep }, printer, io, true);
        return EXIT.ok;
      }
      // the files up to a mark taken first, then what comes after it (tail-files.ts)
      const marks = new Map(await Promise.all(where.sources.map(async (s) => [s.instance, await endMark(s.file)] as const)));
      const upTo = { ...where, sources: where.sources.map((s) => ({ ...s, up_to: marks.get(s.instance) })) };
      await printFiles(upTo, { n: args.lines, since, until, grep }, printer, io);
      await followFiles(
        where.sources,
        marks,
        (batch) =>
          io.out(
            printer.entries(
              batch.filter((e) => (since === undefined || Date.parse(e.ts) >= since) && (!grep || grep.test(e.line))),
            ),
          ),
        io.signal,
      );
      return EXIT.ok;
    },
    async (client) => {
      if (args.follow) return follow(client, args, { since, grep, json }, io);
      const where = (await untyped(client).request('logs', { names: args.names, where: true })) as LogsWhere;
      if (where.sources.some((s) => s.unwritable)) return fromMemory(client, where, args, { since, until, grep, json }, io);
      const printer = logPrinter(
        where.sources.map((s) => s.instance),
        { json, timestamps: args.timestamps === true, color: io.color },
      );
      await printFiles(where, { n: args.lines, since, until, grep }, printer, io, true);
      return EXIT.ok;
    },
  );
}

interface Range {
  n?: number;
  since?: number;
  until?: number;
  grep?: LineMatcher;
}

/**
 * Prints the lines of the files (up to each source's up_to when it has one). `sayNone`: when
 * there is no file at all, say so on stderr (as journalctl's
 * "-- No entries --"): printing nothing and exit 0 read as a quiet service, or a wrong log_dir.
 */
async function printFiles(where: LogsWhere, r: Range, printer: Printer, io: RunIo, sayNone = false): Promise<void> {
  const sources: LogSource[] = where.sources.map((s) => ({ instance: s.instance, file: s.file, upTo: s.up_to }));
  const result = await queryLogs(sources, { n: r.n, since: r.since, until: r.until, grep: r.grep });
  if (result.gone.length > 0) io.err(goneLine(result.gone, where));
  for await (const batch of result.lines()) {
    if (io.signal?.aborted) break;
    io.out(printer.entries(batch));
  }
  if (sayNone && where.sources.length > 0 && result.files === 0) {
    io.err(
      `tend: no log file in ${where.log_dir} yet: ${where.sources.map((s) => s.instance).join(', ')} printed nothing so far\n`,
    );
  }
}

/**
 * A log file cannot be written now (a full disk): what its file holds is read as always, then the
 * lines newer than the file's last one come from the daemon's memory (its in-memory tail). Before,
 * only the memory's last lines were printed, and `-n all`, `--since` and `--grep` lost the whole
 * history in the files just when it mattered. Lines queued for a file that was full and then
 * dropped are in neither (the file's `log N lines lost` mark says how many, once it is writable).
 */
async function fromMemory(
  client: Client,
  where: LogsWhere,
  args: LogsArgs,
  o: { since?: number; until?: number; grep?: LineMatcher; json: boolean },
  io: RunIo,
): Promise<number> {
  io.err("tend: a log file cannot be written now: the lines after its last come from the daemon's memory\n");
  const failing = where.sources.filter((s) => s.unwritable);
  // where each failing file ends: the memory's lines after it are the ones it lacks
  const ends = new Map<string, number>();
  const unreadable = new Set<string>(); // its folder is gone or is no folder: the memory is all there is
  for (const s of failing) {
    try {
      const last = await queryLogs([{ instance: s.instance, file: s.file }], { n: 1 });
      for await (const batch of last.lines()) for (const e of batch) ends.set(s.instance, Date.parse(e.ts));
    } catch {
      unreadable.add(s.instance);
    }
  }
  const r = (await untyped(client).request('logs', {
    names: failing.map((s) => s.instance),
    lines: MAX_REPLY_LINES,
  })) as { lines: LogLine[] };
  const memory = r.lines.filter((l) => {
    const t = Date.parse(l.time);
    if (t <= (ends.get(l.service) ?? Number.NEGATIVE_INFINITY)) return false;
    return !(
      (o.since !== undefined && t < o.since) ||
      (o.until !== undefined && t > o.until) ||
      (o.grep && !o.grep.test(l.line))
    );
  });
  const n = args.lines;
  const kept = n === undefined ? memory : memory.slice(Math.max(0, memory.length - n));
  const printer = logPrinter(
    where.sources.map((s) => s.instance),
    { json: o.json, timestamps: args.timestamps === true, color: io.color },
  );
  // the files first (as many lines as -n leaves), then the memory's newer lines
  const files = { ...where, sources: where.sources.filter((s) => !unreadable.has(s.instance)) };
  if ((n === undefined || n > kept.length) && files.sources.length > 0) {
    await printFiles(
      files,
      { n: n === undefined ? undefined : n - kept.length, since: o.since, until: o.until, grep: o.grep },
      printer,
      io,
    );
  }
  let out = '';
  for (const l of kept) out += printer.wire(l);
  io.out(out);
  return EXIT.ok;
}

/** One line on stderr: the lines asked for reach past what rotation kept. */
function goneLine(gone: GoneNote[], where: LogsWhere, head = 'older lines are gone, rotated away'): string {
  const keep = new Map(where.sources.map((s) => [s.instance, s.keep]));
  const parts = gone.map((g) => {
    const k = keep.get(g.instance);
    return `${g.instance} before ${localTime(g.before)}${k === undefined ? '' : ` (logs.keep ${k})`}`;
  });
  return `tend: ${head}: ${parts.join(', ')}\n`;
}

/**
 * `-f` with a daemon: the files up to where the daemon's live lines begin, then those
 * (follow-join.ts). Where each instance's printed lines end is kept as a mark (the time of its
 * last line and how many of its lines bear that time, as the daemon's marks count): a follower
 * that fell behind prints from there, from the files, up to where its new subscription begins.
 */
async function follow(
  client: Client,
  args: LogsArgs,
  o: { since?: number; grep?: LineMatcher; json: boolean },
  io: RunIo,
): Promise<number> {
  let printer: Printer | undefined;
  const printed = new Map<string, LineMark>();
  let last: LogsWhere | undefined; // the last where reached: the files, and their keep
  const reached = (where: LogsWhere): void => {
    for (const s of where.sources) if (s.up_to) printed.set(s.instance, { ...s.up_to });
    last = where;
  };
  /** Prints what the files hold from each instance's last line printed, up to `upTo` (or their end). */
  const fromFiles = async (sources: LogSource[], where: LogsWhere): Promise<void> => {
    const result = await queryLogs(sources, { grep: o.grep, since: o.since });
    if (result.gone.length > 0) io.err(goneLine(result.gone, where, 'lines were rotated away while this client read too slowly'));
    for await (const batch of result.lines()) {
      if (io.signal?.aborted) break; // Ctrl-C in the shell: not after gigabytes
      io.out(printer!.entries(batch));
    }
  };
  // the instances the first subscription found: a catch-up follows those (a reload since may have
  // added others, which the printer's prefixes do not know)
  let names = args.names;
  await followJoined<LogsWhere, LogLine>(
    untyped(client),
    {
      cmd: 'logs',
      args: () => ({ names }),
      items: 'lines',
      past: async (where) => {
        names = where.sources.map((x) => x.instance);
        printer = logPrinter(names, { json: o.json, timestamps: args.timestamps === true, color: io.color });
        await printFiles(where, { n: args.lines, since: o.since, grep: o.grep }, printer, io);
        reached(where);
      },
      live: (l) => {
        // printed or filtered out, it counts all the same: its instance's mark moves past it
        printed.set(l.service, pastLine(printed.get(l.service), Date.parse(l.time)));
        // --since ahead of now (`+10s`) holds back the live lines too
        if (o.since !== undefined && Date.parse(l.time) < o.since) return;
        if (!o.grep || o.grep.test(l.line)) io.out(printer!.wire(l));
      },
      catchUp: async (where) => {
        const sources: LogSource[] = where.sources
          .filter((s) => s.up_to && printed.has(s.instance))
          .map((s) => ({ instance: s.instance, file: s.file, from: printed.get(s.instance), upTo: s.up_to }));
        const failing = where.sources.filter((s) => s.unwritable).map((s) => s.instance);
        if (failing.length > 0) {
          io.err(
            `tend: lines of ${failing.join(', ')} may be missing: this client read too slowly, and the log file cannot be written now (the lines are in the daemon's memory only)\n`,
          );
        }
        await fromFiles(sources, where);
        reached(where);
      },
      finish: async () => {
        if (!last) return;
        const sources = last.sources.filter((s) => printed.has(s.instance));
        await fromFiles(
          sources.map((s) => ({ instance: s.instance, file: s.file, from: printed.get(s.instance) })),
          last,
        );
      },
      weigh: (l) => l.line.length + 64,
    },
    io,
  );
  return EXIT.ok;
}

/** The stream of an entry's line, as the wire has it. */
export function streamOf(s: string): LogStream {
  return s === 'stderr' ? 'stderr' : s === 'log' ? 'log' : 'stdout';
}

export type { LogEntry };
