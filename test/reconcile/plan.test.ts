// plan(store, now): seed a store, run one pass, compare the exact action list and wakeAt.
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../src/core/instance.js';
import type { DependCondition, ServiceSpec, State } from '../../src/core/types.js';
import { plan } from '../../src/reconcile/plan.js';
import { instanceSpec, record, replicaSet, storeOf } from '../helpers/fakes.js';

const NOW = 50_000;
const svc = (name: string, fields: Partial<Instance> = {}, over: Partial<ServiceSpec> = {}) =>
  record(instanceSpec(name, over), fields);
const dependent = (cond: DependCondition, fields: Partial<Instance> = {}) => svc('web', fields, { dependsOn: { db: cond } });
const spawn = (id: string) => ({ kind: 'spawn', id });

describe('plan: converged', () => {
  it('does nothing when every instance is where it is wanted', () => {
    const store = storeOf(
      svc('a', { state: 'running' }),
      svc('b', { state: 'starting' }),
      svc('c', { state: 'completed' }, { type: 'oneshot' }),
      svc('d', { state: 'failed' }),
      svc('e', { state: 'stopped', want: 'down' }),
      svc('f', { state: 'completed', want: 'down' }),
      svc('g', { state: 'failed', want: 'down' }),
      svc('h', { state: 'stopped', want: 'up' }),
    );
    expect(plan(store, NOW)).toEqual({ actions: [], wakeAt: null });
  });

  it('an empty store', () => {
    expect(plan(storeOf(), NOW)).toEqual({ actions: [], wakeAt: null });
  });

  it('is pure: the store is unchanged', () => {
    const store = storeOf(
      svc('a'),
      svc('b', { state: 'running', want: 'down' }),
      svc('c', { state: 'stopping', deadline: NOW - 1 }),
      svc('d', { state: 'backoff', deadline: NOW + 5 }),
    );
    const before = structuredClone([...store.entries()]);
    plan(store, NOW);
    expect([...store.entries()]).toEqual(before);
  });
});

describe('plan: starting', () => {
  it('pending with no dependencies -> spawn', () => {
    expect(plan(storeOf(svc('a')), NOW)).toEqual({ actions: [spawn('a')], wakeAt: null });
  });

  it('independent services are all spawned in one plan, in store order', () => {
    const store = storeOf(svc('c'), svc('a'), svc('b'), ...replicaSet('w', 3).map((i) => record(i)));
    expect(plan(store, NOW).actions).toEqual(['c', 'a', 'b', 'w.1', 'w.2', 'w.3'].map(spawn));
  });

  it('only the dependency is spawned while both are pending', () => {
    expect(plan(storeOf(svc('db'), dependent('started')), NOW).actions).toEqual([spawn('db')]);
    expect(plan(storeOf(dependent('started'), svc('db')), NOW).actions).toEqual([spawn('db')]);
  });

  const conditions: Array<[DependCondition, State, boolean]> = [
    ['started', 'pending', false],
    ['started', 'starting', true],
    ['started', 'running', true],
    ['started', 'backoff', false],
    ['started', 'stopping', false],
    ['started', 'stopped', false],
    ['healthy', 'starting', false],
    ['healthy', 'running', true],
    ['healthy', 'backoff', false],
    ['healthy', 'stopped', false],
    ['completed', 'starting', false],
    ['completed', 'running', false],
    ['completed', 'backoff', false],
    ['completed', 'stopped', false],
    ['completed', 'completed', true],
  ];
  it.each(conditions)('depends_on %s, db %s -> spawn web: %s', (cond, dbState, spawns) => {
    const store = storeOf(svc('db', { state: dbState, deadline: NOW + 1000 }, { type: 'oneshot' }), dependent(cond));
    expect(plan(store, NOW).actions.filter((a) => a.id === 'web')).toEqual(spawns ? [spawn('web')] : []);
  });

  it('a dependency on a replica set waits for every instance', () => {
    const workers = (...states: State[]) => replicaSet('worker', states.length).map((i, k) => record(i, { state: states[k]! }));
    const app = () => svc('app', {}, { dependsOn: { worker: 'healthy' } });
    expect(plan(storeOf(...workers('running', 'starting', 'running'), app()), NOW).actions).toEqual([]);
    expect(plan(storeOf(...workers('running', 'running', 'running'), app()), NOW).actions).toEqual([spawn('app')]);
    expect(plan(storeOf(...workers('running', 'running', 'pending'), app()), NOW).actions).toEqual([spawn('worker.3')]);
  });

  it('every condition must hold', () => {
    const app = () => svc('app', {}, { dependsOn: { db: 'healthy', mig: 'completed' } });
    const mig = (state: State) => svc('mig', { state }, { type: 'oneshot' });
    expect(plan(storeOf(svc('db', { state: 'running' }), mig('running'), app()), NOW).actions).toEqual([]);
    expect(plan(storeOf(svc('db', { state: 'running' }), mig('completed'), app()), NOW).actions).toEqual([spawn('app')]);
  });

  it('a wanted-down pending dependency is cancelled, and its dependent keeps waiting', () => {
    const store = storeOf(svc('db', { state: 'pending', want: 'down' }), dependent('started'));
    expect(plan(store, NOW).actions).toEqual([{ kind: 'cancel', id: 'db', reason: 'stopped before it started' }]);
  });
});

describe('plan: failed dependency', () => {
  it('pending dependent -> dep-failed with the dependency and its reason', () => {
    const store = storeOf(svc('db', { state: 'failed', reason: 'exited with code 1' }), dependent('healthy'));
    expect(plan(store, NOW)).toEqual({
      actions: [{ kind: 'dep-failed', id: 'web', reason: 'dependency db failed: exited with code 1' }],
      wakeAt: null,
    });
  });

  it('backoff dependent, even before its due time -> dep-failed, no wake-up', () => {
    const store = storeOf(
      svc('db', { state: 'failed', reason: 'could not start: spawn db ENOENT' }),
      dependent('started', { state: 'backoff', deadline: NOW + 1000 }),
    );
    expect(plan(store, NOW)).toEqual({
      actions: [{ kind: 'dep-failed', id: 'web', reason: 'dependency db failed: could not start: spawn db ENOENT' }],
      wakeAt: null,
    });
  });

  it('one failed replica names that instance', () => {
    const workers = replicaSet('worker', 2).map((i, k) =>
      record(i, k === 1 ? { state: 'failed', reason: 'killed by SIGKILL' } : { state: 'running' }),
    );
    const store = storeOf(...workers, svc('app', {}, { dependsOn: { worker: 'started' } }));
    expect(plan(store, NOW).actions).toEqual([
      { kind: 'dep-failed', id: 'app', reason: 'dependency worker.2 failed: killed by SIGKILL' },
    ]);
  });

  it('a running dependent is left alone', () => {
    const store = storeOf(svc('db', { state: 'failed' }), dependent('healthy', { state: 'running' }));
    expect(plan(store, NOW).actions).toEqual([]);
  });
});

describe('plan: backoff', () => {
  it('not yet due -> no action, wake at the due time', () => {
    expect(plan(storeOf(svc('a', { state: 'backoff', deadline: NOW + 400 })), NOW)).toEqual({
      actions: [],
      wakeAt: NOW + 400,
    });
  });

  it('due (exactly, or past) -> spawn', () => {
    expect(plan(storeOf(svc('a', { state: 'backoff', deadline: NOW })), NOW).actions).toEqual([spawn('a')]);
    expect(plan(storeOf(svc('a', { state: 'backoff', deadline: NOW - 9 })), NOW).actions).toEqual([spawn('a')]);
    expect(plan(storeOf(svc('a', { state: 'backoff', deadline: null })), NOW).actions).toEqual([spawn('a')]);
  });

  it('due but its dependency is not ready -> waits (no wake-up: the dependency will kick)', () => {
    const store = storeOf(svc('db', { state: 'starting' }), dependent('healthy', { state: 'backoff', deadline: NOW - 1 }));
    expect(plan(store, NOW)).toEqual({ actions: [], wakeAt: null });
  });

  it('wakeAt is the earliest deadline among backoffs and stops', () => {
    const store = storeOf(
      svc('a', { state: 'backoff', deadline: NOW + 900 }),
      svc('b', { state: 'stopping', deadline: NOW + 300 }),
      svc('c', { state: 'backoff', deadline: NOW + 500 }),
      svc('d', { state: 'running' }),
    );
    expect(plan(store, NOW)).toEqual({ actions: [], wakeAt: NOW + 300 });
  });
});

describe('plan: stopping', () => {
  it('want down: running or starting -> stop; pending or backoff -> cancel; at rest -> nothing', () => {
    const down = (name: string, state: State) =>
      svc(name, { state, want: 'down', deadline: state === 'backoff' ? NOW + 5 : null });
    const store = storeOf(
      down('a', 'running'),
      down('b', 'starting'),
      down('c', 'pending'),
      down('d', 'backoff'),
      down('e', 'stopped'),
      down('f', 'completed'),
      down('g', 'failed'),
    );
    expect(plan(store, NOW)).toEqual({
      actions: [
        { kind: 'stop', id: 'a', reason: 'stop requested' },
        { kind: 'stop', id: 'b', reason: 'stop requested' },
        { kind: 'cancel', id: 'c', reason: 'stopped before it started' },
        { kind: 'cancel', id: 'd', reason: 'stopped before it started' },
      ],
      wakeAt: null,
    });
  });

  it('a dependency waits while a wanted-down dependent is alive', () => {
    const db = () => svc('db', { state: 'running', want: 'down' });
    const web = (state: State) => dependent('healthy', { state, want: 'down', deadline: state === 'stopping' ? NOW + 10 : null });
    expect(plan(storeOf(db(), web('running')), NOW).actions).toEqual([{ kind: 'stop', id: 'web', reason: 'stop requested' }]);
    expect(plan(storeOf(db(), web('starting')), NOW).actions).toEqual([{ kind: 'stop', id: 'web', reason: 'stop requested' }]);
    expect(plan(storeOf(db(), web('stopping')), NOW)).toEqual({ actions: [], wakeAt: NOW + 10 });
    for (const s of ['stopped', 'failed', 'completed', 'pending', 'backoff'] as const) {
      expect(
        plan(storeOf(db(), web(s)), NOW).actions.filter((a) => a.id === 'db'),
        s,
      ).toEqual([{ kind: 'stop', id: 'db', reason: 'stop requested' }]);
    }
  });

  it('a chain stops one link at a time, from the top', () => {
    const store = storeOf(
      svc('db', { state: 'running', want: 'down' }),
      svc('api', { state: 'running', want: 'down' }, { dependsOn: { db: 'healthy' } }),
      svc('web', { state: 'running', want: 'down' }, { dependsOn: { api: 'started' } }),
    );
    expect(plan(store, NOW).actions).toEqual([{ kind: 'stop', id: 'web', reason: 'stop requested' }]);
  });

  it('a replica of the dependent still alive holds the dependency', () => {
    const webs = replicaSet('web', 2, { dependsOn: { db: 'started' } }).map((i, k) =>
      record(i, { want: 'down', state: k === 0 ? 'stopped' : 'stopping', deadline: NOW + 50 }),
    );
    expect(plan(storeOf(svc('db', { state: 'running', want: 'down' }), ...webs), NOW)).toEqual({ actions: [], wakeAt: NOW + 50 });
  });

  it('a dependent still wanted up does not hold the dependency', () => {
    const store = storeOf(svc('db', { state: 'running', want: 'down' }), dependent('healthy', { state: 'running' }));
    expect(plan(store, NOW).actions).toEqual([{ kind: 'stop', id: 'db', reason: 'stop requested' }]);
  });

  it('stopping before its deadline -> wake at the deadline', () => {
    expect(plan(storeOf(svc('a', { state: 'stopping', want: 'down', deadline: NOW + 1 })), NOW)).toEqual({
      actions: [],
      wakeAt: NOW + 1,
    });
  });

  it('stopping past its deadline -> kill, exactly once', () => {
    for (const at of [NOW, NOW - 1000]) {
      expect(plan(storeOf(svc('a', { state: 'stopping', want: 'down', deadline: at })), NOW)).toEqual({
        actions: [{ kind: 'kill', id: 'a' }],
        wakeAt: null,
      });
    }
    // once SIGKILL went, the stopping state has no deadline left
    expect(plan(storeOf(svc('a', { state: 'stopping', want: 'down', deadline: null })), NOW)).toEqual({
      actions: [],
      wakeAt: null,
    });
  });

  it('stopping for a restart escalates the same way', () => {
    const i = svc('a', { state: 'stopping', want: 'restart', deadline: NOW - 1 });
    expect(plan(storeOf(i), NOW).actions).toEqual([{ kind: 'kill', id: 'a' }]);
  });
});

describe('plan: restart', () => {
  it('want restart while running or starting -> stop "restart"', () => {
    const store = storeOf(svc('a', { state: 'running', want: 'restart' }), svc('b', { state: 'starting', want: 'restart' }));
    expect(plan(store, NOW).actions).toEqual([
      { kind: 'stop', id: 'a', reason: 'restart' },
      { kind: 'stop', id: 'b', reason: 'restart' },
    ]);
  });

  it('want restart at rest (the old process is gone) -> request "restart requested"', () => {
    const store = storeOf(
      svc('a', { state: 'stopped', want: 'restart' }),
      svc('b', { state: 'failed', want: 'restart' }),
      svc('c', { state: 'completed', want: 'restart' }),
      svc('d', { state: 'stopping', want: 'restart', deadline: NOW + 5 }),
    );
    expect(plan(store, NOW)).toEqual({
      actions: ['a', 'b', 'c'].map((id) => ({ kind: 'request', id, reason: 'restart requested' })),
      wakeAt: NOW + 5,
    });
  });

  it('want restart while pending or in backoff is a start like want up', () => {
    const store = storeOf(svc('a', { want: 'restart' }), svc('b', { state: 'backoff', want: 'restart', deadline: NOW }));
    expect(plan(store, NOW).actions).toEqual([spawn('a'), spawn('b')]);
  });

  it('restarting a dependency does not wait for its running dependents', () => {
    const store = storeOf(svc('db', { state: 'running', want: 'restart' }), dependent('healthy', { state: 'running' }));
    expect(plan(store, NOW).actions).toEqual([{ kind: 'stop', id: 'db', reason: 'restart' }]);
  });
});

describe('plan: a mixed store', () => {
  it('lists every action in store order with the earliest wake-up', () => {
    const store = storeOf(
      svc('db', { state: 'running' }),
      dependent('healthy'),
      svc('old', { state: 'running', want: 'down' }),
      svc('slow', { state: 'stopping', want: 'down', deadline: NOW - 5 }),
      svc('flaky', { state: 'backoff', deadline: NOW + 250 }),
      svc('later', { state: 'stopping', want: 'down', deadline: NOW + 800 }),
      svc('broken', { state: 'failed', reason: 'exited with code 2' }),
      svc('after', {}, { dependsOn: { broken: 'started' } }),
    );
    expect(plan(store, NOW)).toEqual({
      actions: [
        { kind: 'spawn', id: 'web' },
        { kind: 'stop', id: 'old', reason: 'stop requested' },
        { kind: 'kill', id: 'slow' },
        { kind: 'dep-failed', id: 'after', reason: 'dependency broken failed: exited with code 2' },
      ],
      wakeAt: NOW + 250,
    });
  });
});

describe('plan: start_timeout', () => {
  const tcp = {
    check: { kind: 'tcp' as const, host: '127.0.0.1', port: 5432 },
    interval: 1000,
    timeout: 1000,
    initialDelay: 0,
    failureThreshold: 3,
  };
  const STARTED = NOW - 3000;
  const late = (fields: Partial<Instance> = {}, over: Partial<ServiceSpec> = {}) =>
    svc('db', { state: 'starting', startedAt: STARTED, spawns: 1, ...fields }, { readiness: tcp, startTimeout: 5000, ...over });
  const notReady = (why: string) => ({
    kind: 'stop',
    id: 'db',
    reason: `not ready within 5s: ${why}`,
    notReady: { head: 'not ready within 5s', why },
  });

  it('starting within the bound -> no action, wake when it ends (start_timeout after the spawn)', () => {
    expect(plan(storeOf(late()), NOW)).toEqual({ actions: [], wakeAt: STARTED + 5000 });
    expect(plan(storeOf(late()), STARTED + 4999)).toEqual({ actions: [], wakeAt: STARTED + 5000 });
  });

  it("at the bound (exactly, or past) -> stop, a failed start with the probe's last failure", () => {
    const i = late({ lastProbeFailure: 'connect 127.0.0.1:5432: ECONNREFUSED' });
    for (const now of [STARTED + 5000, STARTED + 60_000]) {
      expect(plan(storeOf(i), now)).toEqual({ actions: [notReady('connect 127.0.0.1:5432: ECONNREFUSED')], wakeAt: null });
    }
  });

  it('what kept it from being ready, by readiness form, when no probe failed', () => {
    const at = STARTED + 5000;
    const why = (fields: Partial<Instance>, over: Partial<ServiceSpec>) =>
      (plan(storeOf(late(fields, over)), at).actions[0] as { notReady: { why: string } }).notReady.why;
    expect(why({}, {})).toBe('the readiness probe has not finished a run yet');
    const notify = { ...tcp, check: { kind: 'notify' as const } };
    expect(why({}, { readiness: notify })).toBe('no READY=1 came');
    expect(why({ statusText: 'loading the cache' }, { readiness: notify })).toBe(
      'no READY=1 came; its last STATUS=: "loading the cache"',
    );
    expect(why({}, { readiness: { ...tcp, check: { kind: 'fd', fd: 3 } } })).toBe('no line came on fd 3');
    // log: the pattern as the config wrote it
    expect(why({}, { readiness: { ...tcp, check: { kind: 'log', pattern: '^ready$' } } })).toBe(
      'no output line matched /^ready$/',
    );
  });

  it('an exec, tcp or http probe that has not ended a run by the bound says why: slow, or initial_delay', () => {
    const at = STARTED + 5000;
    const why = (over: Partial<typeof tcp>) =>
      (plan(storeOf(late({}, { readiness: { ...tcp, ...over } })), at).actions[0] as { notReady: { why: string } }).notReady.why;
    const exec = { kind: 'exec' as const, command: 'sleep 9' };
    expect(why({ check: exec, timeout: 10_000 })).toBe(
      'the readiness probe has not finished a run yet (exec takes longer than 5s; its timeout is 10s)',
    );
    expect(why({ timeout: 4000, initialDelay: 2500 })).toBe(
      'the readiness probe has not finished a run yet (tcp takes longer than 2.5s, the time left after initial_delay 2.5s; its timeout is 4s)',
    );
    expect(why({ initialDelay: 10_000 })).toBe('initial_delay 10s is past start_timeout 5s: the readiness probe never ran');
    expect(why({ initialDelay: 5000 })).toBe('initial_delay 5s is all of start_timeout 5s: the readiness probe never ran');
  });

  it('without start_timeout a starting instance waits for good (no wake-up): the default', () => {
    expect(plan(storeOf(late({}, { startTimeout: undefined })), NOW + 3_600_000)).toEqual({ actions: [], wakeAt: null });
  });

  it('running (ready in time), or not yet spawned: no bound', () => {
    expect(plan(storeOf(late({ state: 'running' })), NOW + 60_000)).toEqual({ actions: [], wakeAt: null });
    expect(plan(storeOf(late({ startedAt: null })), NOW + 60_000)).toEqual({ actions: [], wakeAt: null });
  });

  it('a stop or restart asked for goes first, as that stop', () => {
    expect(plan(storeOf(late({ want: 'down' })), NOW + 60_000).actions).toEqual([
      { kind: 'stop', id: 'db', reason: 'stop requested' },
    ]);
    expect(plan(storeOf(late({ want: 'restart' })), NOW + 60_000).actions).toEqual([
      { kind: 'stop', id: 'db', reason: 'restart' },
    ]);
  });

  it('EXTEND_TIMEOUT_USEC moves the bound later, never earlier', () => {
    expect(plan(storeOf(late({ startExtendedTo: STARTED + 9000 })), STARTED + 6000)).toEqual({
      actions: [],
      wakeAt: STARTED + 9000,
    });
    expect(plan(storeOf(late({ startExtendedTo: STARTED + 9000 })), STARTED + 9000).actions).toEqual([
      notReady('the readiness probe has not finished a run yet'),
    ]);
    expect(plan(storeOf(late({ startExtendedTo: STARTED + 1000 })), NOW).wakeAt).toBe(STARTED + 5000);
  });

  it('each replica counts from its own spawn; the earliest bound is the wake-up', () => {
    const reps = replicaSet('web', 2, { readiness: tcp, startTimeout: 5000 }).map((i, k) =>
      record(i, { state: 'starting', startedAt: NOW - 6000 + k * 2000, spawns: 1 }),
    );
    expect(plan(storeOf(...reps), NOW)).toEqual({
      actions: [
        {
          kind: 'stop',
          id: 'web.1',
          reason: 'not ready within 5s: the readiness probe has not finished a run yet',
          notReady: { head: 'not ready within 5s', why: 'the readiness probe has not finished a run yet' },
        },
      ],
      wakeAt: NOW + 1000,
    });
  });

  it('a healthy dependent waits through it (starting is not healthy), and is not failed by it', () => {
    expect(plan(storeOf(late(), dependent('healthy')), NOW)).toEqual({ actions: [], wakeAt: STARTED + 5000 });
  });
});
