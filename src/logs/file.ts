// The writer of one log file: a queue of line-aligned buffers written with writev, rotation by
// size at a line boundary, and survival of an unwritable file (retry, bounded buffer, a "lines
// lost" marker) so a service never stops for its log. A file on a local filesystem is written in
// place (see writeInPlace); others, and anything that fails or rotates, through the thread pool.
import {
  close as closeCb,
  closeSync,
  constants,
  fchmod as fchmodCb,
  fchmodSync,
  fstat as fstatCb,
  fstatSync,
  lstatSync,
  open as openCb,
  openSync,
  statfsSync,
  writev as writevCb,
  writevSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { releaseBatch } from './pool.js';
import { droppedMarker, rotatedName, rotateFiles } from './rotate.js';

/** How often a failing log file is tried again. */
export const RETRY_MS = 1000;
/** The most bytes handed to one writev. */
const MAX_WRITE = 8 * 1024 * 1024;
/** Below this many bytes queued, a write waits up to GATHER_MS for more. */
const GATHER_BYTES = 256 * 1024;
const GATHER_MS = 2;
/** A write in place that took longer moves its file to the thread pool for good. */
export const SLOW_IN_PLACE_MS = 50;

/**
 * statfs f_type of the filesystems whose writes go to the page cache of this machine: ext2/3/4,
 * xfs, btrfs, tmpfs, ramfs, overlayfs, f2fs, zfs, bcachefs. A network or FUSE filesystem can
 * hold a write for as long as its server takes, so it is never written in place.
 */
const LOCAL_FS = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0x794c7630, 0xf2f52010, 0x2fc12fc1, 0xca451a4e,
]);

/** Whether `file` lies on a local filesystem (LOCAL_FS); false when that cannot be told. */
export function onLocalFs(file: string): boolean {
  try {
    return LOCAL_FS.has(Number(statfsSync(file).type));
  } catch {
    return false;
  }
}

export interface LogFileOptions {
  file: string;
  /** rotate before the file would pass this many bytes; 0: never */
  maxSize: number;
  keep: number;
  /** the file's mode (default 0640), whatever the umask */
  mode?: number;
  /** why the file must not be opened now (an unsafe log_dir), checked at each open */
  refuse?(): string | undefined;
  /** while failing, keep at most this many bytes for later; drop (and count) lines past it */
  failBuffer: number;
  onError(message: string): void;
  onRecover(): void;
  /** bytes were written, or failing began: a paused writer may resume */
  onProgress(): void;
  /** false: always through the thread pool (tests of that path); default: where the file lies says */
  inPlace?: boolean;
}

const writev = (fd: number, bufs: Buffer[]) =>
  new Promise<number>((resolve, reject) => writevCb(fd, bufs, (err, n) => (err ? reject(err) : resolve(n))));
/** Never through a symlink: `log_dir/NAME.log` pointing elsewhere is refused (ELOOP), not followed. */
const OPEN_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
/** Sets the mode of a file that is there (not of a symlink's target: opened O_NOFOLLOW). */
function chmodNoFollow(path: string, mode: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (fstatSync(fd).isFile()) fchmodSync(fd, mode);
  } catch {
    // not there, or not a file of ours: nothing to set
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Why: logs.mode's default: readable by the group, not by everyone. */
export const DEFAULT_LOG_MODE = 0o640;
const openFile = (file: string, mode: number) =>
  new Promise<number>((resolve, reject) =>
    openCb(file, OPEN_FLAGS, mode, (err, fd) => {
      if (err) return reject(err.code === 'ELOOP' ? new Error(`${file} is a symlink; tend does not follow it (ELOOP)`) : err);
      // the mode asked for, whatever the umask and whoever made the file before
      fchmodCb(fd, mode, (e) => (e ? closeCb(fd, () => reject(e)) : resolve(fd)));
    }),
  );
const fileStat = (fd: number) =>
  new Promise<{ size: number; regular: boolean }>((resolve, reject) =>
    fstatCb(fd, (err, st) => (err ? reject(err) : resolve({ size: st.size, regular: st.isFile() }))),
  );
const closeFd = (fd: number) => new Promise<void>((resolve) => closeCb(fd, () => resolve()));

/** One log file being appended to, rotated, and retried while it cannot be written. */
export class LogFile {
  /** bytes waiting to be written */
  queued = 0;
  /** bytes written to the file and its rotated predecessors since construction */
  bytesWritten = 0;
  /** why the file cannot be written, while it cannot */
  failing: string | undefined;
  /** lines dropped while failing, not yet reported by a marker line */
  lost = 0;
  /** bytes ever pushed (kept or dropped) */
  pushed = 0;
  /** bytes of those written, or dropped */
  through = 0;

  private fd: number | undefined;
  private size = 0;
  private queue: Buffer[] = [];
  private head = 0;
  private busy = false;
  private step = 'open';
  private lastTry = 0;
  private retry: NodeJS.Timeout | undefined;
  private idle: Array<() => void> = [];
  private closing = false;
  private waiters: Array<{ at: number; resolve(): void }> = [];
  private later: NodeJS.Timeout | undefined;
  private due = false;
  /** written in place (see writeInPlace): a regular file on a local filesystem, decided at each open */
  private inPlace = false;
  /** openInPlace was tried (once: a folder that is not local, or a FIFO, stays the pump's) */
  private inPlaceTried = false;
  /** a write in place was slow: never again for this file */
  private slow = false;

  constructor(private readonly opts: LogFileOptions) {}

  /**
   * Queues line-aligned bytes (`lines` lines), taking over the caller's pool reference.
   * Never blocks; drops only while failing and full.
   */
  push(buf: Buffer, lines: number): void {
    this.pushed += buf.length;
    if (this.failing !== undefined && (this.lost > 0 || this.queued + buf.length > this.opts.failBuffer)) {
      this.lost += lines;
      this.through += buf.length;
      releaseBatch(buf);
    } else {
      this.queue.push(buf);
      this.queued += buf.length;
    }
    this.kick();
  }

  /** Resolves when everything queued is written, or the file is failing. */
  flush(): Promise<void> {
    this.kickNow();
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Why: `tend logs -f` reads the files up to the moment it subscribed, then the live lines.
   * Resolves once the first `at` bytes ever pushed are written (or dropped), or the file fails.
   */
  whenThrough(at: number): Promise<void> {
    if (this.through >= at || this.failing !== undefined) return Promise.resolve();
    this.kickNow();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }

  /** Writes what it can, then closes the file. */
  async close(): Promise<void> {
    if (this.failing !== undefined) this.lastTry = 0; // one last try
    this.kick();
    this.closing = true; // no retry timer from now on
    await this.flush();
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    if (this.later) clearTimeout(this.later);
    this.later = undefined;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFd(fd);
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  /**
   * Where the log's direct path (native/direct.c) may write now: an open, healthy file written in
   * place, with nothing queued or being written; and the bytes it may take before its rotation
   * (-1: no limit). Undefined: not now.
   */
  directTarget(): { fd: number; room: number } | undefined {
    if (!this.writesInPlace() || this.busy || this.queued > 0 || this.closing) return undefined;
    return { fd: this.fd!, room: this.opts.maxSize > 0 ? Math.max(0, this.opts.maxSize - this.size) : -1 };
  }

  /**
   * Why: a reload changed the service's `logs`: max_size holds from the next write (a file already
   * past it is rotated at that write), keep from the next rotation, and mode at once.
   */
  retune(o: { maxSize: number; keep: number; mode: number }): void {
    if (this.tunedTo(o)) return;
    this.opts.maxSize = o.maxSize;
    this.opts.keep = o.keep;
    if (o.mode === (this.opts.mode ?? DEFAULT_LOG_MODE)) return;
    this.opts.mode = o.mode;
    if (this.fd !== undefined) {
      try {
        fchmodSync(this.fd, o.mode);
      } catch {
        // the next open sets it (a file on a filesystem without modes)
      }
    }
    // the rotated files too: a tighter mode is for all of the service's lines
    for (let i = 1; i <= o.keep; i++) chmodNoFollow(rotatedName(this.opts.file, i), o.mode);
    chmodNoFollow(droppedMarker(this.opts.file), o.mode);
  }

  /** Whether the file is written with these options already. */
  tunedTo(o: { maxSize: number; keep: number; mode: number }): boolean {
    return this.opts.maxSize === o.maxSize && this.opts.keep === o.keep && (this.opts.mode ?? DEFAULT_LOG_MODE) === o.mode;
  }

  /** n bytes the direct path wrote to the file: pushed and written at once. */
  wroteDirect(n: number): void {
    this.pushed += n;
    this.through += n;
    this.size += n;
    this.bytesWritten += n;
    this.settle();
  }

  /** A write of the direct path took over SLOW_IN_PLACE_MS: through the thread pool from now on. */
  markSlow(): void {
    this.slow = true;
  }

  /** Bytes went to the file (or it failed): whoever waits for the file to be idle, or for a mark, is told. */
  private settle(): void {
    if (this.settled()) for (const resolve of this.idle.splice(0)) resolve();
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const failing = this.failing !== undefined;
    this.waiters = this.waiters.filter((w) => {
      if (!failing && w.at > this.through) return true;
      w.resolve();
      return false;
    });
  }

  private settled(): boolean {
    return !this.busy && ((this.queued === 0 && this.lost === 0) || this.failing !== undefined);
  }

  /** Writes now what is queued, without waiting to gather more. */
  private kickNow(): void {
    this.due = true;
    this.kick();
    this.due = false;
  }

  private kick(): void {
    if (this.busy || (this.queued === 0 && this.lost === 0)) return;
    if (this.fd === undefined && this.failing === undefined && !this.inPlaceTried) this.openInPlace();
    if (this.writesInPlace() && this.writeInPlace()) return;
    if (this.failing === undefined && !this.due && !this.closing && this.queued < GATHER_BYTES) {
      // a few small batches are gathered into one write: fewer trips to the thread pool
      this.later ??= setTimeout(() => {
        this.later = undefined;
        this.kickNow();
      }, GATHER_MS);
      return;
    }
    if (this.later) {
      clearTimeout(this.later);
      this.later = undefined;
    }
    if (this.failing !== undefined) {
      const wait = this.lastTry + RETRY_MS - Date.now();
      if (wait > 0) {
        if (this.closing) return;
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.kick();
        }, wait).unref();
        return;
      }
    }
    this.busy = true;
    void this.pump().then(() => {
      this.busy = false;
      this.settle();
      this.kick(); // bytes queued meanwhile, or the retry timer of a failing file
    });
  }

  /** An open, healthy file that is written in place (see writeInPlace). */
  private writesInPlace(): boolean {
    return this.inPlace && !this.slow && this.fd !== undefined && this.failing === undefined && this.lost === 0;
  }

  /**
   * Writes what is queued now, on this thread; true when all of it went. Why: for a file in the
   * page cache, the trip through libuv's thread pool (a wakeup there and one back, a lock each way)
   * cost more than the write: a 200 MB burst took the daemon 0.7 s of CPU that way, 0.4 in place
   * (supervisord, which writes in place, 0.2-0.4), on a loaded machine. What cannot be done here
   * is left to the pump: a rotation, an error (retried and reported there), a write that took
   * over SLOW_IN_PLACE_MS (the disk is saturated: from then on this file goes through the thread
   * pool).
   */
  private writeInPlace(): boolean {
    const started = performance.now();
    let done = false;
    try {
      for (;;) {
        if (this.queued === 0) {
          done = true;
          break;
        }
        const bufs = this.take();
        if (bufs === undefined) break; // to be rotated
        const n = writevSync(this.fd!, bufs);
        if (n === 0) break;
        this.consume(n);
        this.size += n;
        this.bytesWritten += n;
      }
    } catch {
      // the pump writes it again and handles the failure
    }
    if (performance.now() - started > SLOW_IN_PLACE_MS) this.slow = true;
    this.settle();
    this.opts.onProgress();
    return done;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queued > 0 || this.lost > 0) {
        if (this.queued === 0) this.pushMarker(); // nothing kept to try with: the marker is the try
        if (this.fd === undefined) {
          await this.open();
          // a file just opened that is written in place is from now on (kick, once the pump has
          // ended): before, the burst that opened it went on through the thread pool for as long
          // as it lasted (in the log benchmark a pool thread's 15 ms of CPU, then 1 ms)
          if (this.writesInPlace()) break;
        }
        const bufs = this.take();
        if (bufs === undefined) {
          await this.rotate();
          continue;
        }
        this.step = 'write';
        const n = await writev(this.fd!, bufs);
        this.consume(n);
        this.size += n;
        this.bytesWritten += n;
        if (this.failing !== undefined) this.recover();
        this.opts.onProgress();
      }
    } catch (err) {
      await this.fail(err as Error);
    }
  }

  /**
   * open(), on this thread, for a regular file (or none yet) in a folder on a local filesystem
   * (writes there are made in place, see writeInPlace); else, or when anything fails, the file
   * stays closed (the pump's open() then tries, and reports). Why: opened through the thread pool
   * (an open, an fchmod, an fstat), the file of a service's first burst took that long to open,
   * and the burst's first reads went through JavaScript meanwhile (34 reads in the log benchmark,
   * 9% of the daemon's CPU samples, docs/logs.md); opened here, its first read is written in place
   * and the next go the direct path.
   */
  private openInPlace(): void {
    this.inPlaceTried = true;
    const file = this.opts.file;
    if (this.opts.refuse?.() !== undefined || !(this.opts.inPlace ?? onLocalFs(dirname(file)))) return;
    const mode = this.opts.mode ?? DEFAULT_LOG_MODE;
    let fd: number | undefined;
    try {
      // a FIFO or a device is the pump's: opened here and closed again, a FIFO's reader would see its end
      const there = lstatSync(file, { throwIfNoEntry: false });
      if (there !== undefined && !there.isFile()) return;
      // O_NONBLOCK: should it be a FIFO by now, one with no reader is refused at once (ENXIO)
      fd = openSync(file, OPEN_FLAGS | constants.O_NONBLOCK, mode);
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error('not a regular file: opened by the pump, whose writes may wait');
      fchmodSync(fd, mode);
      this.size = st.size;
      this.inPlace = true; // a regular file in a local folder (checked above)
      this.fd = fd;
    } catch {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private async open(): Promise<void> {
    this.step = 'open';
    const refused = this.opts.refuse?.();
    if (refused !== undefined) throw new Error(refused);
    const mode = this.opts.mode ?? DEFAULT_LOG_MODE;
    let fd: number;
    try {
      fd = await openFile(this.opts.file, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(this.opts.file), { recursive: true }).catch(() => undefined);
      fd = await openFile(this.opts.file, mode); // its error names the real problem
    }
    try {
      const st = await fileStat(fd);
      this.size = st.size;
      // not a FIFO or a device: a write to those can wait for whoever is at the other end
      this.inPlace = st.regular && (this.opts.inPlace ?? onLocalFs(this.opts.file));
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
    this.fd = fd;
  }

  private async rotate(): Promise<void> {
    this.step = 'rotate';
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFd(fd);
    await rotateFiles(this.opts.file, this.opts.keep, this.opts.mode ?? DEFAULT_LOG_MODE);
    this.size = 0;
  }

  /**
   * The next buffers to write: all queued (up to MAX_WRITE), cut at a line boundary so the
   * file stays within maxSize. Undefined: the file must be rotated first.
   */
  private take(): Buffer[] | undefined {
    const room = this.opts.maxSize > 0 ? this.opts.maxSize - this.size : Infinity;
    const out: Buffer[] = [];
    let total = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const b = this.queue[i]!;
      if (total + b.length <= room && total + b.length <= MAX_WRITE) {
        out.push(b);
        total += b.length;
        continue;
      }
      if (total + b.length > room) {
        const fit = room - total;
        const cut = fit > 0 ? b.lastIndexOf(10, fit - 1) : -1;
        if (cut >= 0) out.push(b.subarray(0, cut + 1));
        else if (total === 0 && this.size === 0) {
          // one line longer than maxSize: it gets a file of its own, whole
          const nl = b.indexOf(10);
          out.push(nl === -1 ? b : b.subarray(0, nl + 1));
        }
      } else if (total === 0) out.push(b);
      break;
    }
    return out.length > 0 ? out : undefined;
  }

  private consume(n: number): void {
    while (n > 0) {
      const b = this.queue[this.head]!;
      if (b.length <= n) {
        n -= b.length;
        this.queued -= b.length;
        this.through += b.length;
        this.head++;
        releaseBatch(b);
      } else {
        this.queue[this.head] = b.subarray(n);
        this.queued -= n;
        this.through += n;
        n = 0;
      }
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private pushMarker(): void {
    const text = `${new Date().toISOString()} log ${this.lost} lines lost while the log was unwritable\n`;
    const buf = Buffer.from(text, 'latin1');
    this.lost = 0;
    this.queue.push(buf);
    this.queued += buf.length;
    this.pushed += buf.length;
  }

  private recover(): void {
    this.failing = undefined;
    if (this.lost > 0) this.pushMarker();
    this.opts.onRecover();
  }

  private async fail(err: Error): Promise<void> {
    this.lastTry = Date.now();
    const fd = this.fd;
    this.fd = undefined; // reopened on the next try: the path may have been fixed meanwhile
    if (fd !== undefined) await closeFd(fd);
    const first = this.failing === undefined;
    this.failing = `cannot ${this.step} log file ${this.opts.file}: ${err.message}`;
    if (first) this.opts.onError(this.failing);
    this.wake();
    this.opts.onProgress();
  }
}
