// sd_notify through the loop with fakes: readiness `notify`, STATUS/MAINPID/STOPPING, the
// watchdog (a missed ping is a liveness failure) and EXTEND_TIMEOUT_USEC.
import { describe, expect, it } from 'vitest';
import type { ProbeSpec } from '../../src/core/types.js';
import { statusRow, explain } from '../../src/daemon/status.js';
import { flush, harness, instanceSpec } from '../helpers/fakes.js';

const notify: ProbeSpec = { check: { kind: 'notify' }, interval: 1000, timeout: 1000, initialDelay: 0, failureThreshold: 3 };

describe('readiness: notify', () => {
  it('starting until READY=1, no probe polled; STATUS= shown by status and why', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { readiness: notify }), instanceSpec('b', { dependsOn: { a: 'healthy' } })]);
    await flush();
    expect(h.states('a', 'b')).toEqual({ a: 'starting', b: 'pending' });
    expect(h.probes.started).toEqual([]);
    h.spawner.notify('a', { STATUS: 'loading the cache' });
    await flush();
    expect(h.get('a').state).toBe('starting');
    expect(statusRow(h.sup.store, h.get('a'), h.clock.now()).detail).toBe('loading the cache');
    h.spawner.notify('a', { READY: '1', STATUS: 'serving' });
    await flush();
    expect(h.states('a', 'b')).toEqual({ a: 'running', b: 'running' });
    const row = statusRow(h.sup.store, h.get('a'), h.clock.now());
    expect([row.detail, row.status_text]).toEqual(['serving', 'serving']);
    expect(explain(h.sup.store, h.get('a'), h.clock.now())).toContain('It says: "serving" (STATUS=).');
    expect(h.lines()).toContain('a state: starting -> running: ready');
  });

  it('READY=1 of a service whose readiness is another probe does not make it ready', async () => {
    const h = harness();
    const probe: ProbeSpec = { ...notify, check: { kind: 'tcp', host: '127.0.0.1', port: 1 } };
    h.sup.add([instanceSpec('a', { readiness: probe, watchdog: 1000 })]);
    await flush();
    h.spawner.notify('a', { READY: '1' });
    await flush();
    expect(h.get('a').state).toBe('starting');
  });

  it('MAINPID= is recorded and journaled once; STOPPING=1 is journaled; a new run forgets both', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { readiness: notify })]);
    await flush();
    h.spawner.notify('a', { READY: '1', MAINPID: '4242', STATUS: 'up' });
    h.spawner.notify('a', { MAINPID: '4242' });
    h.spawner.notify('a', { STOPPING: '1' });
    await flush();
    expect(h.get('a').mainPid).toBe(4242);
    expect(explain(h.sup.store, h.get('a'), h.clock.now())).toContain('Its main pid is 4242 (MAINPID=).');
    expect(h.lines().filter((l) => l.startsWith('a notify'))).toEqual([
      'a notify: MAINPID=4242',
      'a notify: the service says it is stopping (STOPPING=1)',
    ]);
    h.spawner.exit('a', { kind: 'exited', code: 1 });
    await h.clock.advance(1000);
    expect(h.spawner.count('a')).toBe(2);
    expect([h.get('a').mainPid, h.get('a').statusText]).toEqual([null, null]);
  });

  it("a private_pids service's MAINPID= is a pid of its own namespace, and why says so", async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { readiness: notify, fences: { privatePids: true } })]);
    await flush();
    h.spawner.notify('a', { READY: '1', MAINPID: '2' });
    await flush();
    expect(explain(h.sup.store, h.get('a'), h.clock.now())).toContain(
      'Its main pid is 2 (MAINPID=, a pid of its own pid namespace).',
    );
  });
});

describe('watchdog', () => {
  it('armed once running; each WATCHDOG=1 moves it; a missed one restarts through backoff', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { readiness: notify, watchdog: 2000 })]);
    await flush();
    await h.clock.advance(5000); // not armed while starting
    expect(h.get('a').state).toBe('starting');
    h.spawner.notify('a', { READY: '1' });
    await flush();
    for (let k = 0; k < 3; k++) {
      await h.clock.advance(1500);
      h.spawner.notify('a', { WATCHDOG: '1' });
    }
    await flush();
    expect(h.get('a').state).toBe('running');
    await h.clock.advance(2000);
    expect(h.get('a').state).toBe('stopping');
    expect(h.spawner.signalsOf('a')).toEqual(['SIGTERM']);
    expect(h.lines()).toContain('a restart: watchdog: no WATCHDOG=1 within 2s');
    h.spawner.exit('a', { kind: 'signaled', signal: 'SIGTERM' });
    await flush();
    expect([h.get('a').state, h.get('a').reason]).toEqual(['backoff', 'liveness failed: watchdog: no WATCHDOG=1 within 2s']);
  });

  it('WATCHDOG=trigger fails at once; STOPPING=1 disarms it', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { watchdog: 1000 }), instanceSpec('b', { watchdog: 1000 })]);
    await flush();
    expect(h.states('a', 'b')).toEqual({ a: 'running', b: 'running' });
    h.spawner.notify('a', { WATCHDOG: 'trigger' });
    h.spawner.notify('b', { STOPPING: '1' });
    await flush();
    expect(h.get('a').state).toBe('stopping');
    expect(h.lines()).toContain('a restart: watchdog: the service asked for it (WATCHDOG=trigger)');
    await h.clock.advance(5000);
    expect(h.get('b').state).toBe('running');
  });

  it('EXTEND_TIMEOUT_USEC moves the watchdog while running and the SIGKILL while stopping', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a', { watchdog: 1000, stopTimeout: 2000 })]);
    await flush();
    h.spawner.notify('a', { EXTEND_TIMEOUT_USEC: '5000000' });
    await h.clock.advance(4000);
    expect(h.get('a').state).toBe('running');
    h.sup.stop([h.get('a')]);
    await flush();
    expect(h.get('a').state).toBe('stopping');
    h.spawner.notify('a', { EXTEND_TIMEOUT_USEC: '10000000' });
    await h.clock.advance(5000);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGTERM']);
    await h.clock.advance(5000);
    expect(h.spawner.signalsOf('a')).toEqual(['SIGTERM', 'SIGKILL']);
    expect(h.lines()).toContain('a notify: stop timeout extended by 10000ms (EXTEND_TIMEOUT_USEC)');
  });

  it('a service without readiness notify or watchdog gets no notify hook', async () => {
    const h = harness();
    h.sup.add([instanceSpec('a'), instanceSpec('b', { watchdog: 1000 })]);
    await flush();
    expect(h.spawner.last('a').hooks.notify).toBeUndefined();
    expect(h.spawner.last('b').hooks.notify).toBeTypeOf('function');
  });
});
