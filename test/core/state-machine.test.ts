// The transition table of the README's States section, pair by pair, each cell with its effect. The expected table is written out here on its
// own (not read back from TABLE), so a change to the table must be made twice, on purpose.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.js';
import { EFFECTS, type Effect, EVENTS, type EventKind, TABLE, transition } from '../../src/core/state-machine.js';
import { STATES, type State } from '../../src/core/types.js';

type Rule = { to: State[]; effect: Effect } | 'ignore' | 'illegal';
const I = 'ignore' as const;
const X = 'illegal' as const;
const to = (states: State | State[], effect: Effect = 'none') => ({ to: typeof states === 'string' ? [states] : states, effect });
const EXIT = to(['backoff', 'completed', 'failed', 'stopped', 'scheduled'], 'exited');

const EXPECTED: Record<State, Record<EventKind, Rule>> = {
  pending: {
    request: I,
    spawn: to('starting', 'launch'),
    adopt: to('running', 'take-over'),
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: to(['stopped', 'scheduled']),
    'dep-failed': to(['failed', 'scheduled']),
    reject: to(['failed', 'scheduled']),
  },
  starting: {
    request: I,
    spawn: X,
    adopt: X,
    ready: to('running', 'watch'),
    unhealthy: X,
    exit: EXIT,
    stop: to('stopping', 'term'),
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
    unhealthy: to('stopping', 'term'),
    exit: EXIT,
    stop: to('stopping', 'term'),
    kill: X,
    cancel: X,
    'dep-failed': I,
    reject: I,
  },
  stopping: {
    request: I,
    spawn: X,
    adopt: X,
    ready: I,
    unhealthy: I,
    exit: to(['stopped', 'backoff', 'failed', 'scheduled'], 'exited'),
    stop: I,
    kill: to('stopping', 'kill'),
    cancel: I,
    'dep-failed': I,
    reject: I,
  },
  stopped: {
    request: to('pending', 'fresh'),
    spawn: X,
    adopt: to('running', 'take-over'),
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
    request: to('pending', 'fresh'),
    spawn: to('starting', 'launch'),
    adopt: X,
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: to(['stopped', 'scheduled']),
    'dep-failed': to(['failed', 'scheduled']),
    reject: I,
  },
  completed: {
    request: to('pending', 'fresh'),
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
    request: to('pending', 'fresh'),
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
    request: to('pending', 'fresh'),
    spawn: X,
    adopt: to('running', 'take-over'),
    ready: I,
    unhealthy: X,
    exit: X,
    stop: X,
    kill: X,
    cancel: to('stopped'),
    'dep-failed': I,
    reject: I,
  },
};

const pairs = STATES.flatMap((s) => EVENTS.map((e) => [s, e, EXPECTED[s][e]] as const));

describe('transition table', () => {
  it('has every state and event, and matches the expected table', () => {
    expect(STATES).toEqual([
      'pending',
      'starting',
      'running',
      'stopping',
      'stopped',
      'backoff',
      'completed',
      'failed',
      'scheduled',
    ]);
    expect(EVENTS).toEqual([
      'request',
      'spawn',
      'adopt',
      'ready',
      'unhealthy',
      'exit',
      'stop',
      'kill',
      'cancel',
      'dep-failed',
      'reject',
    ]);
    expect(EFFECTS).toEqual(['none', 'fresh', 'launch', 'take-over', 'watch', 'term', 'kill', 'exited']);
    expect(Object.keys(TABLE).sort()).toEqual([...STATES].sort());
    for (const s of STATES) expect(Object.keys(TABLE[s]).sort()).toEqual([...EVENTS].sort());
    expect(JSON.parse(JSON.stringify(TABLE))).toEqual(EXPECTED);
  });

  describe.each(pairs)('%s + %s', (from, event, rule) => {
    if (rule === 'ignore') {
      it('is ignored: returns undefined whatever target is asked', () => {
        expect(transition(from, event)).toBeUndefined();
        for (const to of STATES) expect(transition(from, event, to)).toBeUndefined();
      });
    } else if (rule === 'illegal') {
      it('throws InvariantError naming the event and the state', () => {
        expect(() => transition(from, event)).toThrow(InvariantError);
        expect(() => transition(from, event)).toThrow(`illegal transition: ${event} in state ${from}`);
        for (const to of STATES) expect(() => transition(from, event, to)).toThrow(InvariantError);
      });
    } else {
      it(`accepts ${rule.to.join(' | ')}, defaults to ${rule.to[0]}, refuses every other target; effect ${rule.effect}`, () => {
        expect(transition(from, event)).toEqual({ state: rule.to[0], effect: rule.effect });
        for (const target of STATES) {
          if (rule.to.includes(target)) expect(transition(from, event, target)).toEqual({ state: target, effect: rule.effect });
          else {
            expect(() => transition(from, event, target)).toThrow(InvariantError);
            expect(() => transition(from, event, target)).toThrow(`illegal transition: ${event} in state ${from} to ${target}`);
          }
        }
      });
    }
  });
});

describe('reachability', () => {
  const edges = (s: State): State[] =>
    EVENTS.flatMap((e) => {
      const r = TABLE[s][e];
      return typeof r === 'string' ? [] : [...r.to];
    });

  it('reaches every state from pending (a fresh autostart service)', () => {
    const seen = new Set<State>(['pending']);
    const queue: State[] = ['pending'];
    while (queue.length) for (const n of edges(queue.shift()!)) if (!seen.has(n)) seen.add(n), queue.push(n);
    expect([...seen].sort()).toEqual([...STATES].sort());
  });

  it('reaches every state from stopped (autostart: false)', () => {
    const seen = new Set<State>(['stopped']);
    const queue: State[] = ['stopped'];
    while (queue.length) for (const n of edges(queue.shift()!)) if (!seen.has(n)) seen.add(n), queue.push(n);
    expect([...seen].sort()).toEqual([...STATES].sort());
  });

  it('leaves every resting state back to pending on request (a start is always possible)', () => {
    for (const s of ['stopped', 'backoff', 'completed', 'failed', 'scheduled'] as const) {
      expect(transition(s, 'request')).toEqual({ state: 'pending', effect: 'fresh' });
    }
  });

  it('allows an exit only where a process may be alive', () => {
    const withExit = STATES.filter((s) => TABLE[s].exit !== 'illegal');
    expect(withExit).toEqual(['starting', 'running', 'stopping']);
  });

  it('launches a process only from pending or backoff, and signals one only where it may be alive', () => {
    const withEffect = (effects: Effect[]) =>
      STATES.filter((s) =>
        EVENTS.some((e) => {
          const r = TABLE[s][e];
          return typeof r !== 'string' && effects.includes(r.effect);
        }),
      );
    expect(withEffect(['launch'])).toEqual(['pending', 'backoff']);
    expect(withEffect(['term', 'kill'])).toEqual(['starting', 'running', 'stopping']);
  });
});
