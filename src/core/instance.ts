// The runtime record of one instance: what is wanted (want) kept apart from what is (state, pid).
import type { Exit, InstanceSpec, State } from './types.js';

export interface ExitRecord {
  time: number;
  exit: Exit;
}

export interface Instance {
  readonly id: string;
  inst: InstanceSpec;
  /** what the user or the config wants: up (keep it going) or down (keep it stopped) */
  want: 'up' | 'down';
  /** a restart was asked: stop, then start again */
  restartPending: boolean;
  state: State;
  since: number; // time of the last state change
  reason: string; // why it is in this state (words)
  pid: number | null;
  startedAt: number | null;
  spawns: number; // total spawns; restarts = spawns - 1
  starts: number[]; // spawn times within the start_limit window
  failuresInRow: number; // exits that led to backoff since the last long run
  nextStartAt: number | null; // backoff due time
  stopDeadline: number | null; // when the stop escalates to SIGKILL
  killed: boolean;
  exits: ExitRecord[]; // last few, newest last
  lastProbeFailure: string | null;
  livenessFailures: number;
}

/** A fresh record in `pending` (or `stopped` when autostart is off). */
export function newInstance(inst: InstanceSpec, now: number, want: 'up' | 'down'): Instance {
  return {
    id: inst.id,
    inst,
    want,
    restartPending: false,
    state: want === 'up' ? 'pending' : 'stopped',
    since: now,
    reason: want === 'up' ? 'not started yet' : 'autostart is off',
    pid: null,
    startedAt: null,
    spawns: 0,
    starts: [],
    failuresInRow: 0,
    nextStartAt: null,
    stopDeadline: null,
    killed: false,
    exits: [],
    lastProbeFailure: null,
    livenessFailures: 0,
  };
}

/** Alive: a process of it may exist. */
export function isAlive(s: State): boolean {
  return s === 'starting' || s === 'running' || s === 'stopping';
}
