// The daemon's memory: V8 set up for a small, mostly idle process, and garbage collected when tend
// knows it was made: after the config parse (the parser itself, see config/on-demand.ts), once
// start-up has settled, after a burst of reloads, and after a flood of control input. An idle daemon allocates almost nothing, so
// V8 alone would keep that garbage until an idle GC of its own some 8 s after start-up (its
// "memory reducer", which for a small heap only guesses from a timer) or, after a reload, for good.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Supervisor } from '../reconcile/supervisor.js';
import { trimMalloc } from '../sys/addon.js';
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
 * - `--no-memory-reducer-for-small-heaps`: V8's memory reducer is not started for a heap that
 *   has not had a full GC yet. After one (tend's own, collectGarbage) it still runs, 8 s later, two
 *   GCs that give pages back (40-70 ms of CPU once). Turning it off for good (`--no-incremental-
 *   marking`) made idle CPU 0 but left the memory of an input flood resident under load (RSS 158 MB
 *   against 60; test/e2e/input-flood.test.ts), so it stays on.
 * The one switch: TEND_V8_DEFAULTS=1 in tend's environment leaves V8 as node sets it up (66 MB).
 */
export function tuneV8(env: NodeJS.ProcessEnv = process.env): void {
  if (env.TEND_V8_DEFAULTS === '1') return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--max-opt=1');
  setFlagsFromString('--no-memory-reducer-for-small-heaps');
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
