// The runtime record of one instance: what is wanted (want) kept apart from what is (state, pid).
// Only the Supervisor writes it (InstanceRecord); everyone else reads the Instance view.
import type { Exit, InstanceSpec, State, Trigger } from './types.js';

export interface ExitRecord {
  time: number;
  exit: Exit;
}

/** A run that tend ends itself (timeout, overlap replace, `tend stop` of a task): why, and whether it counts as failed. */
export interface EndRun {
  reason: string;
  failed: boolean;
}

/**
 * A run tend stops because it was not ready within start_timeout: `head` the bound in words
 * (`not ready within 1m30s`), `why` what kept it from being ready (the readiness probe's last
 * failure). Its exit is a failed start (policy.ts).
 */
export interface NotReady {
  head: string;
  why: string;
}

/** How the last run of a oneshot went (`tend history` keeps these on disk). */
export interface RunResult {
  start: number;
  end: number;
  exit: Exit;
  trigger: Trigger;
  result: 'completed' | 'failed';
  /** why it ended: "exited with code 0", "timed out after 5s (killed by SIGTERM)" */
  reason: string;
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
  spawns: number; // total spawns
  /** spawns that restarted it: all after the first, except a scheduled task's new runs (book.ts) */
  restarts: number;
  starts: number[]; // spawn times within the start_limit window
  failuresInRow: number; // exits that led to backoff since the last long run
  /** the state's own timer: in backoff the next start, in stopping the SIGKILL (null once sent) */
  deadline: number | null;
  exits: ExitRecord[]; // last few, newest last
  lastProbeFailure: string | null;
  livenessFailures: number; // liveness failures in a row of the current process
  /** why the current (or next) run was asked for */
  trigger: Trigger;
  /** set while tend ends the current run itself (timeout, replace, `tend stop` of a task) */
  endRun: EndRun | null;
  /** set while tend stops the current run for not being ready within start_timeout */
  notReady: NotReady | null;
  /** EXTEND_TIMEOUT_USEC= while starting: the current run's start_timeout waits at least until then */
  startExtendedTo: number | null;
  /** `tend approve` released the next run (approval: true); spent by its launch */
  approved: boolean;
  /** `tend disable`: its schedule (or autostart) is paused until `tend enable` */
  paused: boolean;
  /** the last finished run of a oneshot */
  lastRun: RunResult | null;
  /** a task's next scheduled run (the scheduler tells the Supervisor) */
  nextRunAt: number | null;
  /** what the current process last said with sd_notify's STATUS= (readiness notify, watchdog) */
  statusText: string | null;
  /** the pid it named with MAINPID= (its own main process stays the one tend started) */
  mainPid: number | null;
  /** the current process was adopted from an earlier daemon: its output went with that daemon */
  outputLost: boolean;
  /**
   * processes its last run left behind are still there (stop signal sent, SIGKILL at
   * stop_timeout): the next run waits for them, as systemd waits for the cgroup to empty
   */
  lingering: boolean;
  /**
   * a oneshot's last run that ended before it started, failed (a dependency failed, rejected):
   * when it began to wait (`since`) and ended (`at`), why, and what asked for it; what waits for a
   * task resting in scheduled fails with it as with a failed run (reconcile/deps.ts), and its
   * history records it (a run that never started)
   */
  unstartedEnd: { since: number; at: number; reason: string; trigger: Trigger } | null;
  /** a oneshot's runs since tend started, by how they ended (never started: failed), and its last good end (/metrics) */
  runs: { completed: number; failed: number; lastCompletedAt: number | null };
  /** why its last restart after a failure came, and when (`tend why` says it once the new run goes) */
  lastFailure: { at: number; why: string } | null;
  /**
   * instances the reload that added it removed, still stopping: it starts once they are gone
   * (a renamed service frees its port, its files, before the new name starts)
   */
  afterRemoved: readonly string[];
  /** the last start or restart asked of it (tend start/restart, a reload, a dependent), with its spawn count then */
  asked: { at: number; spawns: number } | null;
}

/** One instance as everyone but the Supervisor sees it: read only. */
export type Instance = Readonly<InstanceRecord>;

/**
 * A fresh record in `pending` (or `stopped` when autostart is off). A task with a schedule rests
 * in `scheduled`, wanted up; wanted down (autostart: false) its schedule starts paused.
 */
export function newInstance(inst: InstanceSpec, now: number, want: 'up' | 'down'): InstanceRecord {
  const task = hasSchedule(inst);
  return {
    id: inst.id,
    inst,
    want: task ? 'up' : want,
    state: task ? 'scheduled' : want === 'up' ? 'pending' : 'stopped',
    since: now,
    reason: task ? 'waiting for its first run' : want === 'up' ? 'not started yet' : 'autostart is off',
    pid: null,
    startedAt: null,
    spawns: 0,
    restarts: 0,
    starts: [],
    failuresInRow: 0,
    deadline: null,
    exits: [],
    lastProbeFailure: null,
    livenessFailures: 0,
    trigger: 'start-up',
    endRun: null,
    notReady: null,
    startExtendedTo: null,
    approved: false,
    paused: task && want === 'down',
    lastRun: null,
    nextRunAt: null,
    statusText: null,
    mainPid: null,
    outputLost: false,
    lingering: false,
    unstartedEnd: null,
    runs: { completed: 0, failed: 0, lastCompletedAt: null },
    lastFailure: null,
    afterRemoved: [],
    asked: null,
  };
}

/** A task with a schedule (`schedule` or `every`): between runs it rests in `scheduled`. */
export function hasSchedule(inst: InstanceSpec): boolean {
  return inst.spec.schedule !== undefined;
}

/** Whether a spawn made now restarts it: any after the first, except a scheduled task's new runs (each a run of its own, `tend history`). */
export function spawnRestarts(i: Instance): boolean {
  return i.spawns > 0 && (!hasSchedule(i.inst) || i.trigger === 'restart');
}

/** A run of it is on its way or going: requested, waiting, live, or backing off before a retry. */
export function inProgress(s: State): boolean {
  return s === 'pending' || s === 'backoff' || isAlive(s);
}

/** Alive: a process of it may exist. */
export function isAlive(s: State): boolean {
  return s === 'starting' || s === 'running' || s === 'stopping';
}

/** Wanted up: `up`, or `restart` (up with a new process). */
export function wantsUp(i: Instance): boolean {
  return i.want !== 'down';
}

/** A service without a readiness probe counts as started once it ran this long (supervisord's startsecs). */
export const SETTLE_MS = 1000;

/** The ms a running instance without a readiness probe has left before it counts as started, or undefined. */
export function settleLeft(i: Instance, now: number): number | undefined {
  if (i.state !== 'running' || i.inst.spec.readiness || i.startedAt === null) return undefined;
  const left = i.startedAt + SETTLE_MS - now;
  return left > 0 ? left : undefined;
}
