// What the Supervisor does with what a reload found: a new spec (replaceSpec), removed instances
// (retire), and the question the plan asks first (processChange).
import { describe, expect, it } from 'vitest';
import type { InstanceSpec, ProbeSpec, ServiceSpec } from '../../src/core/types.js';
import { flush, harness, instanceSpec, term } from '../helpers/fakes.js';

const ok = { kind: 'exited' as const, code: 0 };
const probe: ProbeSpec = {
  check: { kind: 'exec', command: 'true' },
  interval: 1000,
  timeout: 1000,
  initialDelay: 0,
  failureThreshold: 3,
};
const changed = (inst: InstanceSpec, over: Partial<ServiceSpec>): InstanceSpec => ({ ...inst, spec: { ...inst.spec, ...over } });

describe('Supervisor.replaceSpec', () => {
  it('a process change restarts a running instance; its dependents stay', async () => {
    const h = harness();
    const db = instanceSpec('db');
    h.sup.add([db, instanceSpec('web', { dependsOn: { db: 'started' } })]);
    await flush();
    expect(h.sup.processChange(h.get('db'))).toBe('restart');
    h.sup.replaceSpec(changed(db, { command: ['sleep', '2'] }), true);
    await flush();
    h.spawner.exit('db', term);
    await flush();
    expect(h.spawner.order()).toEqual(['db', 'web', 'db']);
    expect(h.spawner.last('db').inst.spec.command).toEqual(['sleep', '2']);
    expect(h.spawner.signals.map((s) => s.id)).toEqual(['db']);
  });

  // Regression: a reload that changed a completed oneshot (`~ migrate (env.X)`) did not run it again.
  it('a process change runs a completed oneshot again; a running dependent stays as it is', async () => {
    const h = harness();
    const mig = instanceSpec('migrate', { type: 'oneshot', restart: 'never' });
    h.sup.add([mig, instanceSpec('web', { dependsOn: { migrate: 'completed' } })]);
    await flush();
    h.spawner.exit('migrate', ok);
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'completed', web: 'running' });
    expect(h.sup.processChange(h.get('migrate'))).toBe('run again');
    h.sup.replaceSpec(changed(mig, { env: { SCHEMA_VERSION: '2' } }), true);
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'running', web: 'running' });
    expect(h.spawner.last('migrate').inst.spec.env).toEqual({ SCHEMA_VERSION: '2' });
    expect(h.lines()).toContain('migrate state: completed -> pending: changed by reload: runs again');
    h.spawner.exit('migrate', ok);
    await flush();
    expect(h.states('migrate', 'web')).toEqual({ migrate: 'completed', web: 'running' });
    expect([h.spawner.order(), h.spawner.signals]).toEqual([['migrate', 'web', 'migrate'], []]);
  });

  it('a process change of an instance at rest, or wanted down, waits for its next start', async () => {
    const h = harness();
    const f = instanceSpec('f', { restart: 'never' });
    const off = instanceSpec('off', { autostart: false });
    const c = instanceSpec('c', { type: 'oneshot' });
    h.sup.add([f, off, c]);
    await flush();
    h.spawner.exit('f', { kind: 'exited', code: 1 });
    h.spawner.exit('c', ok);
    await flush();
    h.sup.stop([h.get('c')]); // completed, then wanted down: stays so
    for (const [inst, id] of [
      [f, 'f'],
      [off, 'off'],
      [c, 'c'],
    ] as const) {
      expect(h.sup.processChange(h.get(id)), id).toBe('next start');
      h.sup.replaceSpec(changed(inst, { command: ['true'] }), true);
    }
    await flush();
    expect(h.states('f', 'off', 'c')).toEqual({ f: 'failed', off: 'stopped', c: 'completed' });
    expect(h.spawner.count('f') + h.spawner.count('c')).toBe(2);
    h.sup.start([h.get('off')]);
    await flush();
    expect(h.spawner.last('off').inst.spec.command).toEqual(['true']);
  });

  it('a schedule given to a resting oneshot with autostart off: scheduled and paused, as at start-up', async () => {
    const h = harness();
    const job = instanceSpec('job', { type: 'oneshot', autostart: false });
    h.sup.add([job]);
    await flush();
    expect(h.get('job').state).toBe('stopped');
    h.sup.replaceSpec(changed(job, { schedule: { kind: 'every', ms: 3000 } }), false);
    await flush();
    const i = h.get('job');
    expect([i.state, i.want, i.paused, h.spawner.count('job')]).toEqual(['scheduled', 'up', true, 0]);
  });

  it('in place: a new liveness probe runs against the live process; no restart', async () => {
    const h = harness();
    const a = instanceSpec('a');
    h.sup.add([a]);
    await flush();
    h.sup.replaceSpec(changed(a, { liveness: probe, restart: 'always' }), false);
    await flush();
    expect(h.probes.last('a', 'liveness').stopped).toBe(false);
    expect([h.get('a').inst.spec.restart, h.spawner.count('a'), h.spawner.signals]).toEqual(['always', 1, []]);
  });
});

describe('Supervisor.retire', () => {
  it('stops what left the config and forgets it once stopped; one at rest at once', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a'), instanceSpec('b', { autostart: false }), instanceSpec('c')]);
    await flush();
    const gone: string[] = [];
    h.sup.retire(['a', 'b'], (id) => gone.push(id));
    expect([gone, [...h.sup.store.keys()]]).toEqual([['b'], ['a', 'c']]);
    await flush();
    expect(h.get('a').state).toBe('stopping');
    h.spawner.exit('a', term);
    await flush();
    expect([gone, [...h.sup.store.keys()]]).toEqual([['b', 'a'], ['c']]);
  });

  it('declared again while still stopping: it comes back with the new spec', async () => {
    const h = harness();
    const a = instanceSpec('a');
    h.sup.add([a]);
    await flush();
    const gone: string[] = [];
    h.sup.retire(['a'], (id) => gone.push(id));
    await flush();
    h.sup.replaceSpec(changed(a, { command: ['sleep', '3'] }), true);
    h.spawner.exit('a', term);
    await flush();
    expect([gone, h.get('a').state, h.spawner.count('a')]).toEqual([[], 'running', 2]);
    expect(h.spawner.last('a').inst.spec.command).toEqual(['sleep', '3']);
  });

  it('what the same reload adds starts once what it removed has stopped (a rename frees the port first)', async () => {
    const h = harness();
    h.sup.add([instanceSpec('srv'), instanceSpec('idle', { autostart: false })]);
    await flush();
    h.sup.retire(['srv', 'idle'], () => {});
    const stopping = ['srv', 'idle'].filter((id) => h.sup.store.has(id));
    expect(stopping).toEqual(['srv']);
    h.sup.add([instanceSpec('srv-new')], undefined, stopping);
    await flush();
    expect([h.get('srv').state, h.get('srv-new').state, h.spawner.count('srv-new')]).toEqual(['stopping', 'pending', 0]);
    h.spawner.exit('srv', term);
    await flush();
    expect([h.sup.store.has('srv'), h.get('srv-new').state, h.spawner.count('srv-new')]).toEqual([false, 'running', 1]);
    expect(h.get('srv-new').afterRemoved).toEqual([]);
  });

  it('a removed instance declared again while it stops: what its removal held back starts at once', async () => {
    const h = harness();
    const srv = instanceSpec('srv');
    h.sup.add([srv]);
    await flush();
    h.sup.retire(['srv'], () => {});
    h.sup.add([instanceSpec('other')], undefined, ['srv']);
    await flush();
    expect(h.get('other').state).toBe('pending');
    h.sup.replaceSpec(srv, false); // back in the config
    await flush();
    expect([h.get('other').state, h.get('other').afterRemoved]).toEqual(['running', []]);
  });
});
