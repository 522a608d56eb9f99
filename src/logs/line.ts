// The log line format, shared by the file, the tail and the followers:
// `2026-11-25T15:35:11.123Z out <raw bytes>\n` (`err` for stderr).
import type { Stream } from '../core/spawner.js';

/** One line of a service's output, as the tail and followers see it (no prefix, no newline). */
export interface LogLine {
  time: number; // ms since the epoch, when tend read the chunk holding the line
  stream: Stream;
  line: Buffer;
}

/** A run of formatted lines (each `prefix + bytes + \n`) read from one stream at one time. */
export interface Batch {
  time: number;
  stream: Stream;
  buf: Buffer;
  lines: number;
  /** bytes of the timestamp-and-tag prefix of every line of buf */
  prefix: number;
}

/** The 3-letter tag of a stream in the file. */
export function streamTag(stream: Stream): 'out' | 'err' {
  return stream === 'stdout' ? 'out' : 'err';
}

/** Formats a line as it appears in the log file (without the newline), for `tend logs`. */
export function formatLogLine(l: LogLine): string {
  return `${new Date(l.time).toISOString()} ${streamTag(l.stream)} ${l.line.toString('utf8')}`;
}

/** Caches the prefix bytes of the current millisecond, so the hot path builds no strings. */
export class Stamp {
  private ms = Number.NaN;
  private out = Buffer.alloc(0);
  private err = Buffer.alloc(0);

  /** the prefix for a line of `stream` read at `now` */
  at(now: number, stream: Stream): Buffer {
    if (now !== this.ms) {
      const iso = new Date(now).toISOString();
      this.out = Buffer.from(`${iso} out `, 'latin1');
      this.err = Buffer.from(`${iso} err `, 'latin1');
      this.ms = now;
    }
    return stream === 'stdout' ? this.out : this.err;
  }
}

/** Splits a batch back into lines (subarrays of its buffer): the slow path, only when asked. */
export function batchLines(b: Batch): LogLine[] {
  const out: LogLine[] = [];
  const buf = b.buf;
  let start = 0;
  for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10, nl + 1)) {
    out.push({ time: b.time, stream: b.stream, line: buf.subarray(start + b.prefix, nl) });
    start = nl + 1;
  }
  return out;
}
