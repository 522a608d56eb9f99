// ServiceLog: where one service instance's output goes. Lines are timestamped and tagged into
// its log file (rotated by size), kept in an in-memory tail, and handed to followers.
// Back-pressure: write() returns false while too much waits for the disk, onDrain says when to
// resume; a failing disk never stops the service (bounded buffer, then counted loss).
import { noteBytes } from '../sys/activity.js';
import type { OutputSink, Stream } from '../core/spawner.js';
import { LogFile } from './file.js';
import { LineFramer } from './frame.js';
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

  constructor(opts: ServiceLogOptions) {
    this.highWater = opts.highWater ?? 4 * 1024 * 1024;
    this.tailKept = new LogTail(opts.tailLines ?? 100, opts.tailBytes ?? 64 * 1024);
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
    return this.file.bytesWritten;
  }

  /** bytes waiting for the disk */
  get queuedBytes(): number {
    return this.file.queued;
  }

  write(stream: Stream, chunk: Buffer): boolean {
    if (this.closed || chunk.length === 0) return true;
    const now = Date.now();
    noteBytes(chunk.length, now);
    const prefix = this.stamp.at(now, stream);
    const framed = this.framers[stream].frame(chunk, prefix);
    if (framed) this.emit({ time: now, stream, buf: framed.buf, lines: framed.lines, prefix: prefix.length });
    return this.writable();
  }

  onDrain(cb: () => void): void {
    this.drains.push(cb);
    if (this.writable()) queueMicrotask(() => this.progress());
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
    const now = Date.now();
    for (const stream of ['stdout', 'stderr'] as const) {
      const prefix = this.stamp.at(now, stream);
      const framed = this.framers[stream].flush(prefix);
      if (framed) this.emit({ time: now, stream, buf: framed.buf, lines: framed.lines, prefix: prefix.length });
    }
  }

  /** Resolves when every line so far is in the file (or the file is failing). */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /** Flushes partial lines and queued bytes, then closes the file. Further writes are ignored. */
  async close(): Promise<void> {
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
    const time = Number.isNaN(this.lastTime) ? now : this.lastTime;
    return { time, count: Number.isNaN(this.lastTime) ? 0 : this.sameMs, through: this.file.pushed };
  }

  /** Resolves once the file holds the bytes of a mark (or cannot be written). */
  whenThrough(through: number): Promise<void> {
    return this.file.whenThrough(through);
  }

  /** The last n lines of both streams, oldest first, from memory. */
  tail(n: number): LogLine[] {
    return this.tailKept.last(n);
  }

  /** Calls fn with every new line until the returned function is called. */
  subscribe(fn: (line: LogLine) => void): () => void {
    const own = (line: LogLine) => fn(line); // a distinct entry even when fn subscribes twice
    this.followers.add(own);
    return () => this.followers.delete(own);
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
    if (this.drains.length === 0) return;
    const resumable = this.closed || this.file.failing !== undefined || this.file.queued <= this.highWater / 2;
    if (!resumable) return;
    for (const cb of this.drains.splice(0)) cb();
  }
}
