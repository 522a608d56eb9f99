// Reading lines out of a LogFiles range in blocks, forwards (oldest first) or backwards (newest
// first, for the last N), filtered by a matcher, a block's worth of lines at a time: memory stays
// one block plus one line whatever the file's size. The end of each file ends a line.
import type { LogFiles } from './log-files.js';
import type { LineFormat, LogEntry } from './line-format.js';
import { TS_LEN } from './line-format.js';

/** Bytes read at once when scanning. */
export const BLOCK = 1024 * 1024;
/** A line is cut here when no newline comes (tend writes pieces of at most 256 KiB + a prefix). */
export const MAX_LINE = 4 * 1024 * 1024;

/** Tests the text of a line (the bytes after the prefix); see regex.ts. */
export interface BytesFilter {
  testBytes(buf: Buffer, start: number, end: number): boolean;
}

export interface ScanOptions {
  instance: string;
  format: LineFormat;
  filter?: BytesFilter;
}

/** A line read backwards, with where it starts in the range. */
export interface BackEntry extends LogEntry {
  at: number;
}

/** Where the last time seen is, so a line without one gets it (read only when needed). */
class LastTs {
  private buf: Buffer | undefined;
  private at = 0;
  set(buf: Buffer, at: number): void {
    this.buf = buf;
    this.at = at;
  }
  get(): string {
    return this.buf ? this.buf.toString('latin1', this.at, this.at + TS_LEN) : '';
  }
}

/** The entry of line buf[s..e), or undefined when the filter drops it; `last` follows the times. */
function entryOf(buf: Buffer, s: number, e: number, o: ScanOptions, last: LastTs): LogEntry | undefined {
  const f = o.format;
  const ok = f.hasTs(buf, s, e);
  if (ok) last.set(buf, s + f.tsAt);
  const p = ok ? s + f.payloadAt : s;
  if (o.filter && !o.filter.testBytes(buf, p, e)) return undefined;
  return { ts: last.get(), instance: o.instance, stream: ok ? f.stream(buf, s) : 'log', line: buf.subarray(p, e) };
}

/**
 * Why: `logs --since`, `logs` of a whole range, the second pass of a large `-n`. The lines from
 * `from` (a line start) to `to`, oldest first, in batches of one block.
 */
export async function* scanForward(files: LogFiles, from: number, to: number, o: ScanOptions): AsyncGenerator<LogEntry[]> {
  let pos = from;
  let carry: Buffer | undefined; // the start of a line the last block did not end
  const last = new LastTs();
  while (pos < to) {
    const part = files.partAt(pos);
    const fileEnd = Math.min(to, part.base + part.size);
    const block = await files.read(pos, Math.min(BLOCK, fileEnd - pos));
    if (block.length === 0) break; // the file shrank: nothing more there
    pos += block.length;
    const out: LogEntry[] = [];
    let s = 0;
    if (carry) {
      // only the line across the two blocks is copied, not the block
      const nl = block.indexOf(10);
      const whole = nl !== -1 || pos >= fileEnd || carry.length + block.length >= MAX_LINE;
      const line = Buffer.concat([carry, nl === -1 ? block : block.subarray(0, nl)]);
      carry = undefined;
      if (!whole) {
        carry = line;
        continue;
      }
      const e = entryOf(line, 0, line.length, o, last);
      if (e) out.push(e);
      s = nl === -1 ? block.length : nl + 1;
    }
    for (let nl = block.indexOf(10, s); nl !== -1; nl = block.indexOf(10, s)) {
      const e = entryOf(block, s, nl, o, last);
      if (e) out.push(e);
      s = nl + 1;
    }
    if (s < block.length) {
      if (pos >= fileEnd || block.length - s >= MAX_LINE) {
        // the file ends without a newline (or no newline comes): the rest is a line
        const e = entryOf(block, s, block.length, o, last);
        if (e) out.push(e);
      } else carry = block.subarray(s);
    }
    if (out.length > 0) yield out;
  }
}

/**
 * Why: `logs -n N` reads from the end, not the whole file. The lines from `from` down to `to`
 * (both line starts), newest first, in batches of one block.
 */
export async function* scanBackward(files: LogFiles, from: number, to: number, o: ScanOptions): AsyncGenerator<BackEntry[]> {
  for (let i = files.parts.length - 1; i >= 0; i--) {
    const part = files.parts[i]!;
    const lo = Math.max(to, part.base);
    let pos = Math.min(from, part.base + part.size);
    if (pos <= lo) continue;
    let carry: Buffer | undefined; // the end of the newest line not yet whole
    let first = true;
    const last = new LastTs(); // going backwards, a line without a time takes the next line's
    while (pos > lo) {
      const len = Math.min(BLOCK, pos - lo);
      const block = await files.read(pos - len, len);
      if (block.length < len) throw new Error(`${part.path} shrank while being read`);
      pos -= len;
      const batch: BackEntry[] = [];
      let e = block.length;
      if (first && block[e - 1] === 10) e--; // the newline ending the range
      first = false;
      if (carry) {
        const nl = block.lastIndexOf(10);
        const line = Buffer.concat([nl === -1 ? block : block.subarray(nl + 1), carry]);
        carry = undefined;
        if (nl === -1 && pos > lo && line.length < MAX_LINE) {
          carry = line;
          continue;
        }
        push(batch, line, 0, line.length, pos + (nl + 1) - 0, o, last);
        e = nl === -1 ? 0 : nl;
        if (nl === -1) {
          if (batch.length > 0) yield batch;
          continue;
        }
      }
      for (let nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1; nl !== -1; nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1) {
        push(batch, block, nl + 1, e, pos, o, last);
        e = nl;
      }
      if (pos === lo || e >= MAX_LINE)
        push(batch, block, 0, e, pos, o, last); // the first line of the range
      else carry = block.subarray(0, e);
      if (batch.length > 0) yield batch;
    }
  }
}

/**
 * Why: `logs -n N` without --grep over one instance only counts lines: where the last n lines
 * between `to` and `from` start, and how many there are (fewer than n: all of them).
 */
export async function lastLinesStart(
  files: LogFiles,
  from: number,
  to: number,
  n: number,
): Promise<{ start: number; count: number }> {
  let count = 0;
  let start = from;
  if (n <= 0) return { start, count };
  for (let i = files.parts.length - 1; i >= 0; i--) {
    const part = files.parts[i]!;
    const lo = Math.max(to, part.base);
    let pos = Math.min(from, part.base + part.size);
    if (pos <= lo) continue;
    let first = true;
    while (pos > lo) {
      const len = Math.min(BLOCK, pos - lo);
      const block = await files.read(pos - len, len);
      pos -= block.length;
      if (block.length === 0) break;
      let e = block.length;
      if (first && block[e - 1] === 10) e--;
      first = false;
      for (let nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1; nl !== -1; nl = e > 0 ? block.lastIndexOf(10, e - 1) : -1) {
        start = pos + nl + 1;
        if (++count === n) return { start, count };
        e = nl;
      }
    }
    start = lo; // the part's first line
    if (++count === n) return { start, count };
  }
  return { start, count };
}

function push(batch: BackEntry[], buf: Buffer, s: number, e: number, at: number, o: ScanOptions, last: LastTs): void {
  const entry = entryOf(buf, s, e, o, last) as BackEntry | undefined;
  if (!entry) return;
  entry.at = at + s;
  batch.push(entry);
}
