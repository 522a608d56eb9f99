// The stop signals that reach `tend up` before the daemon's own handlers are in place. Why: as PID 1
// of a container, a signal with no handler of its own is dropped by the kernel (node's built-in
// SIGINT/SIGTERM handlers restore the default and raise it again), and the daemon's handlers come
// 1-3 s after exec on a loaded machine, once its modules are loaded: a `docker stop` in that window
// was lost, every service started, and the stop came only as SIGKILL at the grace period. tini
// blocks signals before anything else for the same reason. So the command line holds them from its
// first moments (cli.ts) and the daemon's signals part takes them over (daemon/signals.ts).
//
// The two sides are in different module graphs (tend.cjs is a bundle; the daemon is loaded apart):
// what is held lives on `process`, under a registered symbol, not in this module's state.

const KEY = Symbol.for('tend.held-signals');

/** The signals held: stop (TERM, INT, QUIT, PWR) and reload (HUP), which would otherwise end tend or be lost. */
const HELD_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGPWR', 'SIGHUP'] as const;
export type HeldSignal = (typeof HELD_SIGNALS)[number];

interface Held {
  got: HeldSignal[];
  release(): void;
}

type WithHeld = NodeJS.Process & { [KEY]?: Held };

/** Starts holding the signals: each that comes is kept, in order, for takeHeldSignals. */
export function holdSignals(): void {
  const p = process as WithHeld;
  if (p[KEY]) return;
  const got: HeldSignal[] = [];
  const fns = HELD_SIGNALS.map((sig) => {
    const fn = (): void => void got.push(sig);
    process.on(sig, fn);
    return [sig, fn] as const;
  });
  p[KEY] = { got, release: () => fns.forEach(([sig, fn]) => process.off(sig, fn)) };
}

/** The signals held so far (still held). */
export function heldSignals(): readonly HeldSignal[] {
  return (process as WithHeld)[KEY]?.got ?? [];
}

/** Stops holding (the caller's handlers are in place by now); the signals that came meanwhile. */
export function takeHeldSignals(): HeldSignal[] {
  const p = process as WithHeld;
  const held = p[KEY];
  if (!held) return [];
  delete p[KEY];
  held.release();
  return held.got;
}
