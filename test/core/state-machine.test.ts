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
// The cells that move: the states the event may lead to (the first is the default) and the effect.
const FRESH = to('pending', 'fresh');
const LAUNCH = to('starting', 'launch');
const TAKE_OVER = to(['running', 'starting'], 'take-over'); // starting: it had not passed readiness under the earlier tend
const WATCH = to('running', 'watch');
const TERM = to('stopping', 'term');
const KILL = to('stopping', 'kill');
const EXIT = to(['backoff', 'completed', 'failed', 'stopped', 'scheduled'], 'exited');
const EXIT_STOPPING = to(['stopped', 'backoff', 'failed', 'scheduled'], 'exited');
const CANCEL = to(['stopped', 'scheduled']);
const FAIL = to(['failed', 'scheduled']);
const UNSCHEDULE = to('stopped');

/** The events in the table's column order (EVENTS must equal it). */
const COLUMNS = [
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
] as const;
type Row = [State, Rule, Rule, Rule, Rule, Rule, Rule, Rule, Rule, Rule, Rule, Rule];

// One state a row, one event a column (I: ignored, X: illegal).
// biome-ignore format: the table is a grid, its columns aligned
const ROWS: Row[] = [
  //            request  spawn   adopt      ready  unhealthy  exit           stop  kill  cancel      dep-failed  reject
  ['pending',   I,       LAUNCH, TAKE_OVER, I,     X,         X,             X,    X,    CANCEL,     FAIL,       FAIL],
  ['starting',  I,       X,      X,         WATCH, X,         EXIT,          TERM, X,    X,          I,          I],
  ['running',   I,       X,      X,         I,     TERM,      EXIT,          TERM, X,    X,          I,          I],
  ['stopping',  I,       X,      X,         I,     I,         EXIT_STOPPING, I,    KILL, I,          I,          I],
  ['stopped',   FRESH,   X,      TAKE_OVER, I,     X,         X,             X,    X,    I,          I,          I],
  ['backoff',   FRESH,   LAUNCH, X,         I,     X,         X,             X,    X,    CANCEL,     FAIL,       I],
  ['completed', FRESH,   X,      X,         I,     X,         X,             X,    X,    I,          I,          I],
  ['failed',    FRESH,   X,      X,         I,     X,         X,             X,    X,    I,          I,          I],
  ['scheduled', FRESH,   X,      TAKE_OVER, I,     X,         X,             X,    X,    UNSCHEDULE, I,          I],
];

const EXPECTED = Object.fromEntries(
  ROWS.map(([state, ...cells]) => [state, Object.fromEntries(COLUMNS.map((event, i) => [event, cells[i]]))]),
) as Record<State, Record<EventKind, Rule>>;

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
    expect(EVENTS).toEqual(COLUMNS);
    expect(ROWS.map(([state]) => state)).toEqual(STATES);
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

  it.each<[State, string]>([
    ['pending', 'a fresh autostart service'],
    ['stopped', 'autostart: false'],
  ])('reaches every state from %s (%s)', (start) => {
    const seen = new Set<State>([start]);
    const queue: State[] = [start];
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
