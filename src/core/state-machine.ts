// The per-service state machine of SPEC §2 as an exhaustive transition table (s6-supervise style).
// Every (state, event) pair is written out: a list of allowed next states, 'ignore', or 'illegal'.
import { InvariantError } from './errors.js';
import type { State } from './types.js';

export const EVENTS = [
  'request', // a start was asked for (tend start / restart / reload)
  'spawn', // the process was launched
  'adopt', // a live process of an earlier daemon was taken over
  'ready', // readiness passed (or there is no readiness probe)
  'exit', // the main process ended (or could not be spawned); the policy picks the next state
  'stop', // the stop signal was sent
  'cancel', // stop asked while nothing runs
  'dep-failed', // a dependency ended in failed
] as const;
export type EventKind = (typeof EVENTS)[number];

type Rule = readonly State[] | 'ignore' | 'illegal';

const TERMINAL_EXIT = ['backoff', 'completed', 'failed'] as const;

/** TABLE[state][event]: the states an event may lead to. */
export const TABLE = {
  pending: {
    request: 'ignore', spawn: ['starting'], adopt: ['running'], ready: 'ignore',
    exit: 'illegal', stop: 'illegal', cancel: ['stopped'], 'dep-failed': ['failed'],
  },
  starting: {
    request: 'ignore', spawn: 'illegal', adopt: 'illegal', ready: ['running'],
    exit: [...TERMINAL_EXIT, 'stopped'], stop: ['stopping'], cancel: 'illegal', 'dep-failed': 'ignore',
  },
  running: {
    request: 'ignore', spawn: 'illegal', adopt: 'illegal', ready: 'ignore',
    exit: [...TERMINAL_EXIT, 'stopped'], stop: ['stopping'], cancel: 'illegal', 'dep-failed': 'ignore',
  },
  stopping: {
    request: 'ignore', spawn: 'illegal', adopt: 'illegal', ready: 'ignore',
    exit: ['stopped'], stop: 'ignore', cancel: 'ignore', 'dep-failed': 'ignore',
  },
  stopped: {
    request: ['pending'], spawn: 'illegal', adopt: ['running'], ready: 'ignore',
    exit: 'illegal', stop: 'illegal', cancel: 'ignore', 'dep-failed': 'ignore',
  },
  backoff: {
    request: ['pending'], spawn: ['starting'], adopt: 'illegal', ready: 'ignore',
    exit: 'illegal', stop: 'illegal', cancel: ['stopped'], 'dep-failed': ['failed'],
  },
  completed: {
    request: ['pending'], spawn: 'illegal', adopt: 'illegal', ready: 'ignore',
    exit: 'illegal', stop: 'illegal', cancel: 'ignore', 'dep-failed': 'ignore',
  },
  failed: {
    request: ['pending'], spawn: 'illegal', adopt: 'illegal', ready: 'ignore',
    exit: 'illegal', stop: 'illegal', cancel: 'ignore', 'dep-failed': 'ignore',
  },
} as const satisfies Record<State, Record<EventKind, Rule>>;

/**
 * The state after `event` in `from`. `to` picks among several allowed states (exit -> backoff |
 * completed | failed | stopped). Returns undefined when the table says 'ignore'; throws
 * InvariantError on an illegal pair, which is a bug in tend, never user input.
 */
export function transition(from: State, event: EventKind, to?: State): State | undefined {
  const rule: Rule = TABLE[from][event];
  if (rule === 'ignore') return undefined;
  if (rule === 'illegal') throw new InvariantError(`illegal transition: ${event} in state ${from}`);
  const next = to ?? rule[0]!;
  if (!rule.includes(next)) {
    throw new InvariantError(`illegal transition: ${event} in state ${from} to ${next}`);
  }
  return next;
}
