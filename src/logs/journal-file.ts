// The journal on disk, `log_dir/tend.events`: one JSON object a line (`time` first, so the
// readers seek it like a service log), appended as the Journal adds entries, one write per
// event-loop turn, rotated by size like a service log. `tend events` reads it back with the
// same engine as `tend logs` (last N, --since, service names), with or without a daemon.
import { constants, close as closeCb, fstat as fstatCb, open as openCb, write as writeCb } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Journal } from '../core/journal.js';
import type { JournalEntry } from '../core/types.js';
import { JOURNAL_LOG, type LogEntry } from './line-format.js';
import { type GoneNote, type LineMark, queryLogs } from './query.js';
import { rotateFiles } from './rotate.js';
import { eventText } from './event-names.js';
import type { BytesFilter } from './scan.js';

/** The journal's file in a log folder. */
export function journalFileOf(logDir: string): string {
  return join(logDir, 'tend.events');
}

export interface JournalFileOptions {
  file: string;
  /** rotate before the file would pass this many bytes; 0: never */
  maxSize: number;
  keep: number;
  /** the file cannot be written (once until it can again); the entries meanwhile are dropped, counted */
  onError?(message: string): void;
}

/** Bytes kept for the next try while the file cannot be written; entries past it are counted as lost. */
const FAIL_BUFFER = 1024 * 1024;
const FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

const openAppend = (file: string) =>
  new Promise<number>((resolve, reject) => openCb(file, FLAGS, 0o640, (err, fd) => (err ? reject(err) : resolve(fd))));
const linksOf = (fd: number) =>
  new Promise<number>((resolve, reject) => fstatCb(fd, (err, st) => (err ? reject(err) : resolve(st.nlink))));
const sizeOf = (fd: number) =>
  new Promise<number>((resolve, reject) => fstatCb(fd, (err, st) => (err ? reject(err) : resolve(st.size))));
const writeAll = async (fd: number, buf: Buffer) => {
  for (let off = 0; off < buf.length; ) {
    off += await new Promise<number>((resolve, reject) =>
      writeCb(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
};
const closeFd = (fd: number) => new Promise<void>((resolve) => closeCb(fd, () => resolve()));

/** Why: `tend events` survives a restart of tend. Appends journal entries to `tend.events`. */
export class JournalFile {
  private fd: number | undefined;
  private size = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  private lost = 0;
  private failing = false;
  private failures = 0;
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();
  /** the time of the last entry appended, and how many were appended in that millisecond */
  private lastTime = Number.NaN;
  private sameMs = 0;

  constructor(private readonly opts: JournalFileOptions) {}

  /** Why: the daemon's wiring: every entry the journal adds goes to the file. Returns the unsubscribe. */
  attach(journal: Journal): () => void {
    return journal.subscribe((e) => this.append(e));
  }

  /** Why: while the file cannot be written, `tend events` gets the entries from the daemon's memory. */
  get unwritable(): boolean {
    return this.failing;
  }

  /**
   * Why: a follower's catch-up counts the entries it printed live to find its place in the file;
   * across a time the file could not be written, the file lacks entries that were sent live (and
   * holds the note on them that was not), so the count is no place. How many times writing began
   * to fail since the daemon started.
   */
  get failedTimes(): number {
    return this.failures;
  }

  /** Queues one entry; written with the others of this event-loop turn. */
  append(e: JournalEntry): void {
    // `time` then `service` first, whatever the entry's own key order: the readers find the time
    // at a fixed place and the service by its text
    const { time, service, ...rest } = e;
    const ms = Date.parse(time);
    if (ms === this.lastTime) this.sameMs++;
    else {
      this.lastTime = ms;
      this.sameMs = 1;
    }
    const line = `${JSON.stringify({ time, service, ...rest })}\n`;
    if (this.failing && this.pendingBytes + line.length > FAIL_BUFFER) {
      this.lost++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += Buffer.byteLength(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.writing = this.writing.then(() => this.flushPending());
      });
    }
  }

  /**
   * Why: `tend events -f` joins the file and the live entries. Once the entries so far are
   * written: those of the file dated before `time`, and the first `count` dated `time`.
   */
  async mark(now = Date.now()): Promise<{ time: number; count: number }> {
    const m = Number.isNaN(this.lastTime) ? { time: now, count: 0 } : { time: this.lastTime, count: this.sameMs };
    await this.flush();
    return m;
  }

  /** Resolves when every entry appended so far is written (or could not be). */
  async flush(): Promise<void> {
    this.writing = this.writing.then(() => this.flushPending());
    await this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFd(fd);
  }

  private async flushPending(): Promise<void> {
    if (this.pending.length === 0 && this.lost === 0) return;
    let taken: string[] = [];
    // the entries this write's note counts: more may be lost while it is on its way (counted for the next)
    const noted = this.lost;
    try {
      if (noted > 0) {
        const note = {
          time: new Date().toISOString(),
          service: 'tend',
          what: 'error',
          why: `${noted} journal entries lost while ${this.opts.file} was unwritable`,
        };
        this.pending.push(`${JSON.stringify(note)}\n`);
      }
      // taken now: entries appended while this write awaits go with the next one
      taken = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      const buf = Buffer.from(taken.join(''), 'utf8');
      if (this.fd !== undefined && (await linksOf(this.fd)) === 0) {
        // the file was removed (log_dir deleted or moved away): write where the readers look
        await closeFd(this.fd);
        this.fd = undefined;
      }
      if (this.fd === undefined) {
        await mkdir(dirname(this.opts.file), { recursive: true });
        this.fd = await openAppend(this.opts.file);
        this.size = await sizeOf(this.fd);
      }
      if (this.opts.maxSize > 0 && this.size > 0 && this.size + buf.length > this.opts.maxSize) {
        await closeFd(this.fd);
        this.fd = undefined;
        await rotateFiles(this.opts.file, this.opts.keep);
        this.fd = await openAppend(this.opts.file);
        this.size = 0;
      }
      await writeAll(this.fd, buf);
      this.size += buf.length;
      taken = [];
      this.lost -= noted;
      this.failing = false;
    } catch (err) {
      if (noted > 0) taken.pop(); // the note is made again on the next try
      // what could not be written goes back in front of what came meanwhile
      this.pending = [...taken, ...this.pending];
      this.pendingBytes = this.pending.reduce((n, l) => n + Buffer.byteLength(l), 0);
      const fd = this.fd;
      this.fd = undefined;
      if (fd !== undefined) await closeFd(fd);
      if (!this.failing) {
        this.failures++;
        this.opts.onError?.(`cannot write the journal ${this.opts.file}: ${(err as Error).message}`);
      }
      this.failing = true;
    }
  }
}

export interface JournalQuery {
  n?: number;
  since?: number;
  until?: number;
  /** only the entries of these services (instance ids, or "tend") */
  services?: string[];
  /** `-f`: only the entries before the daemon's mark (see LogSource.upTo) */
  upTo?: LineMark;
  /** `-f` catching up: only the entries after a mark (see LogSource.from) */
  from?: LineMark;
  /** only the entries whose eventText it matches (`--grep`) */
  grep?: { test(text: string): boolean };
}

/** Matches the `"service":"NAME"` of a journal line, for each name asked. */
function serviceFilter(names: string[]): BytesFilter {
  // each name, and the instances of a replica set it may be (a service name has no dot)
  const needles = names.flatMap((n) => {
    const exact = Buffer.from(`,"service":${JSON.stringify(n)},`, 'utf8');
    return n.includes('.') ? [exact] : [exact, Buffer.from(`,"service":${JSON.stringify(n).slice(0, -1)}.`, 'utf8')];
  });
  return {
    testBytes(buf, start, end) {
      const line = buf.subarray(start, end);
      return needles.some((n) => line.includes(n));
    },
  };
}

/** Matches the entries whose eventText `grep` matches (the line parsed: the JSON escapes are not the text). */
function textFilter(grep: { test(text: string): boolean }): BytesFilter {
  return {
    testBytes(buf, start, end) {
      try {
        return grep.test(eventText(JSON.parse(buf.toString('utf8', start, end)) as JournalEntry));
      } catch {
        return false; // a line cut by a crash mid-write
      }
    },
  };
}

/** A filter that both pass (either alone when the other is undefined). */
function both(a: BytesFilter | undefined, b: BytesFilter | undefined): BytesFilter | undefined {
  if (!a || !b) return a ?? b;
  return { testBytes: (buf, start, end) => a.testBytes(buf, start, end) && b.testBytes(buf, start, end) };
}

/** The entries read back, oldest first, in batches. */
export interface JournalRead {
  gone: GoneNote[];
  /** how many files (current and rotated) there were to read */
  files: number;
  entries(): AsyncGenerator<JournalEntry[]>;
  close(): Promise<void>;
}

/** Why: `tend events [NAME...] [-n N] [--since T]` from `tend.events` (and its rotated files). */
export async function readJournal(file: string, q: JournalQuery = {}): Promise<JournalRead> {
  const r = await queryLogs([{ instance: 'tend', file, upTo: q.upTo, from: q.from }], {
    n: q.n,
    since: q.since,
    until: q.until,
    grep: both(q.services && q.services.length > 0 ? serviceFilter(q.services) : undefined, q.grep && textFilter(q.grep)),
    format: JOURNAL_LOG,
  });
  async function* entries(): AsyncGenerator<JournalEntry[]> {
    for await (const batch of r.lines()) {
      const out: JournalEntry[] = [];
      for (const l of batch as LogEntry[]) {
        try {
          out.push(JSON.parse(l.line.toString('utf8')) as JournalEntry);
        } catch {
          // a line cut by a crash mid-write: skipped
        }
      }
      if (out.length > 0) yield out;
    }
  }
  return { gone: r.gone, files: r.files, entries, close: r.close };
}
