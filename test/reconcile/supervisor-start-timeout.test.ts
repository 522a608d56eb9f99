// start_timeout through the loop with fakes and the manual clock: a run not ready in time is
// stopped (stop signal, SIGKILL at stop_timeout) and counts as a failed start; the restart policy,
// backoff and start_limit go on from its exit. Dependents, reload, notify and fd, replicas.
import { describe, expect, it } from 'vitest';
import type { ProbeSpec, ServiceSpec } from '../../src/core/types.js';
import { settling } from '../../src/daemon/commands.js';
import { explain } from '../../src/daemon/status.js';
import { flush, instanceSpec, replicaSet, supervising, term } from '../helpers/fakes.js';

const probe = (over: Partial<ProbeSpec> = {}): ProbeSpec => ({
  check: { kind: 'tcp', host: '127.0.0.1', port: 5432 },
  interval: 1000,
  timeout: 1000,
  initialDelay: 0,
  failureThreshold: 3,
  ...over,
});
const db = (over: Partial<ServiceSpec> = {}) => instanceSpec('db', { readiness: probe(), startTimeout: 5000, ...over });
const REFUSED = 'connect 127.0.0.1:5432: ECONNREFUSED';

describe('start_timeout', () => {
  it('not ready in time: journaled, stopped with the stop signal, then backoff and a new start', async () => {
    const h = await supervising([db()]);
    h.probes.report('db', 'readiness', false, REFUSED);
    await h.clock.advance(4999);
    expect([h.get('db').state, h.spawner.signalsOf('db')]).toEqual(['starting', []]);
    expect(explain(h.sup.store, h.get('db'), h.clock.now())).toContain(
      'Not ready within 5s of its spawn (start_timeout), it is stopped as a failed start: in 1ms.',
    );
    await h.clock.advance(1);
    expect([h.get('db').state, h.spawner.signalsOf('db')]).toEqual(['stopping', ['SIGTERM']]);
    expect(h.lines()).toContain(`db state: starting -> stopping: not ready within 5s: ${REFUSED}`);
    expect(h.lines()).toContain(`db stop: SIGTERM sent (not ready within 5s: ${REFUSED})`);
    h.probes.report('db', 'readiness', true); // too late: its probe was stopped with the stop
    await h.exited('db', term);
    expect([h.get('db').state, h.get('db').reason]).toEqual(['backoff', `not ready within 5s: ${REFUSED}`]);
    expect(h.get('db').lastFailure?.why).toBe(`not ready within 5s: ${REFUSED}`);
    await h.clock.advance(100);
    expect([h.get('db').state, h.spawner.count('db'), h.get('db').notReady]).toEqual(['starting', 2, null]);
    // the new run has its own bound, from its own spawn; ready in time it stays up
    h.probes.report('db', 'readiness', true);
    await h.clock.advance(60_000);
    expect([h.get('db').state, h.spawner.count('db'), h.spawner.signalsOf('db')]).toEqual(['running', 2, ['SIGTERM']]);
  });

  it('a clean exit on the stop signal is still a failure (on-failure restarts it)', async () => {
    const h = await supervising([db({ restart: 'on-failure' })]);
    await h.clock.advance(5000);
    await h.exited('db', { kind: 'exited', code: 0 });
    expect([h.get('db').state, h.get('db').reason]).toEqual([
      'backoff',
      'not ready within 5s: the readiness probe has not finished a run yet',
    ]);
  });

  it('a process that ignores the stop signal gets SIGKILL at stop_timeout, as any stop', async () => {
    const h = await supervising([db({ stopTimeout: 2000 })]);
    await h.clock.advance(5000);
    await h.clock.advance(1999);
    expect(h.spawner.signalsOf('db')).toEqual(['SIGTERM']);
    await h.clock.advance(1);
    expect(h.spawner.signalsOf('db')).toEqual(['SIGTERM', 'SIGKILL']);
    await h.exited('db', { kind: 'signaled', signal: 'SIGKILL' });
    expect(h.get('db').state).toBe('backoff');
  });

  it('never ready: failed at the start limit, naming the timeout; a healthy dependent waits, then fails', async () => {
    const h = await supervising([
      db({ startLimit: { burst: 3, interval: 60_000 } }),
      instanceSpec('web', { dependsOn: { db: 'healthy' } }),
    ]);
    for (let run = 1; run <= 3; run++) {
      expect([h.get('db').state, h.spawner.count('db')]).toEqual(['starting', run]);
      h.probes.report('db', 'readiness', false, REFUSED);
      await h.clock.advance(5000);
      await h.exited('db', term);
      expect(h.get('web').state).toBe(run < 3 ? 'pending' : 'failed');
      if (run < 3) await h.clock.advance(h.get('db').deadline! - h.clock.now());
    }
    const why = `not ready within 5s three times within 1m; start limit reached (the last: ${REFUSED})`;
    expect([h.get('db').state, h.get('db').reason]).toEqual(['failed', why]);
    expect(h.get('web').reason).toBe(`dependency db failed: ${why}`);
    await h.clock.advance(600_000);
    expect([h.spawner.count('db'), h.spawner.count('web')]).toEqual([3, 0]);
    // tend start tries again afresh: a new window, a new streak
    await h.command('start', 'db');
    expect([h.get('db').state, h.get('db').starts.length, h.get('db').failuresInRow]).toEqual(['starting', 1, 0]);
  });

  it('restart: never -> failed at the first timeout', async () => {
    const h = await supervising([db({ restart: 'never' })]);
    h.probes.report('db', 'readiness', false, REFUSED);
    await h.clock.advance(5000);
    await h.exited('db', term);
    expect([h.get('db').state, h.get('db').reason]).toEqual(['failed', `not ready within 5s: ${REFUSED}`]);
    await h.clock.advance(60_000);
    expect(h.spawner.count('db')).toBe(1);
  });

  it('without start_timeout, or without readiness, nothing is stopped', async () => {
    const h = await supervising([db({ startTimeout: undefined }), instanceSpec('plain', { startTimeout: 100 })]);
    expect(h.states('db', 'plain')).toEqual({ db: 'starting', plain: 'running' });
    await h.clock.advance(3_600_000);
    expect(h.states('db', 'plain')).toEqual({ db: 'starting', plain: 'running' });
    expect(h.spawner.signals).toEqual([]);
  });

  it('tend stop while stopping for the timeout: stopped, not restarted', async () => {
    const h = await supervising([db()]);
    await h.clock.advance(5000);
    await h.command('stop', 'db');
    await h.exited('db', term);
    expect(h.get('db').state).toBe('stopped');
    await h.clock.advance(60_000);
    expect(h.spawner.count('db')).toBe(1);
  });

  it('replicas: each counts from its own spawn, only the late one is stopped', async () => {
    const h = await supervising(replicaSet('web', 2, { readiness: probe(), startTimeout: 5000 }));
    h.probes.report('web.1', 'readiness', true);
    await h.clock.advance(5000);
    expect(h.states('web.1', 'web.2')).toEqual({ 'web.1': 'running', 'web.2': 'stopping' });
    expect(h.spawner.signals.map((s) => s.id)).toEqual(['web.2']);
  });

  it('readiness notify: no READY=1 in time fails the start; EXTEND_TIMEOUT_USEC while starting moves the bound', async () => {
    const notify = probe({ check: { kind: 'notify' } });
    const h = await supervising([db({ readiness: notify })]);
    await h.clock.advance(4000);
    h.spawner.notify('db', { EXTEND_TIMEOUT_USEC: '3000000', STATUS: 'replaying the log' });
    await flush();
    expect(h.lines()).toContain('db notify: start timeout extended by 3000ms (EXTEND_TIMEOUT_USEC)');
    await h.clock.advance(2999); // past start_timeout, within the extension
    expect(h.get('db').state).toBe('starting');
    h.spawner.notify('db', { EXTEND_TIMEOUT_USEC: '1000' }); // ends before the bound: nothing moves
    await flush();
    expect(h.lines().filter((l) => l.includes('extended'))).toHaveLength(1);
    await h.clock.advance(1);
    expect([h.get('db').state, h.get('db').reason]).toEqual([
      'stopping',
      'not ready within 5s: no READY=1 came; its last STATUS=: "replaying the log"',
    ]);
    await h.exited('db', term);
    await h.clock.advance(100);
    // the next run starts from its own spawn, without the extension of the last
    expect([h.get('db').state, h.get('db').startExtendedTo]).toEqual(['starting', null]);
    h.spawner.notify('db', { READY: '1' });
    await flush();
    await h.clock.advance(60_000);
    expect(h.get('db').state).toBe('running');
  });

  it('readiness fd: no line in time fails the start', async () => {
    const h = await supervising([db({ readiness: probe({ check: { kind: 'fd', fd: 3 } }), restart: 'never' })]);
    await h.clock.advance(5000);
    await h.exited('db', term);
    expect([h.get('db').state, h.get('db').reason]).toEqual(['failed', 'not ready within 5s: no line came on fd 3']);
  });

  it('reload: a changed start_timeout applies to the starting run at once, from its spawn', async () => {
    const h = await supervising([db()]);
    await h.clock.advance(3000);
    h.sup.replaceSpec(db({ startTimeout: 10_000 }), false); // longer: it has 7s left
    await h.clock.advance(6999);
    expect(h.get('db').state).toBe('starting');
    h.sup.replaceSpec(db({ startTimeout: undefined }), false); // removed: no bound
    await h.clock.advance(60_000);
    expect(h.get('db').state).toBe('starting');
    h.sup.replaceSpec(db({ startTimeout: 2000 }), false); // shorter than it has run: stopped now
    await flush();
    expect([h.get('db').state, h.get('db').reason]).toEqual([
      'stopping',
      'not ready within 2s: the readiness probe has not finished a run yet',
    ]);
    expect(h.spawner.count('db')).toBe(1);
  });

  it("tend start's timeout says why the start it waits for failed: in backoff, and starting again", async () => {
    const h = await supervising([db({ backoff: { initial: 10_000, max: 30_000, factor: 2 } })]);
    const where = () => settling(h.get('db'), () => '');
    expect(where()).toBe('starting');
    h.probes.report('db', 'readiness', false, REFUSED);
    await h.clock.advance(5000);
    await h.exited('db', term);
    expect(where()).toBe(`backoff, not ready within 5s: ${REFUSED}`);
    await h.clock.advance(10_000);
    expect(where()).toBe(`starting again after: not ready within 5s: ${REFUSED}`);
  });
});
