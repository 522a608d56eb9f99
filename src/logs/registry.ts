// The log of every instance, by id: made on first use (`<log_dir>/<id>.log`), kept across the
// instance's restarts, closed when it leaves the config or tend stops. `tend logs` reads the files
// itself; here it learns where they are, and (with -f) where the files end and the live lines begin.
import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sharedEvent } from '../control/protocol.js';
import type { InstanceSpec } from '../core/types.js';
import type { LogLine } from './line.js';
import { ServiceLog } from './sink.js';

/** One line as `tend logs` sends it (the wire's LogLine). */
export interface LogLineData {
  time: string;
  service: string;
  stream: string;
  line: string;
}

/** Where the lines of an instance that `-f` prints first end: see ServiceLog.mark. */
export interface LogMark {
  /** ms since the epoch */
  time: number;
  count: number;
}

/**
 * Why: a log file opened as root in a folder another user owns could be swapped for a symlink
 * between two opens. The first component of `dir` (or a folder above it) owned by neither root
 * nor tend's own user, in words; undefined when every one is fine.
 */
export function unsafeLogDir(dir: string, uid = process.getuid?.() ?? 0): string | undefined {
  for (let p = dir; ; p = dirname(p)) {
    try {
      const st = lstatSync(p);
      if (st.uid !== 0 && st.uid !== uid) {
        return `log_dir ${dir}: ${p} is owned by uid ${st.uid}, not by root or tend's user (uid ${uid}); tend writes no log there`;
      }
    } catch {
      // not made yet: its parent decides
    }
    if (dirname(p) === p) return undefined;
  }
}

/** Where the logs go and whom to tell about them. */
export interface LogRegistryOptions {
  /** the folder of the log files (settings.log_dir: fixed while tend runs) */
  dir: string;
  /** a log file cannot be written (once until it can), or the folder cannot be made (id "tend") */
  onError(id: string, message: string): void;
  /** a log file can be written again */
  onRecover(id: string): void;
  /** each log as it is made (the echo on tend's stdout) */
  onOpen?(id: string, log: ServiceLog, service: string): void;
}

/**
 * How long tend's exit waits for output pipes still open when the logs close: every process has
 * been stopped by then, so they end within a turn or two of the loop; one held open by a process
 * tend could not stop (outside its cgroup) must not hold the exit for long.
 */
export const ENDED_AT_CLOSE_MS = 1000;

/** Why: one owner of the ServiceLogs, so the supervisor, probes, status and `tend logs` share them. */
export class LogRegistry {
  readonly name = 'logs';
  private readonly logs = new Map<string, ServiceLog>();
  private readonly fans = new Map<string, { fns: Set<(l: LogLineData) => void>; off: () => void }>();
  private unsafe: string | undefined;

  constructor(private readonly opts: LogRegistryOptions) {}

  /** Makes the log folder; services run anyway when it cannot be made (each log says it fails). */
  start(): void {
    this.unsafe = unsafeLogDir(this.opts.dir);
    if (this.unsafe !== undefined) {
      this.opts.onError('tend', this.unsafe);
      return;
    }
    try {
      mkdirSync(this.opts.dir, { recursive: true });
    } catch (e) {
      this.opts.onError('tend', `cannot create log_dir ${this.opts.dir}: ${(e as Error).message}`);
    }
  }

  /** The log folder (settings.log_dir). */
  get dir(): string {
    return this.opts.dir;
  }

  /** The log file of an instance. */
  fileOf(id: string): string {
    return join(this.opts.dir, `${id}.log`);
  }

  /**
   * Why: `tend logs -f`. Where the lines of the instance emitted so far end (ServiceLog.mark);
   * resolves once they are all in the file (or the file fails), so a reader finds them there.
   */
  async mark(inst: InstanceSpec): Promise<LogMark> {
    const log = this.for(inst);
    const m = log.mark();
    await log.whenThrough(m.through);
    return { time: m.time, count: m.count };
  }

  /** Why: `tend logs` reads the files: resolves once what each instance printed so far is in its file. */
  async flushed(insts: readonly InstanceSpec[]): Promise<void> {
    await Promise.all(insts.map((i) => this.logs.get(i.id)?.whenThrough(this.logs.get(i.id)!.mark().through)));
  }

  /** The log of an instance, made on first use. */
  for(inst: InstanceSpec): ServiceLog {
    let l = this.logs.get(inst.id);
    if (!l) {
      const id = inst.id;
      l = new ServiceLog({
        file: this.fileOf(id),
        maxSize: inst.spec.logs.maxSize,
        keep: inst.spec.logs.keep,
        mode: inst.spec.logs.mode,
        refuse: () => this.unsafe,
        onError: (m) => this.opts.onError(id, `writing the log fails: ${m}`),
        onRecover: () => this.opts.onRecover(id),
      });
      this.logs.set(id, l);
      this.opts.onOpen?.(id, l, inst.service);
    }
    return l;
  }

  /** Why writing the instance's log fails, while it does. */
  failing(id: string): string | undefined {
    return this.logs.get(id)?.failing;
  }

  /** A reload may have changed the instance's `logs`: its open log takes them (ServiceLog.retune). */
  retune(inst: InstanceSpec): void {
    this.logs.get(inst.id)?.retune(inst.spec.logs);
  }

  /** The instance left the config: its log is closed. */
  forget(id: string): void {
    const l = this.logs.get(id);
    this.logs.delete(id);
    this.fans.get(id)?.off();
    this.fans.delete(id);
    void l?.close();
  }

  /** The last n (at most 100) lines the instance wrote since tend started, from memory: a failed start, `tend why`. */
  tail(id: string, n: number): LogLineData[] {
    return (
      this.logs
        .get(id)
        ?.tail(n)
        .map((x) => lineData(id, x)) ?? []
    );
  }

  /** Why: a failed start's last lines: resolves once the instance's output has ended (at most timeoutMs). */
  async ended(id: string, timeoutMs: number): Promise<void> {
    await this.logs.get(id)?.whenEnded(timeoutMs);
  }

  /** Calls fn with each new line of the instance until the returned function is called. */
  follow(inst: InstanceSpec, fn: (l: LogLineData) => void): () => void {
    // one subscription an instance: each line is made once and handed to every follower of it
    // (a WeakMap keyed by line kept every line alive until a full GC: 300 MB with 50 followers),
    // and encoded once for all of them (sharedEvent)
    let fan = this.fans.get(inst.id);
    if (!fan) {
      const fns = new Set<(l: LogLineData) => void>();
      const off = this.for(inst).subscribe((x) => {
        const d = sharedEvent(lineData(inst.id, x));
        for (const f of fns) f(d);
      });
      fan = { fns, off };
      this.fans.set(inst.id, fan);
    }
    const f = fan;
    f.fns.add(fn);
    return () => {
      f.fns.delete(fn);
      if (f.fns.size === 0 && this.fans.get(inst.id) === f) {
        f.off();
        this.fans.delete(inst.id);
      }
    };
  }

  /** Bytes written to the instance's log since tend started (metrics). */
  bytes(id: string): number {
    return this.logs.get(id)?.bytesWritten ?? 0;
  }

  /**
   * Flushes and closes every log, once the output of its runs has ended (at most ENDED_AT_CLOSE_MS).
   * Why wait: the logs close after the services have stopped, but a process's last output can
   * follow its exit by a moment (the pipes drain after the reaping): an `exit_with` service that
   * printed its error and exited at once had that line in neither the file nor the echo.
   */
  async close(): Promise<void> {
    const logs = [...this.logs.values()];
    await Promise.all(logs.map((l) => l.whenEnded(ENDED_AT_CLOSE_MS)));
    await Promise.all(logs.map((l) => l.close().catch(() => {})));
  }
}

function lineData(service: string, l: LogLine): LogLineData {
  return { time: new Date(l.time).toISOString(), service, stream: l.stream, line: l.line.toString('utf8') };
}
