// What happens after an exit: restart policy, exponential backoff with jitter, start limit.
// Pure: the loop applies the verdict.
import { describeExit, formatLimit } from '../core/describe.js';
import { hasSchedule, type Instance } from '../core/instance.js';
import type { Exit, State } from '../core/types.js';

export interface ExitVerdict {
  state: Extract<State, 'backoff' | 'completed' | 'failed' | 'stopped' | 'scheduled'>;
  reason: string;
  nextStartAt: number | null;
  failuresInRow: number;
}

/** Delay before restart number `n` (1-based) of a failure streak, with up to 10% jitter down. */
export function backoffDelay(b: { initial: number; max: number; factor: number }, n: number, random: () => number): number {
  const raw = b.initial * b.factor ** Math.max(0, n - 1);
  const capped = Math.min(b.max, raw);
  return Math.round(capped * (1 - 0.1 * random()));
}

const TIMES = ['', 'once', 'twice', 'three times', 'four times', 'five times'];
function times(n: number): string {
  return TIMES[n] ?? `${n} times`;
}

/**
 * The state after the main process of `i` ended at `now`. Wanted down, or restarted: stopped (the
 * loop starts a restart afresh). Stopped by tend while wanted up: not ready within start_timeout,
 * a failed start that the policy judges as a failure (`never`: failed); or its liveness failed, a
 * failure that restarts whatever the policy; both through the same backoff and start limit as an exit.
 * A run tend ended itself (endRun: a timeout, a replace) fails, or stops. A task with a schedule
 * rests in `scheduled` instead of completed, failed or stopped while wanted up.
 */
export function afterExit(i: Instance, exit: Exit, now: number, random: () => number): ExitVerdict {
  const v = verdict(i, exit, now, random);
  if (i.want === 'up' && hasSchedule(i.inst) && v.state !== 'backoff') return { ...v, state: 'scheduled' };
  return v;
}

function verdict(i: Instance, exit: Exit, now: number, random: () => number): ExitVerdict {
  const spec = i.inst.spec;
  if (i.want === 'down' || i.want === 'restart') {
    return { state: 'stopped', reason: `stopped (${describeExit(exit)})`, nextStartAt: null, failuresInRow: 0 };
  }
  if (i.endRun) {
    const reason = `${i.endRun.reason} (${describeExit(exit)})`;
    return { state: i.endRun.failed ? 'failed' : 'stopped', reason, nextStartAt: null, failuresInRow: i.failuresInRow };
  }
  // stopped by tend while wanted up: not ready within start_timeout (a failed start, as a crash
  // before it was ready: the policy decides), else its liveness failed (restarts whatever it says)
  const notReady = i.notReady;
  const unhealthy = i.state === 'stopping' && notReady === null;
  const what = notReady ? `${notReady.head}: ${notReady.why}` : unhealthy ? 'liveness failed' : describeExit(exit);
  const success = !unhealthy && notReady === null && exit.kind === 'exited' && exit.code === 0;
  // a oneshot that succeeded is done whatever the policy: `always` reruns only failures
  const restart =
    unhealthy ||
    (spec.restart === 'always' && !(success && spec.type === 'oneshot')) ||
    (spec.restart === 'on-failure' && !success);
  if (!restart) {
    return success
      ? { state: 'completed', reason: what, nextStartAt: null, failuresInRow: 0 }
      : { state: 'failed', reason: what, nextStartAt: null, failuresInRow: i.failuresInRow };
  }
  const { burst, interval } = spec.startLimit;
  const recent = i.starts.filter((t) => now - t < interval);
  if (recent.length >= burst) {
    const secs = formatLimit(interval);
    // the same end each time, said once; different ends: how many starts, and the last end
    const before = recent.length > 1 ? i.exits.filter((e) => now - e.time < interval).slice(-(recent.length - 1)) : [];
    const same = unhealthy || before.every((e) => describeExit(e.exit) === what);
    return {
      state: 'failed',
      reason: notReady
        ? `${notReady.head} ${times(recent.length)} within ${secs}; start limit reached (the last: ${notReady.why})`
        : !same
          ? `${recent.length} starts within ${secs}, the last ${what}; start limit reached`
          : exit.kind === 'spawn-error' && !unhealthy
            ? // the error is a sentence of its own: the count goes first
              `could not start ${times(recent.length)} within ${secs} (${exit.message}); start limit reached`
            : `${what} ${times(recent.length)} within ${secs}; start limit reached`,
      nextStartAt: null,
      failuresInRow: i.failuresInRow,
    };
  }
  // A run longer than backoff.max resets the streak (it was healthy for a while).
  // Not one that never got ready: a long start_timeout is no healthy while.
  const ranFor = i.startedAt === null ? 0 : now - i.startedAt;
  const streak = ranFor > spec.backoff.max && notReady === null ? 1 : i.failuresInRow + 1;
  const delay = backoffDelay(spec.backoff, streak, random);
  // a liveness probe counts failures in a row; the watchdog (livenessFailures 0) fails at once
  const why = i.lastProbeFailure ?? 'no reason given';
  const reason = !unhealthy
    ? what
    : i.livenessFailures > 0
      ? `${what} ${i.livenessFailures} times in a row: ${why}`
      : `${what}: ${why}`;
  return { state: 'backoff', reason, nextStartAt: now + delay, failuresInRow: streak };
}
