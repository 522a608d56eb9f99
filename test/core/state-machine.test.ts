// The transition table of SPEC §2, pair by pair. The expected table is written out here on its
// own (not read back from TABLE), so a change to the table must be made twice, on purpose.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../src/core/errors.js';
import { EVENTS, type EventKind, TABLE, transition } from '../../src/core/state-machine.js';
import { STATES, type State } from '../../src/core/types.js';

type Rule = State[] | 'ignore' | 'illegal';
const I = 'ignore' as const;
const X = 'illegal' as const;

const EXPECTED: Record<State, Record<EventKind, Rule>> = {
  pending: {
    request: I, spawn: ['starting'], adopt: ['running'], ready: I,
    exit: X, stop: X, cancel: ['stopped'], 'dep-failed': ['failed'],
  },
  starting: {
    request: I, spawn: X, adopt: X, ready: ['running'],
    exit: ['backoff', 'completed', 'failed', 'stopped'], stop: ['stopping'], cancel: X, 'dep-failed': I,
  },
  running: {
    request: I, spawn: X, adopt: X, ready: I,
    exit: ['backoff', 'completed', 'failed', 'stopped'], stop: ['stopping'], cancel: X, 'dep-failed': I,
  },
  stopping: {
    request: I, spawn: X, adopt: X, ready: I,
    exit: ['stopped'], stop: I, cancel: I, 'dep-failed': I,
  },
  stopped: {
    request: ['pending'], spawn: X, adopt: ['running'], ready: I,
    exit: X, stop: X, cancel: I, 'dep-failed': I,
  },
  backoff: {
    request: ['pending'], spawn: ['starting'], adopt: X, ready: I,
    exit: X, stop: X, cancel: ['stopped'], 'dep-failed': ['failed'],
  },
  completed: {
    request: ['pending'], spawn: X, adopt: X, ready: I,
    exit: X, stop: X, cancel: I, 'dep-failed': I,
  },
  failed: {
    request: ['pending'], spawn: X, adopt: X, ready: I,
    exit: X, stop: X, cancel: I, 'dep-failed': I,
  },
};

const pairs = STATES.flatMap((s) => EVENTS.map((e) => [s, e, EXPECTED[s][e]] as const));

describe('transition table', () => {
  it('has every state and event of SPEC §2, and matches the expected table', () => {
    expect(STATES).toEqual(['pending', 'starting', 'running', 'stopping', 'stopped', 'backoff', 'completed', 'failed']);
    expect(EVENTS).toEqual(['request', 'spawn', 'adopt', 'ready', 'exit', 'stop', 'cancel', 'dep-failed']);
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
      it(`accepts ${rule.join(' | ')}, defaults to ${rule[0]}, refuses every other target`, () => {
        expect(transition(from, event)).toBe(rule[0]);
        for (const to of STATES) {
          if (rule.includes(to)) expect(transition(from, event, to)).toBe(to);
          else {
            expect(() => transition(from, event, to)).toThrow(InvariantError);
            expect(() => transition(from, event, to)).toThrow(`illegal transition: ${event} in state ${from} to ${to}`);
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
      return typeof r === 'string' ? [] : [...r];
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
    for (const s of ['stopped', 'backoff', 'completed', 'failed'] as const) expect(transition(s, 'request')).toBe('pending');
  });

  it('allows an exit only where a process may be alive', () => {
    const withExit = STATES.filter((s) => TABLE[s].exit !== 'illegal');
    expect(withExit).toEqual(['starting', 'running', 'stopping']);
  });
});
