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
  let carry: Buffer | undefined;
  const last = new LastTs();
  while (pos < to) {
    const part = files.partAt(pos);
    const fileEnd = Math.min(to, part.base + part.size);
    const block = await files.read(pos, Math.min(BLOCK, fileEnd - pos));
    if (block.length === 0) break; // the file shrank: nothing more there
    pos += block.length;
    const buf = carry ? Buffer.concat([carry, block]) : block;
    carry = undefined;
    const out: LogEntry[] = [];
    let s = 0;
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, s)) {
      const e = entryOf(buf, s, nl, o, last);
      if (e) out.push(e);
      s = nl + 1;
    }
    if (s < buf.length) {
      if (pos >= fileEnd || buf.length - s >= MAX_LINE) {
        // the file ends without a newline (or no newline comes): the rest is a line
        const e = entryOf(buf, s, buf.length, o, last);
        if (e) out.push(e);
      } else carry = buf.subarray(s);
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
    let carry: Buffer | undefined; // the start of the newest line not yet whole
    let first = true;
    const last = new LastTs(); // going backwards, a line without a time takes the next line's
    while (pos > lo) {
      const len = Math.min(BLOCK, pos - lo);
      const block = await files.read(pos - len, len);
      if (block.length < len) throw new Error(`${part.path} shrank while being read`);
      pos -= len;
      const buf = carry ? Buffer.concat([block, carry]) : block;
      carry = undefined;
      let e = buf.length;
      if (first && e > 0 && buf[e - 1] === 10) e--; // the newline ending the range
      first = false;
      const batch: BackEntry[] = [];
      for (let nl = e > 0 ? buf.lastIndexOf(10, e - 1) : -1; nl !== -1; nl = e > 0 ? buf.lastIndexOf(10, e - 1) : -1) {
        push(batch, buf, nl + 1, e, pos, o, last);
        e = nl;
      }
      if (pos === lo || e >= MAX_LINE) push(batch, buf, 0, e, pos, o, last); // the first line of the range
      else carry = buf.subarray(0, e);
      if (batch.length > 0) yield batch;
    }
  }
}

function push(batch: BackEntry[], buf: Buffer, s: number, e: number, at: number, o: ScanOptions, last: LastTs): void {
  const entry = entryOf(buf, s, e, o, last) as BackEntry | undefined;
  if (!entry) return;
  entry.at = at + s;
  batch.push(entry);
}
