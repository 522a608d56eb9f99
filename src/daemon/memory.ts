// The daemon's memory: V8 set up for a small, mostly idle process, and garbage collected when tend
// knows it was made: after the config parse (the parser itself, see config/on-demand.ts), once
// start-up has settled, and after a burst of reloads. An idle daemon allocates almost nothing, so
// V8 alone would keep that garbage until an idle GC of its own some 8 s after start-up (its
// "memory reducer", which for a small heap only guesses from a timer) or, after a reload, for good.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Supervisor } from '../reconcile/supervisor.js';
import { trimMalloc } from '../sys/addon.js';
import { settled, waitUntil } from './wait.js';

/**
 * V8 flags for `tend up`, set at run time (V8 reads them when it needs them, so this works after
 * start-up; measured with 100 services, see README "Speed and memory"):
 * - the young generation stays small (start-up would grow it to ~12 MB, then kept resident
 *   until the next full GC);
 * - V8's memory reducer is not started for a small heap (it would run one more full GC ~8 s after
 *   start-up, ~10 ms, repeating what collectGarbage did when start-up settled); a heap that grows
 *   past ~10 MB still gets it, and it then runs once, not in rounds;
 * - no optimizing compiler (--max-opt=1: bytecode and baseline code only). The daemon's
 *   JavaScript is glue around system calls and C (spawning and log framing are in the addon):
 *   TurboFan made nothing measurably faster here, and its own code pages and output cost ~4 MB
 *   of the daemon's ~55. TEND_V8_OPTIMIZE=1 in tend's environment keeps V8's default.
 */
export function tuneV8(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-memory-reducer-for-small-heaps');
  setFlagsFromString('--memory-reducer-single-gc');
  if (process.env.TEND_V8_OPTIMIZE !== '1') setFlagsFromString('--max-opt=1');
}

let gc: (() => void) | null | undefined;

/**
 * A full garbage collection now, then the C heap's free pages back to the kernel (what V8 freed
 * is malloc memory that glibc would keep mapped). V8 gives `gc` to a context created while
 * --expose-gc is set; the flag is unset again at once, so no other context sees it.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  }
  gc?.();
  trimMalloc();
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
