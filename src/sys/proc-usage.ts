// cpu % and resident memory of processes, read straight from /proc/<pid>/stat (synchronous, a
// few microseconds a pid). pidusage does the same through async reads and was the larger part of
// `tend status` with 100 services (12-19 ms against about 1 ms here).
import { readFileSync } from 'node:fs';
import { type Held, hold, letGo, procStat } from './addon.js';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux ABI Node runs on
let pageSize: number | undefined;

/** Page size from our own rss: VmRSS (kB) in /proc/self/status over rss pages in /proc/self/statm. */
function pageBytes(): number {
  if (pageSize === undefined) {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
      const pages = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
      const guess = (kb * 1024) / pages;
      pageSize = [4096, 16384, 65536].reduce((a, b) => (Math.abs(b - guess) < Math.abs(a - guess) ? b : a));
    } catch {
      pageSize = 4096;
    }
  }
  return pageSize;
}

let uptime = { at: -Infinity, seconds: 0 };

/** /proc/uptime, read at most every 100 ms (a scrape of 500 new pids reads it once). */
function uptimeSeconds(): number {
  const now = performance.now();
  if (now - uptime.at > 100) uptime = { at: now, seconds: Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) };
  return uptime.seconds;
}

const stat = new Float64Array(4);

/**
 * /proc/PID/stat files held open at most (one a process sampled), so that the descriptors a
 * daemon with many processes may open stay for its pipes and logs.
 */
const MAX_HELD = 2048;

/** [utime + stime, cutime + cstime, starttime, rss pages] of a pid, or undefined when it is gone. */
function readStat(pid: number, held: Held | undefined): Float64Array | undefined {
  return procStat(held ?? pid, stat) ? stat : undefined;
}

/** Samples cpu % since the previous sample of the same pid (or since the process started). */
export class ProcUsage {
  private last = new Map<number, { ticks: number; at: number; held: Held | undefined }>();
  private heldCount = 0;

  /**
   * { cpu %, memory bytes, seconds: its cpu time (user + system, with its reaped children's) }
   * of a pid, or undefined when it is gone.
   */
  sample(pid: number, now = Date.now()): { cpu: number; memory: number; seconds: number } | undefined {
    let prev = this.last.get(pid);
    let f = readStat(pid, prev?.held);
    if (!f && prev?.held) {
      // the process read through the held file is gone; the pid may be a new one's already
      this.forget(pid);
      prev = undefined;
      f = readStat(pid, undefined);
    }
    if (!f) {
      this.forget(pid);
      return undefined;
    }
    const ticks = f[0]!;
    const rss = f[3]! * pageBytes();
    let cpu: number;
    if (prev && now > prev.at) {
      cpu = ((ticks - prev.ticks) / CLK_TCK / ((now - prev.at) / 1000)) * 100;
    } else {
      const age = uptimeSeconds() - f[2]! / CLK_TCK;
      cpu = age > 0 ? (ticks / CLK_TCK / age) * 100 : 0;
    }
    let held = prev?.held;
    if (!held && this.heldCount < MAX_HELD) {
      held = hold(`/proc/${pid}/stat`);
      if (held) this.heldCount++;
    }
    this.last.set(pid, { ticks, at: now, held });
    const seconds = (ticks + f[1]!) / CLK_TCK;
    return { cpu: Math.max(0, cpu), memory: rss, seconds };
  }

  /** Forgets pids not in `alive` (bounded history). */
  prune(alive: Set<number>): void {
    for (const pid of this.last.keys()) if (!alive.has(pid)) this.forget(pid);
  }

  /**
   * Forgets pids last sampled before `before` (ms): when only some instances are asked for, the
   * exited processes of the others would keep their files open until the next full listing.
   */
  pruneStale(before: number): void {
    for (const [pid, e] of this.last) if (e.at < before) this.forget(pid);
  }

  private forget(pid: number): void {
    const held = this.last.get(pid)?.held;
    if (held) {
      letGo(held);
      this.heldCount--;
    }
    this.last.delete(pid);
  }
}
