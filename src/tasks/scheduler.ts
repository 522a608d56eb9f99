// The planner of task runs: a pure function from the tasks (spec + what is observed) and the time
// to the decisions (start, skip, queue, replace, time out) and the earliest time to look again.
// It keeps no state: the caller stores what it observed (runs, ends) and what it decided
// (`lastFire`, `queued`); applyTaskAction and taskRunEnded are the two reducers for that.
//
// Rules:
// - cron: due = schedule.next(lastFire ?? activeSince). A due reached while a run is going is
//   handled by `overlap`. Several dues passed at once (tend was busy, the machine slept) give one
//   run: the caller records lastFire = now, and the next due is the first after now.
// - every (`@every D`, `every: D`): due = lastEnd + D, measured from the end of the last run of
//   any trigger; nothing is due while a run is going. A due that fell before activeSince (tend
//   was down, the task disabled) is not made up: the first due is then activeSince + D.
// - catch_up: only when the schedule became active with tend's start-up (activeAtStartUp), before
//   any due was handled (lastFire null), and a due was missed while tend was down (cron: the first
//   due after the last known run start is at or before activeSince; every: lastEnd + D is). Then a
//   run is due at activeSince, with trigger start-up. A task that never ran has missed nothing.
// - timeout: a run (of any trigger) going for `timeout` ms or more is stopped and fails.
import { formatDuration, formatLimit } from '../core/describe.js';
import type { Overlap, Trigger } from '../core/types.js';
import type { Schedule } from './schedule.js';

/** What to do with a run that falls due while another is running (declared in core). */
export type { Overlap };
export const OVERLAPS = ['skip', 'queue', 'replace'] as const satisfies readonly Overlap[];

/** What the planner needs of one task's config (durations in ms). */
export interface TaskSpec {
  name: string;
  schedule: Schedule;
  /** default skip */
  overlap: Overlap;
  /** null: no limit */
  timeout: number | null;
  catchUp: boolean;
}

/** The run in progress. */
export interface TaskRun {
  start: number;
  trigger: Trigger;
  /** a stop was already sent (timed out, replaced, stopped by hand): no second timeout or replace */
  stopping: boolean;
  /** a run not spawned yet (pending, backoff): what it waits for, in words (it is not "running") */
  waiting?: string;
}

/** What the caller knows of one task (times in ms since the epoch). */
export interface TaskState {
  /** false after `tend disable`: nothing falls due, a queued scheduled run waits (one `tend run` queued starts); a run still times out */
  enabled: boolean;
  /** when the schedule became active: tend's start-up, `tend enable`, or a reload that changed it */
  activeSince: number;
  /** activeSince is tend's start-up (only then may catch_up run a missed run) */
  activeAtStartUp: boolean;
  running: TaskRun | null;
  /** a run waiting for the running one to end (overlap queue or replace): at most one */
  queued: Trigger | null;
  /** the start of the newest run, any trigger (after a restart: from the history file) */
  lastStart: number | null;
  /** the end of the newest finished run, any trigger (after a restart: from the history file) */
  lastEnd: number | null;
  /** when (plan time) the last due was handled; null until one is, since activeSince */
  lastFire: number | null;
}

/** A decision. `due` (on those a due caused) tells the caller to set lastFire = the plan's now. */
export type TaskAction =
  /** spawn a run; trigger schedule or start-up (a due), or the queued run's trigger (no due) */
  | { kind: 'start'; name: string; trigger: Trigger; due?: number; why: string }
  /** a due while a run is going, dropped (journal `why`) */
  | { kind: 'skip'; name: string; due: number; why: string }
  /** a due while a run is going, kept: set queued = 'schedule' (journal `why`) */
  | { kind: 'queue'; name: string; due: number; why: string }
  /** stop the running run (stop signal, then SIGKILL) with `why` as the reason; set queued = 'schedule' */
  | { kind: 'replace'; name: string; due: number; why: string }
  /** stop the running run (stop signal, then SIGKILL); it counts as failed, reason `why` */
  | { kind: 'timeout'; name: string; why: string };

export interface TaskPlan {
  actions: TaskAction[];
  /** the earliest time a due or a timeout falls, null when none will */
  wakeAt: number | null;
}

/** The next due (cron: also while a run goes; every: none then) and whether it is a catch-up. */
function nextDue(t: TaskSpec, s: TaskState): { at: number; trigger: 'schedule' | 'start-up' } | null {
  const spec = t.schedule.spec;
  const catchUp = t.catchUp && s.activeAtStartUp && s.lastFire === null;
  if (spec.kind === 'every') {
    if (s.running !== null) return null; // the interval counts from the end of this run
    const fromEnd = s.lastEnd === null ? null : s.lastEnd + spec.ms;
    if (fromEnd !== null && fromEnd > s.activeSince) return { at: fromEnd, trigger: 'schedule' };
    if (catchUp && fromEnd !== null) return { at: s.activeSince, trigger: 'start-up' };
    return { at: s.activeSince + spec.ms, trigger: 'schedule' };
  }
  if (catchUp && s.lastStart !== null) {
    const missed = t.schedule.next(s.lastStart);
    if (missed !== null && missed <= s.activeSince) return { at: s.activeSince, trigger: 'start-up' };
  }
  const at = t.schedule.next(s.lastFire ?? s.activeSince);
  return at === null ? null : { at, trigger: 'schedule' };
}

const STARTED_WHY: Record<'schedule' | 'start-up', string> = {
  schedule: 'scheduled run',
  'start-up': 'catch-up: a scheduled run was missed while tend was down',
};

/** Why: one task's decisions at `now`, pushed to `out`; returns its next wake time. */
function planTask(t: TaskSpec, s: TaskState, now: number, out: TaskAction[]): number | null {
  let wake: number | null = null;
  const soonest = (at: number | null): void => {
    if (at !== null && (wake === null || at < wake)) wake = at;
  };
  // a run started by this plan starts now: its timeout is a wake too
  const start = (a: TaskAction & { kind: 'start' }): void => {
    out.push(a);
    if (t.timeout !== null) soonest(now + t.timeout);
  };
  const run = s.running;
  let stopping = run?.stopping ?? false;
  if (run && !stopping && t.timeout !== null) {
    if (now >= run.start + t.timeout) {
      out.push({ kind: 'timeout', name: t.name, why: `timed out after ${formatLimit(t.timeout)}` });
      stopping = true;
    } else soonest(run.start + t.timeout);
  }
  if (!s.enabled) {
    // paused (`tend disable`, autostart off): nothing falls due and a queued scheduled run waits,
    // but `tend run` works on a paused task, so one it queued starts when the going run ends
    // (it was dropped, and the `tend run` that waited for it never returned)
    if (!run && s.queued === 'run')
      start({ kind: 'start', name: t.name, trigger: 'run', why: 'queued run: the previous run ended' });
    return wake;
  }
  const due = nextDue(t, s);
  const reached = due !== null && due.at <= now;
  // cron: once this due is handled the next is the first after now; every: none while a run goes
  const cron = t.schedule.spec.kind === 'cron';
  if (!run && s.queued !== null) {
    // the queued run starts; a due reached now is covered by it
    start({
      kind: 'start',
      name: t.name,
      trigger: s.queued,
      ...(reached ? { due: due.at } : {}),
      why: 'queued run: the previous run ended',
    });
    if (cron) soonest(reached ? t.schedule.next(now) : (due?.at ?? null));
    return wake;
  }
  if (!reached) {
    soonest(due?.at ?? null);
    return wake;
  }
  if (cron) soonest(t.schedule.next(now));
  if (!run) {
    start({ kind: 'start', name: t.name, trigger: due.trigger, due: due.at, why: STARTED_WHY[due.trigger] });
    return wake;
  }
  const ago = `started ${formatDuration(now - run.start)} ago`;
  const going = run.waiting ?? `the previous run (${ago}) is ${stopping ? 'stopping' : 'still running'}`;
  if (t.overlap === 'skip') {
    out.push({ kind: 'skip', name: t.name, due: due.at, why: `skipped a scheduled run: ${going} (overlap: skip)` });
  } else if (s.queued !== null) {
    out.push({
      kind: 'skip',
      name: t.name,
      due: due.at,
      why: `skipped a scheduled run: one is already queued behind the running one (overlap: ${t.overlap})`,
    });
  } else if (t.overlap === 'replace' && !stopping) {
    out.push({ kind: 'replace', name: t.name, due: due.at, why: `replaced by a scheduled run (overlap: replace; it ${ago})` });
  } else {
    out.push({
      kind: 'queue',
      name: t.name,
      due: due.at,
      why: `queued a scheduled run: ${going} (overlap: ${t.overlap})`,
    });
  }
  return wake;
}

/** Why: the scheduler's one decision point: actions for every task (in order) and one wake time. */
export function planTasks(tasks: readonly TaskSpec[], states: ReadonlyMap<string, TaskState>, now: number): TaskPlan {
  const actions: TaskAction[] = [];
  let wakeAt: number | null = null;
  for (const t of tasks) {
    const s = states.get(t.name);
    if (s === undefined) continue;
    const w = planTask(t, s, now, actions);
    if (w !== null && (wakeAt === null || w < wakeAt)) wakeAt = w;
  }
  return { actions, wakeAt };
}

/** Why: the caller's record after it carried out an action at `now` (spawned, stopped, queued). */
export function applyTaskAction(s: TaskState, a: TaskAction, now: number): TaskState {
  const fired = 'due' in a && a.due !== undefined ? { lastFire: now } : {};
  switch (a.kind) {
    case 'start':
      return { ...s, ...fired, running: { start: now, trigger: a.trigger, stopping: false }, queued: null, lastStart: now };
    case 'skip':
      return { ...s, ...fired };
    case 'queue':
      return { ...s, ...fired, queued: 'schedule' };
    case 'replace':
      return { ...s, ...fired, queued: 'schedule', running: s.running && { ...s.running, stopping: true } };
    case 'timeout':
      return { ...s, running: s.running && { ...s.running, stopping: true } };
  }
}

/** Why: the caller's record after the running run ended at `end` (any way: exit, kill, spawn error). */
export function taskRunEnded(s: TaskState, end: number): TaskState {
  return { ...s, running: null, lastEnd: end };
}
