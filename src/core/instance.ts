// The runtime record of one instance: what is wanted (want) kept apart from what is (state, pid).
// Only the Supervisor writes it (InstanceRecord); everyone else reads the Instance view.
import type { Exit, InstanceSpec, State } from './types.js';

export interface ExitRecord {
  time: number;
  exit: Exit;
}

/**
 * What is wanted of an instance. `restart`: up, with a new process: the loop stops the one that
 * runs, and once nothing of it is left starts afresh (and the want is `up` again).
 */
export type Want = 'up' | 'down' | 'restart';

/** The record the Supervisor keeps and writes. */
export interface InstanceRecord {
  readonly id: string;
  inst: InstanceSpec;
  want: Want;
  state: State;
  since: number; // time of the last state change
  reason: string; // why it is in this state (words)
  pid: number | null;
  startedAt: number | null;
  spawns: number; // total spawns; restarts = spawns - 1
  starts: number[]; // spawn times within the start_limit window
  failuresInRow: number; // exits that led to backoff since the last long run
  /** the state's own timer: in backoff the next start, in stopping the SIGKILL (null once sent) */
  deadline: number | null;
  exits: ExitRecord[]; // last few, newest last
  lastProbeFailure: string | null;
  livenessFailures: number; // liveness failures in a row of the current process
  /** the current process was adopted from an earlier daemon: its output went with that daemon */
  outputLost: boolean;
}

/** One instance as everyone but the Supervisor sees it: read only. */
export type Instance = Readonly<InstanceRecord>;

/** A fresh record in `pending` (or `stopped` when autostart is off). */
export function newInstance(inst: InstanceSpec, now: number, want: 'up' | 'down'): InstanceRecord {
  return {
    id: inst.id,
    inst,
    want,
    state: want === 'up' ? 'pending' : 'stopped',
    since: now,
    reason: want === 'up' ? 'not started yet' : 'autostart is off',
    pid: null,
    startedAt: null,
    spawns: 0,
    starts: [],
    failuresInRow: 0,
    deadline: null,
    exits: [],
    lastProbeFailure: null,
    livenessFailures: 0,
    outputLost: false,
  };
}

/** Alive: a process of it may exist. */
export function isAlive(s: State): boolean {
  return s === 'starting' || s === 'running' || s === 'stopping';
}

/** Wanted up: `up`, or `restart` (up with a new process). */
export function wantsUp(i: Instance): boolean {
  return i.want !== 'down';
}
