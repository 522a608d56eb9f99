// The per-service state machine of the README's States section as an exhaustive table in the
// manner of s6-supervise's actions[state][event]: every (state, event) cell says where the event
// leads and what the loop then does (its effect), or that it is ignored, or that it cannot happen.
// Adding a state is adding a row here (and its words in the README); the compiler finds the rest.
import { InvariantError } from './errors.js';
import type { State } from './types.js';

export const EVENTS = [
  'request', // a start was asked for (tend start, a restart's second half, a dependency, reload)
  'spawn', // the loop launches the process
  'adopt', // a live process of an earlier daemon is taken over (starting when it was not ready)
  'ready', // readiness passed (or there is no readiness probe)
  'unhealthy', // the liveness probe failed failure_threshold times in a row
  'exit', // the main process ended (or could not be spawned); the policy picks the next state
  'stop', // the loop stops the process (want down, or a restart)
  'kill', // the stop timed out: SIGKILL
  'cancel', // stop asked while nothing runs
  'dep-failed', // a dependency ended in failed
  'reject', // `tend reject`: a run waiting for approval is refused
] as const;
export type EventKind = (typeof EVENTS)[number];

/** What the loop does on a transition, besides setting the state (see Supervisor.effect). */
export const EFFECTS = [
  'none',
  'fresh', // a new run: the start-limit window, the failure streak and a restart wish are forgotten
  'launch', // count the start, spawn the process, poll readiness (or be ready at once)
  'take-over', // the adopted process is ours: watch its exit, start liveness (or readiness, starting)
  'watch', // readiness done: start liveness
  'term', // probes off, the stop signal to every process, SIGKILL deadline armed
  'kill', // SIGKILL to every process; no later deadline
  'exited', // the exit is recorded and the process forgotten; the policy chose the state
] as const;
export type Effect = (typeof EFFECTS)[number];

/** One cell: the states it may lead to (the first is the default) and its effect. */
export interface Step {
  readonly to: readonly State[];
  readonly effect: Effect;
}
type Cell = Step | 'ignore' | 'illegal';

const I = 'ignore';
const X = 'illegal';
const go = (to: State | readonly State[], effect: Effect = 'none'): Step => ({
  to: typeof to === 'string' ? [to] : to,
  effect,
});

/** Where an exit of a process that was not being stopped leads: the restart policy chooses
 *  (a task with a schedule rests in `scheduled` where another would be completed or failed). */
const AFTER_EXIT = go(['backoff', 'completed', 'failed', 'stopped', 'scheduled'], 'exited');
/** A run that never started ends: failed (or stopped), a task with a schedule back to `scheduled`. */
const UNSTARTED = (s: State): Step => go([s, 'scheduled']);

/**
 * TABLE[state][event]. Wanting is apart: commands change `want`, the planner turns want and
 * state into events (spawn, stop, kill, cancel, dep-failed, request for a restart's second half).
 */
export const TABLE = {
  pending: {
    request: I,
    spawn: go('starting', 'launch'),
    adopt: go(['running', 'starting'], 'take-over'),
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: UNSTARTED('stopped'),
    'dep-failed': UNSTARTED('failed'),
    reject: UNSTARTED('failed'),
  },
  starting: {
    request: I,
    spawn: X,
    adopt: X,
    ready: go('running', 'watch'),
    unhealthy: X,
    exit: AFTER_EXIT,
    stop: go('stopping', 'term'),
    kill: X,
    cancel: X,
    'dep-failed': I,
    reject: I,
  },
  running: {
    request: I,
    spawn: X,
    adopt: X,
    ready: I,
    unhealthy: go('stopping', 'term'),
    exit: AFTER_EXIT,
    stop: go('stopping', 'term'),
    kill: X,
    cancel: X,
    'dep-failed': I,
    reject: I,
  },
  stopping: {
    // stopped when it was wanted down or restarted; a liveness stop is a failure: backoff | failed;
    // a run ended by tend (timeout, replace, `tend stop` of a task) fails, or rests in scheduled
    request: I,
    spawn: X,
    adopt: X,
    ready: I,
    unhealthy: I,
    exit: go(['stopped', 'backoff', 'failed', 'scheduled'], 'exited'),
    stop: I,
    kill: go('stopping', 'kill'),
    cancel: I,
    'dep-failed': I,
    reject: I,
  },
  stopped: {
    request: go('pending', 'fresh'),
    spawn: X,
    adopt: go(['running', 'starting'], 'take-over'),
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: I,
    'dep-failed': I,
    reject: I,
  },
  backoff: {
    request: go('pending', 'fresh'),
    spawn: go('starting', 'launch'),
    adopt: X,
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: UNSTARTED('stopped'),
    'dep-failed': UNSTARTED('failed'),
    reject: I,
  },
  completed: {
    request: go('pending', 'fresh'),
    spawn: X,
    adopt: X,
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: I,
    'dep-failed': I,
    reject: I,
  },
  failed: {
    request: go('pending', 'fresh'),
    spawn: X,
    adopt: X,
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: I,
    'dep-failed': I,
    reject: I,
  },
  scheduled: {
    // a task between runs: a run (due, `tend run`, `tend start`, a dependent) is a request;
    // wanted down (shutdown, removed by a reload) its schedule ends: stopped
    request: go('pending', 'fresh'),
    spawn: X,
    adopt: go(['running', 'starting'], 'take-over'),
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: go('stopped'),
    'dep-failed': I,
    reject: I,
  },
} as const satisfies Record<State, Record<EventKind, Cell>>;

/**
 * The state after `event` in `from`, and the effect to run. `to` picks among several allowed
 * states (exit -> backoff | completed | failed | stopped). Returns undefined when the table says
 * 'ignore'; throws InvariantError on an illegal pair, which is a bug in tend, never user input.
 */
export function transition(from: State, event: EventKind, to?: State): { state: State; effect: Effect } | undefined {
  const cell: Cell = TABLE[from][event];
  if (cell === 'ignore') return undefined;
  if (cell === 'illegal') throw new InvariantError(`illegal transition: ${event} in state ${from}`);
  const next = to ?? cell.to[0]!;
  if (!cell.to.includes(next)) {
    throw new InvariantError(`illegal transition: ${event} in state ${from} to ${next}`);
  }
  return { state: next, effect: cell.effect };
}
