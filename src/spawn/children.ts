// The exit statuses of the processes this node process started (spawn/launcher.ts): nothing in
// node waits for them, so each SIGCHLD reaps them here and hands each status to its watcher.
// One per process, as waitpid(2) is: two reapers would take each other's children.
//
// Two modes. By default only watched pids are reaped (waitpid(pid) each), so a host with other
// children (a test runner, a tool using child_process) keeps their exit statuses. The daemon
// calls startReaper(): tend is then a child subreaper and reaps EVERY child, orphans reparented
// to it included (nothing of node spawns in the daemon: every child is tend's or an orphan).
import { type ExitStatus, type Reaped, type ReapOptions, reap, setChildSubreaper } from '../sys/addon.js';

const waiting = new Map<number, (s: ExitStatus) => void>();
let all = false;
let scanOpts: ReapOptions = {};
let listening = false;
let scheduled: NodeJS.Immediate | undefined;
let orphans = 0;

/**
 * Calls onExit with the exit status of `pid`, a child this process started and nobody else
 * waits for. Call it in the synchronous step that started the child: the reaper runs in a
 * later event-loop turn, so it cannot meet the pid unwatched.
 */
export function watchExit(pid: number, onExit: (s: ExitStatus) => void): void {
  waiting.set(pid, onExit);
  listen();
}

/** Pids started and not yet reaped. */
export function watchedCount(): number {
  return waiting.size;
}

function reapNow(): Reaped[] {
  scheduled = undefined;
  if (!all && waiting.size === 0) return [];
  const got = reap(all ? undefined : Int32Array.from(waiting.keys()), scanOpts);
  for (const r of got) {
    const cb = waiting.get(r.pid);
    if (!cb) {
      orphans++;
      continue;
    }
    waiting.delete(r.pid);
    cb(r.status);
  }
  return got;
}

/**
 * On SIGCHLD. Node delivers it to JS listeners alongside libuv's own child watcher (both are
 * uv_signal handles; libuv fans the signal out to all of them). Bursts are coalesced into one
 * reap per event-loop turn (setImmediate), which loses nothing: each reap takes every zombie
 * present.
 */
function onSigchld(): void {
  if (!scheduled) scheduled = setImmediate(reapNow);
}

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('SIGCHLD', onSigchld);
  // a child that ended before the listener existed sent its SIGCHLD to nobody
  onSigchld();
}

/** The daemon's reaper, from startReaper. */
export interface Reaper {
  /** orphans reaped so far (children nobody watched) */
  readonly orphans: number;
  /** reap now (also what each SIGCHLD does); returns what it reaped */
  reapNow(): Reaped[];
  stop(): void;
}

/**
 * Makes this process a child subreaper that reaps every child: the watched ones' statuses go to
 * their watchers, orphans are reaped and counted. procScan: found by a /proc scan (its test).
 */
export function startReaper(opts: ReapOptions = {}): Reaper {
  setChildSubreaper();
  all = true;
  scanOpts = opts;
  listen();
  reapNow(); // zombies that exited before
  return {
    get orphans() {
      return orphans;
    },
    reapNow,
    stop() {
      all = false;
      scanOpts = {};
      listening = false;
      process.off('SIGCHLD', onSigchld);
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
    },
  };
}
