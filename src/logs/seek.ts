// Finding where a time starts in a LogFiles range without reading it all: the files are in time
// order, so a binary search on the time at the start of each line: seek to the middle, find the
// next line start, compare, halve. Costs one small read a step: O(log size) reads.
import type { LogFiles } from './log-files.js';
import type { LineFormat } from './line-format.js';
import { TS_LEN } from './line-format.js';

/** Bytes read a probe: a line start and its time are almost always within. */
export const WINDOW = 4096;

/** The first line start at or after `pos` (a line starts after each newline and at each file start); `limit` when none is before it. */
async function nextLineStart(files: LogFiles, pos: number, limit: number): Promise<number> {
  let at = pos;
  while (at < limit) {
    const part = files.partAt(at);
    if (at === part.base) return at;
    const block = await files.read(at - 1, WINDOW);
    if (block.length === 0) return limit;
    const nl = block.indexOf(10);
    if (nl !== -1) return Math.min(at + nl, limit);
    at += block.length - 1; // reaching the file's end: the next file's start
  }
  return limit;
}

/** The first line with a time, starting at or after `start` (a line start) and before `limit`. */
async function firstTimedLine(
  files: LogFiles,
  start: number,
  limit: number,
  f: LineFormat,
): Promise<{ start: number; ts: string } | undefined> {
  let s = start;
  while (s < limit) {
    const buf = await files.read(s, WINDOW);
    if (buf.length === 0) return undefined;
    const nl = buf.indexOf(10);
    if (f.hasTs(buf, 0, nl === -1 ? buf.length : nl)) {
      return { start: s, ts: buf.toString('latin1', f.tsAt, f.tsAt + TS_LEN) };
    }
    s = nl !== -1 ? s + nl + 1 : await nextLineStart(files, s + buf.length, limit);
  }
  return undefined;
}

/**
 * The start of the first line at or after the bound, reading forward from `lo` (a line start
 * before the bound) to `end`, the end of its file. A line without a time goes with the line
 * before it, as the readers date it.
 */
async function walk(files: LogFiles, lo: number, end: number, bound: string, f: LineFormat): Promise<number> {
  let after = lo;
  let pos = lo;
  let carry: Buffer | undefined;
  while (pos < end) {
    const block = await files.read(pos, Math.min(4 * WINDOW, end - pos));
    if (block.length === 0) break;
    const buf = carry ? Buffer.concat([carry, block]) : block;
    const at = pos - (carry?.length ?? 0);
    pos += block.length;
    let s = 0;
    for (;;) {
      let nl = buf.indexOf(10, s);
      if (nl === -1) {
        if (pos < end) break;
        nl = buf.length; // the file ends without a newline
      }
      if (f.hasTs(buf, s, nl) && buf.toString('latin1', s + f.tsAt, s + f.tsAt + TS_LEN) >= bound) return after;
      after = at + nl + 1;
      s = nl + 1;
      if (s >= buf.length) break;
    }
    carry = s < buf.length ? buf.subarray(s) : undefined;
  }
  return end;
}

/**
 * Why: `--since T` and `--until T` seek instead of scanning. Where the first line whose time is at
 * or after `bound` (an ISO time, as isoOf makes) starts; the range's end when there is none.
 * A clock set back makes the answer approximate there, as in any log sorted by time.
 */
export async function seekTime(files: LogFiles, bound: string, f: LineFormat): Promise<number> {
  // the file to search: the last whose first timed line is before the bound
  let lo: number | undefined;
  for (const part of files.parts) {
    if (part.size === 0) continue;
    const first = await firstTimedLine(files, part.base, part.base + part.size, f);
    if (first === undefined) continue;
    if (first.ts >= bound) break;
    lo = first.start;
  }
  if (lo === undefined) return 0;
  // lines starting at or before lo are before the bound; those at or after hi are not
  const part = files.partAt(lo);
  const end = part.base + part.size;
  let hi = end;
  while (hi - lo > WINDOW) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const line = await firstTimedLine(files, await nextLineStart(files, mid, hi), hi, f);
    if (line === undefined || line.ts >= bound) hi = mid;
    else lo = line.start;
  }
  return walk(files, lo, end, bound, f);
}

/** Why: "lines before X are gone" names X. The time of the oldest timed line in the range. */
export async function firstTime(files: LogFiles, f: LineFormat): Promise<string | undefined> {
  return (await firstTimedLine(files, 0, files.end, f))?.ts;
}
