// Dependency conditions over instances, and the closures used by start (deps) and stop (dependents).
import { describe, expect, it } from 'vitest';
import { type DependCondition, STATES, type State } from '../../src/core/types.js';
import {
  blockingDependent,
  dependencyClosure,
  dependentClosure,
  dependentsOf,
  depStatus,
  instancesOf,
} from '../../src/reconcile/deps.js';
import { instanceSpec, record, replicaSet, storeOf } from '../helpers/fakes.js';

const web = (cond: DependCondition) => record(instanceSpec('web', { dependsOn: { db: cond } }));
const db = (state: State) => record(instanceSpec('db', { type: 'oneshot' }), { state, reason: `db is ${state}` });

describe('depStatus: one condition, every state of the dependency', () => {
  const MEETS: Record<DependCondition, State[]> = {
    started: ['starting', 'running', 'completed'],
    healthy: ['running', 'completed'],
    completed: ['completed'],
  };
  for (const cond of ['started', 'healthy', 'completed'] as const) {
    for (const s of STATES) {
      const want =
        s === 'failed'
          ? { kind: 'failed', on: 'db', reason: 'db is failed' }
          : MEETS[cond].includes(s)
            ? { kind: 'met' }
            : { kind: 'waiting', on: `db: ${cond}` };
      it(`${cond} with db ${s} -> ${want.kind}`, () => {
        const w = web(cond);
        expect(depStatus(storeOf(db(s), w), w)).toEqual(want);
      });
    }
  }

  it('no dependencies: met', () => {
    const a = record(instanceSpec('a'));
    expect(depStatus(storeOf(a), a)).toEqual({ kind: 'met' });
  });

  it('several waits are listed in declaration order', () => {
    const app = record(instanceSpec('app', { dependsOn: { db: 'healthy', mig: 'completed', cache: 'started' } }));
    const store = storeOf(
      record(instanceSpec('db'), { state: 'starting' }),
      record(instanceSpec('mig', { type: 'oneshot' }), { state: 'running' }),
      record(instanceSpec('cache'), { state: 'running' }),
      app,
    );
    expect(depStatus(store, app)).toEqual({ kind: 'waiting', on: 'db: healthy, mig: completed' });
  });

  it('a dependency with no instance (removed by a reload) is waited for', () => {
    const w = web('healthy');
    expect(depStatus(storeOf(w), w)).toEqual({ kind: 'waiting', on: 'db: healthy' });
    const s = web('started');
    expect(depStatus(storeOf(s), s)).toEqual({ kind: 'waiting', on: 'db: started' });
  });

  // NOTE (src/reconcile/deps.ts:38-41): with `completed`, an absent dependency counts as met
  // (every() of nothing), unlike started/healthy. Written down as it behaves today.
  it('completed on an absent dependency is met (unlike started/healthy)', () => {
    const w = web('completed');
    expect(depStatus(storeOf(w), w)).toEqual({ kind: 'met' });
  });
});

describe('depStatus: replica sets', () => {
  const app = record(instanceSpec('app', { dependsOn: { worker: 'healthy' } }));
  const set = (...states: State[]) =>
    replicaSet('worker', states.length).map((inst, k) => record(inst, { state: states[k]!, reason: `r${k + 1}` }));

  it('waits for every instance', () => {
    expect(depStatus(storeOf(...set('running', 'starting', 'running'), app), app)).toEqual({
      kind: 'waiting',
      on: 'worker: healthy',
    });
    expect(depStatus(storeOf(...set('running', 'running', 'running'), app), app)).toEqual({ kind: 'met' });
  });

  it('one failed instance fails the dependents, naming it', () => {
    expect(depStatus(storeOf(...set('running', 'failed', 'pending'), app), app)).toEqual({
      kind: 'failed',
      on: 'worker.2',
      reason: 'r2',
    });
  });
});

describe('graph helpers', () => {
  // db <- api <- web ; db <- worker(2) ; cache alone
  const store = storeOf(
    record(instanceSpec('db')),
    record(instanceSpec('cache')),
    record(instanceSpec('api', { dependsOn: { db: 'healthy' } })),
    record(instanceSpec('web', { dependsOn: { api: 'started', cache: 'started' } })),
    ...replicaSet('worker', 2, { dependsOn: { db: 'started' } }).map((i) => record(i)),
  );

  it('instancesOf: one, a replica set, none', () => {
    expect(instancesOf(store, 'db').map((i) => i.id)).toEqual(['db']);
    expect(instancesOf(store, 'worker').map((i) => i.id)).toEqual(['worker.1', 'worker.2']);
    expect(instancesOf(store, 'worker.1')).toEqual([]);
  });

  it('dependentsOf: direct only', () => {
    expect(dependentsOf(store, 'db').map((i) => i.id)).toEqual(['api', 'worker.1', 'worker.2']);
    expect(dependentsOf(store, 'web')).toEqual([]);
  });

  it('dependencyClosure: transitive, without the services themselves unless one leads to another', () => {
    expect([...dependencyClosure(store, ['web'])].sort()).toEqual(['api', 'cache', 'db']);
    expect([...dependencyClosure(store, ['worker'])]).toEqual(['db']);
    expect([...dependencyClosure(store, ['db'])]).toEqual([]);
    // one of them is in it when another depends on it
    expect([...dependencyClosure(store, ['web', 'api'])].sort()).toEqual(['api', 'cache', 'db']);
  });

  it('dependentClosure: transitive, without the services themselves unless one leads to another', () => {
    expect([...dependentClosure(store, ['db'])].sort()).toEqual(['api', 'web', 'worker']);
    expect([...dependentClosure(store, ['cache'])]).toEqual(['web']);
    expect([...dependentClosure(store, ['web'])]).toEqual([]);
    expect([...dependentClosure(store, ['db', 'api'])].sort()).toEqual(['api', 'web', 'worker']);
  });

  it('blockingDependent: a dependent wanted down and still alive', () => {
    const dbI = record(instanceSpec('db'), { state: 'running', want: 'down' });
    const dep = (state: State, want: 'up' | 'down') =>
      record(instanceSpec('api', { dependsOn: { db: 'healthy' } }), { state, want });
    for (const s of STATES) {
      const alive = s === 'starting' || s === 'running' || s === 'stopping';
      expect(blockingDependent(storeOf(dbI, dep(s, 'down')), dbI)?.id, s).toBe(alive ? 'api' : undefined);
      expect(blockingDependent(storeOf(dbI, dep(s, 'up')), dbI), s).toBeUndefined();
    }
  });
});

describe('service names that are Object.prototype keys', () => {
  // `name in dependsOn` once saw Object.prototype: every service was a dependent of `constructor`
  const NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
  /** dependsOn with own keys (an object literal would make `__proto__` the prototype) */
  const on = (...names: string[]) => Object.fromEntries(names.map((n) => [n, 'started'])) as Record<string, DependCondition>;

  it('dependentsOf, blockingDependent and the closures see only declared dependencies', () => {
    const store = storeOf(
      ...NAMES.map((n) => record(instanceSpec(n), { state: 'running', want: 'down' })),
      record(instanceSpec('web', { dependsOn: on('constructor') }), { state: 'running' }),
      record(instanceSpec('api', { dependsOn: on('__proto__', 'toString') }), { state: 'running' }),
      record(instanceSpec('plain'), { state: 'running', want: 'down' }),
    );
    const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
    expect(ids(dependentsOf(store, 'constructor'))).toEqual(['web']);
    expect(ids(dependentsOf(store, '__proto__'))).toEqual(['api']);
    expect(ids(dependentsOf(store, 'toString'))).toEqual(['api']);
    expect(ids(dependentsOf(store, 'hasOwnProperty'))).toEqual([]);
    expect(ids(dependentsOf(store, 'valueOf'))).toEqual([]);
    for (const n of [...NAMES, 'plain']) expect(blockingDependent(store, store.get(n)!), n).toBeUndefined();
    expect([...dependentClosure(store, ['constructor'])]).toEqual(['web']);
    expect([...dependentClosure(store, ['hasOwnProperty'])]).toEqual([]);
    expect([...dependencyClosure(store, ['api'])].sort()).toEqual(['__proto__', 'toString']);
  });
});
