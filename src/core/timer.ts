// A timer for an absolute time, however far away. Node's setTimeout takes at most 2^31-1 ms
// (~24.8 days; more fires at once with a warning), so a far time is reached in steps, and each step
// reads the wall clock again. Unref'd: a pending timer never keeps the process alive.

/** The longest delay setTimeout honours (ms). */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

export interface TimerOptions {
  /** the clock `at` is read against (default Date.now) */
  now?: () => number;
  /** the longest single setTimeout (default and upper bound MAX_TIMER_DELAY) */
  maxStep?: number;
}

/** Why: the scheduler's one wake-up, long backoffs and probe intervals may lie beyond 24.8 days.
 *  Calls `fire` once, when now() >= at (never synchronously); returns a cancel function. */
export function setTimerAt(at: number, fire: () => void, opts: TimerOptions = {}): () => void {
  const now = opts.now ?? Date.now;
  const maxStep = Math.max(1, Math.min(opts.maxStep ?? MAX_TIMER_DELAY, MAX_TIMER_DELAY));
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const arm = (): void => {
    const left = at - now();
    handle = setTimeout(
      () => {
        if (cancelled) return;
        // a step short of `at`, or a timer a little early by the wall clock: wait on
        if (now() < at) arm();
        else fire();
      },
      Math.max(0, Math.min(left, maxStep)),
    );
    handle.unref();
  };
  if (!Number.isFinite(at)) throw new RangeError(`setTimerAt: expected a finite time; got ${at}`);
  arm();
  return () => {
    cancelled = true;
    clearTimeout(handle);
  };
}
