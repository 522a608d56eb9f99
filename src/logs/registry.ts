// The log of every instance, by id: made on first use (`<log_dir>/<id>.log`), kept across the
// instance's restarts, closed when it leaves the config or tend stops. `tend logs` reads here:
// the in-memory tail, else (nothing captured since tend started) the end of the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceSpec } from '../core/types.js';
import type { LogLine } from './line.js';
import { readLogLines } from './read.js';
import { ServiceLog } from './sink.js';

/** One line as `tend logs` sends it (the wire's LogLine). */
export interface LogLineData {
  time: string;
  service: string;
  stream: string;
  line: string;
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
  onOpen?(id: string, log: ServiceLog): void;
}

/** Why: one owner of the ServiceLogs, so the supervisor, probes, status and `tend logs` share them. */
export class LogRegistry {
  readonly name = 'logs';
  private readonly logs = new Map<string, ServiceLog>();
  private readonly fans = new Map<string, { fns: Set<(l: LogLineData) => void>; off: () => void }>();

  constructor(private readonly opts: LogRegistryOptions) {}

  /** Makes the log folder; services run anyway when it cannot be made (each log says it fails). */
  start(): void {
    try {
      mkdirSync(this.opts.dir, { recursive: true });
    } catch (e) {
      this.opts.onError('tend', `cannot create log_dir ${this.opts.dir}: ${(e as Error).message}`);
    }
  }

  /** The log of an instance, made on first use. */
  for(inst: InstanceSpec): ServiceLog {
    let l = this.logs.get(inst.id);
    if (!l) {
      const id = inst.id;
      l = new ServiceLog({
        file: join(this.opts.dir, `${id}.log`),
        maxSize: inst.spec.logs.maxSize,
        keep: inst.spec.logs.keep,
        onError: (m) => this.opts.onError(id, `writing the log fails: ${m}`),
        onRecover: () => this.opts.onRecover(id),
      });
      this.logs.set(id, l);
      this.opts.onOpen?.(id, l);
    }
    return l;
  }

  /** Why writing the instance's log fails, while it does. */
  failing(id: string): string | undefined {
    return this.logs.get(id)?.failing;
  }

  /** The instance left the config: its log is closed. */
  forget(id: string): void {
    const l = this.logs.get(id);
    this.logs.delete(id);
    this.fans.get(id)?.off();
    this.fans.delete(id);
    void l?.close();
  }

  /** The last n lines of an instance: from memory, else from the end of its file. */
  async tail(id: string, n: number): Promise<LogLineData[]> {
    const l = this.logs.get(id);
    if (l && l.tail(1).length) return l.tail(n).map((x) => lineData(id, x));
    const text = await readLogLines(join(this.opts.dir, `${id}.log`), n);
    return text.map((t) => fileLineData(id, t));
  }

  /** Calls fn with each new line of the instance until the returned function is called. */
  follow(inst: InstanceSpec, fn: (l: LogLineData) => void): () => void {
    // one subscription an instance: each line is made once and handed to every follower of it
    // (a WeakMap keyed by line kept every line alive until a full GC: 300 MB with 50 followers)
    let fan = this.fans.get(inst.id);
    if (!fan) {
      const fns = new Set<(l: LogLineData) => void>();
      const off = this.for(inst).subscribe((x) => {
        const d = lineData(inst.id, x);
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

  /** Flushes and closes every log. */
  async close(): Promise<void> {
    await Promise.all([...this.logs.values()].map((l) => l.close().catch(() => {})));
  }
}

function lineData(service: string, l: LogLine): LogLineData {
  return { time: new Date(l.time).toISOString(), service, stream: l.stream, line: l.line.toString('utf8') };
}

/** A line of a log file (`ISO out text`) as a log event. */
function fileLineData(service: string, text: string): LogLineData {
  const m = /^(\S+) (out|err|log) (.*)$/s.exec(text);
  if (!m) return { time: '', service, stream: 'stdout', line: text };
  return { time: m[1]!, service, stream: m[2] === 'err' ? 'stderr' : 'stdout', line: m[3]! };
}
