// How a reader finds the time, the stream and the text of one line of a file, without building
// a string: the service log (`2026-11-25T15:35:11.123Z out text`) and the journal on disk
// (`{"time":"2026-11-25T15:35:11.123Z",...}`). Both put a 24-char ISO time (UTC, ms) at a fixed
// place, and both files are in time order, which is what the seek relies on.

/** Where a line came from: the service's stdout or stderr, or tend itself (a "lines lost" note). */
export type LogStream = 'stdout' | 'stderr' | 'log';

/**
 * One line read back from a log file. `line` is the service's bytes as written (no prefix, no
 * newline): raw, so non-UTF-8 output prints exactly as it was; `--json` decodes it. It is a view
 * of the block it was read in: copy it (Buffer.from) to keep many lines for long.
 */
export interface LogEntry {
  /** the ISO time of the line as in the file (UTC, ms, 24 chars) */
  ts: string;
  instance: string;
  stream: LogStream;
  line: Buffer;
}

/** The layout of one kind of log file. */
export interface LineFormat {
  /** bytes before the 24-char time */
  tsAt: number;
  /** bytes before the text a user greps (a line not well-formed is greped whole) */
  payloadAt: number;
  /** true when the line buf[s..e) is well-formed: a time where this format puts it */
  hasTs(buf: Buffer, s: number, e: number): boolean;
  /** the stream of a well-formed line starting at s */
  stream(buf: Buffer, s: number): LogStream;
}

export const TS_LEN = 24;

function isoAt(buf: Buffer, at: number, e: number): boolean {
  // 2026-11-25T15:35:11.123Z
  return (
    at + TS_LEN <= e &&
    buf[at + 4] === 45 &&
    buf[at + 7] === 45 &&
    buf[at + 10] === 84 &&
    buf[at + 13] === 58 &&
    buf[at + 19] === 46 &&
    buf[at + 23] === 90
  );
}

/** Why: the service log `log_dir/ID.log`: `TIME TAG text`, TAG out, err or log (written by tend). */
export const SERVICE_LOG: LineFormat = {
  tsAt: 0,
  payloadAt: 29,
  hasTs: (buf, s, e) => e - s >= 29 && isoAt(buf, s, e) && buf[s + 24] === 32 && buf[s + 28] === 32,
  stream(buf, s) {
    const c = buf[s + 25];
    return c === 111 ? 'stdout' : c === 101 ? 'stderr' : 'log'; // o, e
  },
};

const JSON_HEAD = Buffer.from('{"time":"', 'latin1');

/** Why: the journal `log_dir/tend.events`: one JSON object a line, its `time` first. */
export const JOURNAL_LOG: LineFormat = {
  tsAt: JSON_HEAD.length,
  payloadAt: 0,
  hasTs: (buf, s, e) =>
    e - s >= JSON_HEAD.length + TS_LEN + 1 &&
    buf.compare(JSON_HEAD, 0, JSON_HEAD.length, s, s + JSON_HEAD.length) === 0 &&
    isoAt(buf, s + JSON_HEAD.length, e),
  stream: () => 'log',
};

const FIRST = -62167219200000; // 0000-01-01T00:00:00.000Z
const LAST = 253402300799999; // 9999-12-31T23:59:59.999Z

/** Why: bounds compare with the times in files as strings; those are 24 chars, years 0000-9999. */
export function isoOf(ms: number): string {
  return new Date(Math.min(LAST, Math.max(FIRST, ms))).toISOString();
}
