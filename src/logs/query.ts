// `tend logs NAME... [-n N] [--since T] [--until T] [--grep RE]` on the files themselves (current
// and rotated), with or without a daemon: seek the time range by binary search, take the last N
// (matching) lines by reading backwards from the range's end, then stream the lines out in time
// order, merged across instances. Memory stays a few blocks whatever the files' size or N.
import { LogFiles, type ReadStats } from './log-files.js';
import { isoOf, SERVICE_LOG, type LineFormat, type LogEntry } from './line-format.js';
import { mergeByTime } from './merge.js';
import { BLOCK, lastLinesStart, scanBackward, scanForward, type BytesFilter } from './scan.js';
import { firstTime, seekTime } from './seek.js';
import { linesDropped } from './rotate.js';

/**
 * Where lines read end, as the daemon's marks say it (logs/sink.ts mark()): after the first
 * `count` lines dated `time` (ms). Followers keep one for each instance they print.
 */
export interface LineMark {
  time: number;
  count: number;
}

/** The mark moved past one more line, dated `time` (ms). */
export function pastLine(m: LineMark | undefined, time: number): LineMark {
  return m !== undefined && m.time === time ? { time, count: m.count + 1 } : { time, count: 1 };
}

/** One instance's log to read: its id and its live file (`log_dir/ID.log`). */
export interface LogSource {
  instance: string;
  file: string;
  /**
   * `-f`: read only the lines before the live ones (the daemon's mark): those dated before
   * `time` (ms), and the first `count` of those dated `time`.
   */
  upTo?: LineMark;
  /**
   * `-f` catching up after it fell behind: read only the lines after a mark (those dated after
   * `time`, and those dated `time` past the first `count`): where the lines it printed end.
   */
  from?: LineMark;
}

export interface LogQuery {
  /** the last n (matching) lines of the range; all of them when undefined */
  n?: number;
  /** ms since the epoch: lines at or after (parseTimeSpec makes these) */
  since?: number;
  /** ms since the epoch: lines at or before */
  until?: number;
  /** only lines whose text it matches (compileRegex makes one) */
  grep?: BytesFilter;
  /** the files' layout: the service log unless said */
  format?: LineFormat;
  /** counts the reads (tests) */
  stats?: ReadStats;
  /** end at the last newline: a line being written (a follower reading live files) waits for its end */
  wholeLines?: boolean;
}

/** Lines asked for that are gone: older than the oldest line kept, rotated past `keep`. */
export interface GoneNote {
  instance: string;
  /** the time of the oldest line still there */
  before: string;
}

export interface LogResult {
  /** one note an instance whose asked-for lines reach past what rotation kept */
  gone: GoneNote[];
  /** how many files (current and rotated, of every instance) there were to read */
  files: number;
  /** the lines, oldest first, in batches; call once. Closes the files when done. */
  lines(): AsyncGenerator<LogEntry[]>;
  /** closes the files when lines() is not read to its end */
  close(): Promise<void>;
}

/** Bytes of lines kept from the backward pass of `-n`; past it the lines are read again forwards. */
export const COLLECT_BUDGET = 4 * 1024 * 1024;
const OUT = 1024;

/** Where the last whole line ends (after its newline): a line still being written is left out. */
async function wholeEnd(f: LogFiles): Promise<number> {
  let pos = f.end;
  while (pos > 0) {
    const from = Math.max(f.partAt(pos - 1).base, pos - BLOCK);
    const block = await f.read(from, pos - from);
    if (block.length === 0) return pos;
    const nl = block.lastIndexOf(10);
    if (nl !== -1) return from + nl + 1;
    pos = from;
  }
  return 0;
}

/**
 * Why: `tend logs -f` with no daemon follows from a mark, as with one. The mark after the last
 * whole line of the files now: its time and how many lines bear it (none: before any line).
 */
export async function endMark(file: string, format: LineFormat = SERVICE_LOG): Promise<LineMark> {
  const f = await LogFiles.open(file);
  try {
    const hi = await wholeEnd(f);
    let time: string | undefined;
    let count = 0;
    reading: for await (const batch of scanBackward(f, hi, 0, { instance: '', format })) {
      for (const e of batch) {
        if (time === undefined) time = e.ts;
        else if (e.ts !== time) break reading;
        count++;
      }
    }
    return time === undefined ? { time: 0, count: 0 } : { time: Date.parse(time), count };
  } finally {
    await f.close();
  }
}

/** Where the lines before a mark end: after the first `count` lines dated `time`. */
async function markEnd(f: LogFiles, mark: LineMark, format: LineFormat): Promise<number> {
  const from = await seekTime(f, isoOf(mark.time), format);
  const to = await seekTime(f, isoOf(mark.time + 1), format);
  let left = mark.count;
  let pos = from;
  while (left > 0 && pos < to) {
    const block = await f.read(pos, Math.min(BLOCK, to - pos));
    if (block.length === 0) break;
    let nl = -1;
    while (left > 0 && (nl = block.indexOf(10, nl + 1)) !== -1) left--;
    if (left === 0) return pos + nl + 1;
    pos += block.length;
  }
  return Math.min(pos, to);
}

/**
 * Why: `tend logs` and the daemon's logs handler, the same engine. Opens the files, finds the
 * range and the gone notes; the lines are streamed by lines().
 */
export async function queryLogs(sources: LogSource[], q: LogQuery = {}): Promise<LogResult> {
  const format = q.format ?? SERVICE_LOG;
  const unique = sources.filter((s, i) => sources.findIndex((t) => t.file === s.file) === i);
  const files: LogFiles[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(files.map((f) => f.close()));
  };
  try {
    for (const s of unique) files.push(await LogFiles.open(s.file, q.stats));
    const opts = unique.map((s) => ({ instance: s.instance, format, filter: q.grep }));
    const lo: number[] = [];
    const hi: number[] = [];
    for (const [i, f] of files.entries()) {
      const from = unique[i]!.from;
      const since = q.since !== undefined ? await seekTime(f, isoOf(q.since), format) : 0;
      const a = from ? Math.max(since, await markEnd(f, from, format)) : since;
      const b = q.until !== undefined ? await seekTime(f, isoOf(q.until + 1), format) : f.end;
      const mark = unique[i]!.upTo;
      const c = mark !== undefined ? await markEnd(f, mark, format) : q.wholeLines ? await wholeEnd(f) : f.end;
      lo.push(a);
      hi.push(Math.max(a, Math.min(b, c)));
    }

    let start = lo;
    let collected: LogEntry[] | undefined;
    let reachesStart = true; // the lines asked for go back to the range's start
    if (q.n !== undefined) {
      const n = Math.max(0, Math.floor(q.n));
      start = hi.slice();
      collected = [];
      let count = 0;
      let bytes = 0;
      if (n > 0 && files.length === 1 && q.grep === undefined) {
        // one instance, no filter: count newlines back, then stream forwards from there
        const found = await lastLinesStart(files[0]!, hi[0]!, lo[0]!, n);
        start = [found.start];
        count = found.count;
        collected = undefined;
      } else if (n > 0) {
        const index = new Map(unique.map((s, i) => [s.instance, i]));
        const back = mergeByTime(
          files.map((f, i) => scanBackward(f, hi[i]!, lo[i]!, opts[i]!)),
          true,
        );
        reading: for await (const batch of back) {
          for (const e of batch) {
            if (count === n) break reading;
            count++;
            start[index.get(e.instance)!] = (e as LogEntry & { at: number }).at;
            if (collected === undefined) continue;
            bytes += e.line.length + 96;
            if (bytes > COLLECT_BUDGET) collected = undefined;
            else collected.push({ ts: e.ts, instance: e.instance, stream: e.stream, line: Buffer.from(e.line) });
          }
        }
      }
      reachesStart = count < n;
    }

    const gone: GoneNote[] = [];
    if (reachesStart) {
      for (const [i, f] of files.entries()) {
        // a rotation that deleted lines said so (rotate.ts); the files alone cannot tell
        if (!(await linesDropped(unique[i]!.file))) continue;
        const { from, upTo } = unique[i]!;
        if (f.end === 0) {
          // from a mark to a later one, and nothing is left: all of it went (keep 0, a rotation just now)
          if (from && upTo && (upTo.time > from.time || upTo.count > from.count)) {
            gone.push({ instance: unique[i]!.instance, before: isoOf(upTo.time) });
          }
          continue;
        }
        const first = await firstTime(f, format);
        if (first === undefined) continue;
        // from a mark: the first line kept in the mark's own millisecond may have had others of it
        // before, in the file deleted (they may be the mark's own, or not: said all the same)
        const lost = from ? isoOf(from.time) <= first : q.since === undefined || isoOf(q.since) < first;
        if (lost) gone.push({ instance: unique[i]!.instance, before: first });
      }
    }

    const kept = collected;
    async function* lines(): AsyncGenerator<LogEntry[]> {
      try {
        if (kept !== undefined) {
          // newest first from the backward pass: out in time order
          for (let e = kept.length; e > 0; e -= OUT) yield kept.slice(Math.max(0, e - OUT), e).reverse();
          return;
        }
        yield* mergeByTime(files.map((f, i) => scanForward(f, start[i]!, hi[i]!, opts[i]!)));
      } finally {
        await close();
      }
    }
    return { gone, lines, close, files: files.reduce((n, f) => n + f.parts.length, 0) };
  } catch (err) {
    await close();
    throw err;
  }
}
