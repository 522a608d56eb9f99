// `tend logs NAME... [-n N] [--since T] [--until T] [--grep RE]` on the files themselves (current
// and rotated), with or without a daemon: seek the time range by binary search, take the last N
// (matching) lines by reading backwards from the range's end, then stream the lines out in time
// order, merged across instances. Memory stays a few blocks whatever the files' size or N.
import { LogFiles, type ReadStats } from './log-files.js';
import { isoOf, SERVICE_LOG, type LineFormat, type LogEntry } from './line-format.js';
import { mergeByTime } from './merge.js';
import { lastLinesStart, scanBackward, scanForward, type BytesFilter } from './scan.js';
import { firstTime, seekTime } from './seek.js';

/** One instance's log to read: its id and its live file (`log_dir/ID.log`). */
export interface LogSource {
  instance: string;
  file: string;
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
  /** `logs.keep` of the service: with it, a range reaching past the oldest file kept is told */
  keep?: number;
  /** the files' layout: the service log unless said */
  format?: LineFormat;
  /** counts the reads (tests) */
  stats?: ReadStats;
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
  /** the lines, oldest first, in batches; call once. Closes the files when done. */
  lines(): AsyncGenerator<LogEntry[]>;
  /** closes the files when lines() is not read to its end */
  close(): Promise<void>;
}

/** Bytes of lines kept from the backward pass of `-n`; past it the lines are read again forwards. */
export const COLLECT_BUDGET = 4 * 1024 * 1024;
const OUT = 1024;

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
    for (const f of files) {
      const a = q.since !== undefined ? await seekTime(f, isoOf(q.since), format) : 0;
      const b = q.until !== undefined ? await seekTime(f, isoOf(q.until + 1), format) : f.end;
      lo.push(a);
      hi.push(Math.max(a, b));
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
        count: for await (const batch of back) {
          for (const e of batch) {
            if (count === n) break count;
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
    if (reachesStart && q.keep !== undefined && q.keep > 0) {
      for (const [i, f] of files.entries()) {
        if (f.oldestIndex < q.keep || f.end === 0) continue;
        const first = await firstTime(f, format);
        if (first === undefined) continue;
        if (q.since === undefined || isoOf(q.since) < first) gone.push({ instance: unique[i]!.instance, before: first });
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
    return { gone, lines, close };
  } catch (err) {
    await close();
    throw err;
  }
}
