// ServiceLog: where one service instance's output goes. Lines are timestamped and tagged into
// its log file (rotated by size), kept in an in-memory tail, and handed to followers.
// Back-pressure: write() returns false while too much waits for the disk, onDrain says when to
// resume; a failing disk never stops the service (bounded buffer, then counted loss).
import { noteBytes } from '../sys/activity.js';
import { openDirect, type DirectPath } from '../sys/addon.js';
import type { OutputSink, Stream } from '../core/spawner.js';
import { LogFile } from './file.js';
import { LineFramer } from './frame.js';
import { SERVICE_LOG, TS_LEN } from './line-format.js';
import { batchLines, Stamp, type Batch, type LogLine } from './line.js';
import { LogTail } from './tail.js';

export interface ServiceLogOptions {
  /** the log file, e.g. `<log_dir>/web.log` */
  file: string;
  /** rotate before the file passes this many bytes; 0: never */
  maxSize: number;
  /** old files kept (`web.log.1` ... `web.log.<keep>`) */
  keep: number;
  /** the file's mode (default 0640) */
  mode?: number;
  /** why the file must not be opened now (an unsafe log_dir) */
  refuse?(): string | undefined;
  /** lines kept in memory for a failed start and `tend why` (default 100) */
  tailLines?: number;
  /** cap on the bytes of those lines (default 64 KiB) */
  tailBytes?: number;
  /** bytes waiting for the disk above which write() asks the caller to pause (default 4 MiB) */
  highWater?: number;
  /** bytes kept for later while the file cannot be written (default 8 MiB) */
  failBuffer?: number;
  /** the file cannot be written (called once until it recovers) */
  onError?(message: string): void;
  /** the file can be written again */
  onRecover?(): void;
  /** false: the file is always written through the thread pool (see LogFile) */
  inPlace?: boolean;
}

/** The OutputSink of one service instance; lives across restarts of the instance. */
export class ServiceLog implements OutputSink {
  private readonly file: LogFile;
  private readonly tailKept: LogTail;
  private readonly stamp = new Stamp();
  private readonly framers: Record<Stream, LineFramer> = {
    stdout: new LineFramer(),
    stderr: new LineFramer(),
  };
  private readonly followers = new Set<(line: LogLine) => void>();
  private readonly highWater: number;
  private drains: Array<() => void> = [];
  private closed = false;
  /** runs whose pipes are open (begin() without end() yet) */
  private attached = 0;
  private readonly endWaiters = new Set<() => void>();
  /** the time of the last line emitted, and how many lines were emitted in that millisecond */
  private lastTime = Number.NaN;
  private sameMs = 0;
  /** the native direct path (see direct()), made when a pipe reader first asks */
  private path: DirectPath | undefined;
  /** the direct path writes (maybeDirect turned it on; leaveDirect turns it off) */
  private pathOn = false;
  /** lines are being framed here: the direct path must not take the partial lines now */
  private framing = false;
  private readonly tailLines: number;
  private readonly tailBytes: number;
  private directBytes = 0;

  constructor(opts: ServiceLogOptions) {
    this.highWater = opts.highWater ?? 4 * 1024 * 1024;
    this.tailLines = opts.tailLines ?? 100;
    this.tailBytes = opts.tailBytes ?? 64 * 1024;
    this.tailKept = new LogTail(this.tailLines, this.tailBytes);
    this.file = new LogFile({
      file: opts.file,
      maxSize: opts.maxSize,
      keep: opts.keep,
      mode: opts.mode,
      refuse: opts.refuse,
      inPlace: opts.inPlace,
      failBuffer: opts.failBuffer ?? 8 * 1024 * 1024,
      onError: (m) => opts.onError?.(m),
      onRecover: () => opts.onRecover?.(),
      onProgress: () => this.progress(),
    });
  }

  /** why the log file cannot be written, while it cannot (for `status` and the journal) */
  get failing(): string | undefined {
    return this.file.failing;
  }

  /** bytes written to the log file and its rotated predecessors */
  get bytesWritten(): number {
    this.syncDirect();
    return this.file.bytesWritten;
  }

  /** bytes the direct path wrote (see direct()) */
  get directWritten(): number {
    this.syncDirect();
    return this.directBytes;
  }

  /** bytes waiting for the disk */
  get queuedBytes(): number {
    return this.file.queued;
  }

  write(stream: Stream, chunk: Buffer): boolean {
    if (this.closed || chunk.length === 0) return true;
    this.leaveDirect();
    const now = Date.now();
    noteBytes(chunk.length, now);
    const prefix = this.stamp.at(now, stream);
    this.framing = true;
    try {
      const framed = this.framers[stream].frame(chunk, prefix);
      if (framed) this.emit({ time: now, stream, buf: framed.buf, lines: framed.lines, prefix: prefix.length });
    } finally {
      this.framing = false;
    }
    this.maybeDirect();
    return this.writable();
  }

  /**
   * Why: the log hot path (docs/logs.md "The direct path"). The pipe readers of this log frame
   * and write their reads in C while the file allows it (maybeDirect), with no call into JS for
   * each; what this side keeps (the file's figures, the lines' times, the tail) it takes from
   * there every 20 ms and whenever it is asked (syncDirect). Undefined without the addon.
   */
  direct(): DirectPath | undefined {
    if (this.closed) return undefined;
    if (this.path === undefined) {
      try {
        this.path = openDirect(
          (kind) => (kind === 2 ? this.leaveDirect() : this.syncDirect(false)),
          this.tailLines,
          this.tailBytes,
        );
      } catch {
        return undefined;
      }
    }
    this.maybeDirect();
    return this.path;
  }

  /**
   * Turns the direct path on when the file can take its writes now (LogFile.directTarget) and no
   * one follows the lines live (followers get them from here); the partial lines go with it.
   */
  private maybeDirect(): void {
    if (this.pathOn || this.path === undefined || this.closed || this.framing || this.followers.size > 0) return;
    const t = this.file.directTarget();
    if (t === undefined) return;
    this.path.on(t.fd, t.room, this.framers.stdout.take(), this.framers.stderr.take());
    this.pathOn = true;
  }

  /**
   * Takes what the direct path did since the last sync: the file's figures, the lines' times, and
   * (withTail) the tail. Why not the tail every time: the sync every 20 ms of a burst needs only
   * the figures, and the tail's lines stay in C until something reads them (tail(), and
   * leaveDirect before this side frames a line of its own).
   */
  private syncDirect(withTail = true): void {
    if (!this.pathOn) return;
    const f = this.path!.sync(withTail);
    if (f.raw > 0) noteBytes(f.raw, Date.now());
    if (f.lines > 0) {
      if (f.lastMs === this.lastTime) this.sameMs += f.same;
      else {
        this.lastTime = f.lastMs;
        this.sameMs = f.same;
      }
    }
    if (f.tail !== null) for (const b of directBatches(f.tail)) this.tailKept.push(b);
    if (f.slow) this.file.markSlow();
    this.directBytes += f.bytes;
    if (f.bytes > 0) this.file.wroteDirect(f.bytes);
  }

  /**
   * The direct path stops (or has stopped itself: a rotation is due, a write failed or was slow):
   * its figures, its partial lines and any lines a failed write left come back here.
   */
  private leaveDirect(): void {
    if (!this.pathOn) return;
    this.syncDirect();
    this.pathOn = false;
    const [out, err] = this.path!.off();
    if (out) this.framers.stdout.give(out);
    if (err) this.framers.stderr.give(err);
    const left = this.path!.left();
    if (left) this.file.push(left, countLines(left));
  }

  onDrain(cb: () => void): void {
    this.drains.push(cb);
    if (this.writable()) queueMicrotask(() => this.progress());
  }

  /** A reload changed the service's `logs` (LogFile.retune); the direct path takes the new room. */
  retune(o: { maxSize: number; keep: number; mode: number }): void {
    if (this.file.tunedTo(o)) return; // every reload asks, of every instance
    this.leaveDirect();
    this.file.retune(o);
    this.maybeDirect();
  }

  /** A run's pipes are attached (end() follows when they close). */
  begin(): void {
    this.attached++;
  }

  /**
   * Why: a failed start shows the last lines its process printed, which can follow its exit by a
   * moment (the pipes drain after the reaping). Resolves once every attached run's pipes have
   * closed, or after `timeoutMs` (a child of the service may hold them open).
   */
  whenEnded(timeoutMs: number): Promise<void> {
    if (this.attached === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        clearTimeout(t);
        self.endWaiters.delete(done);
        resolve();
      }
      this.endWaiters.add(done);
    });
  }

  /** The pipes closed: partial lines become lines. The file stays open for the next run. */
  end(): void {
    if (this.attached > 0 && --this.attached === 0) for (const w of [...this.endWaiters]) w();
    if (this.closed) return;
    this.leaveDirect();
    const now = Date.now();
    this.framing = true;
    try {
      for (const stream of ['stdout', 'stderr'] as const) {
        const prefix = this.stamp.at(now, stream);
        const framed = this.framers[stream].flush(prefix);
        if (framed) this.emit({ time: now, stream, buf: framed.buf, lines: framed.lines, prefix: prefix.length });
      }
    } finally {
      this.framing = false;
    }
    this.maybeDirect();
  }

  /** Resolves when every line so far is in the file (or the file is failing). */
  flush(): Promise<void> {
    this.syncDirect();
    return this.file.flush();
  }

  /** Flushes partial lines and queued bytes, then closes the file. Further writes are ignored. */
  async close(): Promise<void> {
    this.leaveDirect();
    this.path?.close(); // its callback would hold this log alive for good
    this.end();
    this.closed = true;
    await this.file.close();
    this.progress();
  }

  /**
   * Why: `tend logs -f` joins the files and the live lines without a gap or a line twice. The
   * lines emitted so far are those of the file before the first line dated after `time`, less the
   * lines of `time` past the `count`th; `through` is the bytes the file must have taken first.
   */
  mark(now = Date.now()): { time: number; count: number; through: number } {
    this.syncDirect();
    const time = Number.isNaN(this.lastTime) ? now : this.lastTime;
    return { time, count: Number.isNaN(this.lastTime) ? 0 : this.sameMs, through: this.file.pushed };
  }

  /** Resolves once the file holds the bytes of a mark (or cannot be written). */
  whenThrough(through: number): Promise<void> {
    this.syncDirect();
    return this.file.whenThrough(through);
  }

  /** The last n lines of both streams, oldest first, from memory. */
  tail(n: number): LogLine[] {
    this.syncDirect();
    return this.tailKept.last(n);
  }

  /** Calls fn with every new line until the returned function is called. */
  subscribe(fn: (line: LogLine) => void): () => void {
    this.leaveDirect(); // followers get their lines from here
    const own = (line: LogLine) => fn(line); // a distinct entry even when fn subscribes twice
    this.followers.add(own);
    return () => {
      this.followers.delete(own);
      this.maybeDirect();
    };
  }

  private emit(b: Batch): void {
    if (b.time === this.lastTime) this.sameMs += b.lines;
    else {
      this.lastTime = b.time;
      this.sameMs = b.lines;
    }
    this.tailKept.push(b); // before the file takes over our reference
    this.file.push(b.buf, b.lines);
    if (this.followers.size === 0) return;
    // followers may keep what they get: a copy, as the batch goes back to the pool
    const lines = batchLines({ ...b, buf: Buffer.from(b.buf) });
    for (const fn of [...this.followers]) {
      for (const line of lines) {
        if (!this.followers.has(fn)) break; // unsubscribed by an earlier line
        try {
          fn(line);
        } catch {
          // a broken follower must not break the service's log
        }
      }
    }
  }

  private writable(): boolean {
    return this.closed || this.file.failing !== undefined || this.file.queued < this.highWater;
  }

  private progress(): void {
    this.maybeDirect();
    if (this.drains.length === 0) return;
    const resumable = this.closed || this.file.failing !== undefined || this.file.queued <= this.highWater / 2;
    if (!resumable) return;
    for (const cb of this.drains.splice(0)) cb();
  }
}

/** The newlines of buf. */
function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Bytes of a line's prefix in the file: `2026-11-25T15:35:11.123Z out ` (line.ts Stamp). */
const PREFIX = SERVICE_LOG.payloadAt;

/**
 * The lines the direct path kept for the tail (framed, as in the file) as batches: one a run of
 * lines with the same prefix (time and stream), read back from it.
 */
function directBatches(buf: Buffer): Batch[] {
  const out: Batch[] = [];
  let run = 0;
  let lines = 0;
  const close = (end: number): void => {
    if (lines === 0) return;
    out.push({
      time: Date.parse(buf.toString('latin1', run, run + TS_LEN)),
      stream: SERVICE_LOG.stream(buf, run) === 'stderr' ? 'stderr' : 'stdout',
      buf: buf.subarray(run, end),
      lines,
      prefix: PREFIX,
    });
  };
  for (let at = 0; at < buf.length; ) {
    if (lines > 0 && buf.compare(buf, run, run + PREFIX, at, at + PREFIX) !== 0) {
      close(at);
      run = at;
      lines = 0;
    }
    const nl = buf.indexOf(10, at);
    at = nl === -1 ? buf.length : nl + 1;
    lines++;
  }
  close(buf.length);
  return out;
}
