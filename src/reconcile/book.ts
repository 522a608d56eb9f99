// The record half of each effect of the transition table: counters, times and the deadline of
// one instance. Pure over the record; the one place where each of them is reset.
import { type EndRun, type InstanceRecord, type NotReady, spawnRestarts } from '../core/instance.js';
import type { Effect } from '../core/state-machine.js';
import type { Exit, Trigger } from '../core/types.js';
import type { ExitVerdict } from './policy.js';

/** What an event brings along for its effect. */
export interface EffectData {
  exit?: { exit: Exit; verdict: ExitVerdict };
  adopt?: { pid: number; spawns?: number; restarts?: number; startedAt?: number; outputLost?: boolean; trigger?: Trigger };
  /** a stop by which tend ends the run itself (timeout) */
  end?: EndRun;
  /** a stop of a run not ready within start_timeout: a failed start */
  notReady?: NotReady;
}

/** Brings the record up to date for `effect` at `now` (the state is already set). */
export function book(i: InstanceRecord, effect: Effect, now: number, data: EffectData = {}): void {
  switch (effect) {
    case 'fresh':
      i.starts = [];
      i.lastFailure = null; // a new run asked for: why an earlier one restarted is history
      i.failuresInRow = 0;
      i.endRun = null;
      i.notReady = null;
      if (i.want === 'restart') i.want = 'up';
      return;
    case 'launch':
      if (spawnRestarts(i)) i.restarts++;
      i.spawns++;
      i.starts = i.starts.filter((t) => now - t < i.inst.spec.startLimit.interval);
      i.starts.push(now);
      i.startedAt = now;
      i.startExtendedTo = null;
      i.livenessFailures = 0;
      i.lastProbeFailure = null;
      i.approved = false; // an approval is good for one run
      i.statusText = null;
      i.mainPid = null;
      i.outputLost = false;
      return;
    case 'take-over': {
      const a = data.adopt!;
      i.pid = a.pid;
      i.startedAt = a.startedAt ?? now;
      i.spawns = Math.max(1, a.spawns ?? i.spawns);
      i.restarts = a.restarts ?? i.spawns - 1;
      i.startExtendedTo = null;
      i.livenessFailures = 0;
      i.outputLost = a.outputLost ?? false;
      // the run goes on as it began (`tend history`), when the earlier tend said
      if (a.trigger) i.trigger = a.trigger;
      return;
    }
    case 'watch':
      i.lastProbeFailure = null;
      return;
    case 'term':
      i.deadline = now + i.inst.spec.stopTimeout;
      if (data.end) i.endRun = data.end;
      if (data.notReady) i.notReady = data.notReady;
      return;
    case 'kill':
      i.deadline = null;
      return;
    case 'exited': {
      const { exit, verdict } = data.exit!;
      i.pid = null;
      i.mainPid = null;
      i.exits.push({ time: now, exit });
      if (i.exits.length > 10) i.exits.shift();
      i.failuresInRow = verdict.failuresInRow;
      i.deadline = verdict.nextStartAt;
      if (i.inst.spec.type === 'oneshot') {
        const ok = exit.kind === 'exited' && exit.code === 0 && !i.endRun?.failed;
        const start = i.startedAt ?? now;
        i.lastRun = { start, end: now, exit, trigger: i.trigger, result: ok ? 'completed' : 'failed', reason: verdict.reason };
        // a retry after a failure (backoff) is not the run's end: counted when the run ends
        if (ok) i.runs = { ...i.runs, completed: i.runs.completed + 1, lastCompletedAt: now };
        else if (verdict.state !== 'backoff') i.runs = { ...i.runs, failed: i.runs.failed + 1 };
      }
      i.endRun = null;
      i.notReady = null;
      if (verdict.state === 'backoff') i.lastFailure = { at: now, why: verdict.reason };
      if (verdict.state === 'backoff' || i.want === 'restart') i.trigger = 'restart';
      return;
    }
    case 'none':
      return;
  }
}
