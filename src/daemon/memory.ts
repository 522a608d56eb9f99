// The daemon's memory: V8 set up for a small, mostly idle process, and garbage collected when tend
// knows it was made: after the config parse (the parser itself, see config/on-demand.ts), once
// start-up has settled, after a burst of reloads, and after a flood of control input. An idle
// daemon allocates almost nothing, and V8's own "memory reducer", which guesses from a timer, is
// off while it is idle (its GCs were the only CPU an idle daemon spent).
import { setFlagsFromString } from 'node:v8';
import type { Supervisor } from '../reconcile/supervisor.js';
import { noteBytes, whenBursting } from '../sys/activity.js';
import { dropCodePages, reduceMemory, trimMalloc } from '../sys/addon.js';
import { settled, waitUntil } from './wait.js';

/**
 * V8 flags for `tend up`, set at run time (V8 reads them when it needs them, so this works after
 * start-up). Each one is here because a benchmark of the idle daemon with 100 services shows it
 * (`npm run bench -- idle`, and the peer harness's `rss 100`; README "Speed and memory"):
 * - `--semi-space-growth-factor=1`: the young generation stays small (start-up would grow it,
 *   then keep it resident until the next full GC): idle RSS 60 MB without, 55 with;
 * - `--max-opt=1`: no optimizing compiler (bytecode and baseline code only). The daemon's
 *   JavaScript is glue around system calls and C; TurboFan's code and output cost 61 MB against
 *   55, and made no benchmark faster;
 * - `--no-incremental-marking` while the daemon is idle: it turns off V8's memory reducer, which
 *   after any full GC of a heap past 10 MB (tend's own after start-up among them) ran two more
 *   GCs 8 s later, 40-70 ms of CPU in an idle daemon's window; what it did, giving pages back,
 *   collectGarbage does when tend knows there is garbage. (Its timer goes on waking every 8 s,
 *   1.5-2 ms each: only `--no-memory-reducer` on node's command line removes it, as V8 reads that
 *   flag when it makes the heap; README "Memory".) During a burst (sys/activity.ts: 1 MiB
 *   of log output or control input within a second) and for BUSY_MS after it, incremental
 *   marking is on: without it a full GC waits for the heap's limit and is one pause, and 52
 *   log followers on a `yes` service peaked at 187-207 MB instead of 122-127 on a loaded machine.
 * The one switch: TEND_V8_DEFAULTS=1 in tend's environment leaves V8 as node sets it up (66 MB).
 */
export function tuneV8(env: NodeJS.ProcessEnv = process.env): void {
  if (env.TEND_V8_DEFAULTS === '1') return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--max-opt=1');
  setFlagsFromString('--no-incremental-marking');
  whenBursting(busy);
}

/** How long incremental marking stays on after the last burst. */
export const BUSY_MS = 10_000;

let lastBusy = 0;
let idleCheck: NodeJS.Timeout | undefined;

/** A burst at `now`: incremental marking on, and off again BUSY_MS after the last one. */
function busy(now: number): void {
  lastBusy = now;
  if (idleCheck) return;
  setFlagsFromString('--incremental-marking');
  idleCheck = setInterval(() => {
    if (Date.now() - lastBusy < BUSY_MS) return;
    setFlagsFromString('--no-incremental-marking');
    clearInterval(idleCheck);
    idleCheck = undefined;
  }, BUSY_MS / 2).unref();
}

/**
 * A full garbage collection now that gives V8's freed pages back (reduceMemory, native/gc.cc),
 * then the C heap's free pages (what V8 freed is malloc memory that glibc would keep mapped), then
 * (dropCode) the mappings of code that ran and may not run again (dropCodePages, native/misc.c):
 * an idle daemon's file pages, most of them node's binary, 39.8 MB of its RSS without, 19.7 with
 * (the peer harness's idle PSS with 100 services: 38.3 MB before, 27.9 after; README "Memory"). A page
 * used again is mapped again from the page cache, which keeps them all: what falls is the
 * daemon's RSS and PSS, not the machine's free memory, until the kernel needs the room.
 */
export function collectGarbage(dropCode = true): void {
  reduceMemory();
  trimMalloc();
  if (dropCode) dropCodePages();
}

/** At most this long after start-up before its garbage is collected (a slow readiness probe). */
const STARTUP_GC_BOUND_MS = 10_000;

/**
 * Start-up's garbage goes once every service got where it was going (or after a bound, for a
 * slow readiness probe): tend collects when it knows garbage was made.
 */
export function collectOnceSettled(sup: Supervisor, shuttingDown: () => boolean): void {
  void waitUntil(sup, () => settled(sup), STARTUP_GC_BOUND_MS, { unref: true }).then(() => {
    if (!shuttingDown()) collectGarbage();
  });
}

/** Control input (bytes read from every connection) after which tend collects, once it is quiet. */
export const INPUT_GC_BYTES = 16 * 1024 * 1024;

/** Quiet time after the last input of such a burst before its garbage is collected (as after reloads). */
export const INPUT_GC_QUIET_MS = 1000;

/**
 * The control server's input hook: each request line is parsed, so a flood of large lines (a
 * client gone wrong, or abuse) leaves its garbage, ~25 MB after 200 lines of 1 MiB, until some
 * later full GC (V8's memory reducer is off, see tuneV8). Once INPUT_GC_BYTES came in, the first
 * INPUT_GC_QUIET_MS without input collects it.
 */
export function collectAfterInput(
  collect: () => void = collectGarbage,
  bytes = INPUT_GC_BYTES,
  quietMs = INPUT_GC_QUIET_MS,
): (n: number) => void {
  let seen = 0;
  let timer: NodeJS.Timeout | undefined;
  return (n) => {
    noteBytes(n, Date.now());
    seen += n;
    if (seen < bytes) return;
    if (timer) timer.refresh();
    else {
      timer = setTimeout(() => {
        seen = 0;
        timer = undefined;
        collect();
      }, quietMs).unref();
    }
  };
}
